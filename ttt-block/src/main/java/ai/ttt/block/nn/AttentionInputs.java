package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;

/**
 * What every attention layer of one group needs for one chunk of n new positions.
 *
 * @param rope RoPE tables of the n positions
 * @param mask additive mask over the keys attended (see {@link CacheUse}), in the matmul type
 * @param differentiable whether autograd must record through attention
 * @param use how the layer's cache takes part
 */
public record AttentionInputs(
        RotaryEmbedding.Tables rope, NDArray mask, boolean differentiable, CacheUse use) {

    /** How a chunk's keys and values meet the layer's cache. */
    public enum CacheUse {
        /**
         * The new keys/values are written into the cache first and the cache is attended, with no
         * copy of it (inference; the new keys need no gradient). Mask {@code [n, C]}.
         */
        APPEND_THEN_ATTEND,
        /**
         * The cache already holds the chunk (a decoded mini-batch re-run for its step); the cache
         * is attended and nothing is written. Mask {@code [n, C]}.
         */
        CACHE_ONLY,
        /**
         * Keys are {@code [cache ; new]}, so gradients flow through the new ones; the new ones are
         * appended afterwards. Mask {@code [n, C + n]}.
         */
        CONCAT_THEN_APPEND,
        /** Keys are {@code [cache ; new]}; nothing is written. Mask {@code [n, C + n]}. */
        CONCAT
    }
}
