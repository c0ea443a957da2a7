package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;

/**
 * The outputs of one chunk that the caller keeps (all else is freed with the chunk).
 *
 * @param nll {@code [B, t]} NLL of the chunk's known targets, or {@code null}
 * @param loss {@code [B]} the inner loss if the chunk took a step, or {@code null}
 * @param logits {@code [B, n, V]} if all logits were asked for, or {@code null}
 * @param last {@code [B, V]} logits of the chunk's last token if it is the feed's last, or null
 */
record Segment(NDArray nll, NDArray loss, NDArray logits, NDArray last) {

    /**
     * Returns the arrays that are present.
     *
     * @return up to four arrays
     */
    NDArray[] present() {
        return java.util.stream.Stream.of(nll, loss, logits, last)
                .filter(java.util.Objects::nonNull)
                .toArray(NDArray[]::new);
    }
}
