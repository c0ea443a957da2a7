package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;

/**
 * Scaled dot-product attention with an additive mask: {@code softmax(q·kᵀ/√hd + mask)·v}.
 *
 * <p>Shapes: q {@code [B, H, n, hd]}; k, v {@code [B, Hkv, m, hd]} with H a multiple of Hkv (each
 * KV head serves H/Hkv consecutive query heads); mask {@code [n, m]} of 0 and −∞; result {@code [B,
 * H, n, hd]}. Two implementations exist: plain DJL ops (the reference, and the only one with
 * second-order gradients) and a fused TorchScript kernel.
 */
@FunctionalInterface
public interface AttentionKernel {

    /**
     * Attends.
     *
     * @param q queries {@code [B, H, n, hd]}
     * @param k keys {@code [B, Hkv, m, hd]}
     * @param v values {@code [B, Hkv, m, hd]}
     * @param mask additive mask {@code [n, m]}, same type as q
     * @param differentiable whether autograd must record through the call
     * @return {@code [B, H, n, hd]}
     */
    NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask, boolean differentiable);
}
