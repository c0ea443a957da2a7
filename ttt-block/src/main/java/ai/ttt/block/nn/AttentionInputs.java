package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;

/**
 * What every attention layer of one group needs for one chunk of n new positions.
 *
 * @param rope RoPE tables of the n positions
 * @param mask additive mask {@code [n, C + n]} over the C cached slots followed by the n new
 *     positions, in the matmul type
 * @param differentiable whether autograd must record through attention
 * @param commit whether to append the new keys/values to the cache
 */
public record AttentionInputs(
        RotaryEmbedding.Tables rope, NDArray mask, boolean differentiable, boolean commit) {}
