package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;

/**
 * What one {@link SequenceState#feed} call computed. All arrays belong to the manager the caller
 * passed.
 *
 * @param targetNll {@code [B, m]}: −log p of each fed token given everything before it, for every
 *     fed token that had a prediction (m = n, or n − 1 on the first call of a sequence)
 * @param chunkLosses {@code [B, c]}: the inner loss of each mini-batch whose step ran during this
 *     call (c may be 0; then {@code null})
 * @param logits {@code [B, n, V]} logits of every fed token, or {@code null} unless requested
 * @param lastLogits {@code [B, V]}: logits of the last fed token (its prediction of what comes
 *     next)
 */
public record FeedResult(
        NDArray targetNll, NDArray chunkLosses, NDArray logits, NDArray lastLogits) {}
