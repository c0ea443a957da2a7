package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.TttConfig;
import ai.ttt.block.nn.TorchOps;
import java.util.ArrayList;
import java.util.List;

/**
 * One test-time-training step on a mini-batch, shared by inference (in place) and training
 * (functional, differentiable):
 *
 * <pre>
 *   ℓ_s = mean over the mini-batch's targets ≠ BOS of −log p(target)      per sequence s
 *   g_s = ∂ℓ_s / ∂W_s                                                    (all S layers)
 *   c_s = min(1, clip / ‖g_s‖)                                           (global norm; 1 if clip = 0)
 *   W_s ← W_s − η · c_s · g_s                                            skipped if ℓ_s or ‖g_s‖ is not finite
 * </pre>
 *
 * <p>Everything is decided on the device: no value is read back to the host.
 */
final class InnerLoop {

    private final boolean clip;
    private final NDArray clipNorm;
    private final NDArray learningRate;
    private final NDArray one;
    private final NDArray zero;
    private final MiniBatchLoss miniBatchLoss;

    /**
     * Creates the step's constants.
     *
     * @param manager owns the constants
     * @param config η, clip norm, BOS
     * @param type the stream type
     * @param lrScale multiplier of the config's inner learning rate
     */
    InnerLoop(NDManager manager, TttConfig config, DataType type, double lrScale) {
        this.clip = config.innerGradClip() > 0;
        this.clipNorm = TorchOps.constant(manager, config.innerGradClip(), type);
        this.learningRate = TorchOps.constant(manager, config.innerLr() * lrScale, type);
        this.one = manager.ones(new Shape(), type);
        this.zero = manager.zeros(new Shape(), type);
        this.miniBatchLoss = new MiniBatchLoss(config, type, manager);
    }

    /**
     * Returns the per-token NLL of the targets.
     *
     * @param logits {@code [B, n, V]} stream type
     * @param targets {@code [B, n]} int64
     * @return {@code [B, n]}
     */
    NDArray tokenNll(NDArray logits, NDArray targets) {
        return logits.logSoftmax(2).gather(targets.expandDims(2), 2).squeeze(2).neg();
    }

    /**
     * Returns each sequence's mini-batch loss ({@link MiniBatchLoss}).
     *
     * @param nll {@code [B, n]}
     * @param targets {@code [B, n]} int64
     * @return {@code [B]}
     */
    NDArray chunkLoss(NDArray nll, NDArray targets) {
        return miniBatchLoss.of(nll, targets);
    }

    /**
     * Differentiates the summed per-sequence losses with respect to the fast weights (sequences are
     * independent, so each sequence gets the gradient of its own loss).
     *
     * @param weights the fast weights the loss was computed from
     * @param loss {@code [B]} per-sequence mini-batch losses
     * @param gradient the autograd kernel
     * @param createGraph second order: keep the gradient differentiable
     * @param retainGraph keep the graph for a later (outer) differentiation
     * @return one gradient per fast-weight tensor
     */
    NDList gradients(
            FastWeights weights,
            NDArray loss,
            InnerGradient gradient,
            boolean createGraph,
            boolean retainGraph) {
        return gradient.grad(loss.sum(), weights.asList(), createGraph, retainGraph);
    }

    /**
     * Applies the clipped SGD step.
     *
     * @param weights the fast weights (updated in place, or replaced when functional)
     * @param g their gradients
     * @param loss {@code [B]} the losses (a non-finite loss skips its sequence's update)
     * @param functional make the update differentiable (training) instead of in place
     * @param skipped {@code [B]} int64 counter of skipped updates, incremented in place
     */
    void update(FastWeights weights, NDList g, NDArray loss, boolean functional, NDArray skipped) {
        NDList w = weights.asList();
        long batch = loss.getShape().get(0);
        NDArray squares = null;
        for (NDArray gi : g) {
            NDArray s = gi.square().reshape(batch, -1).sum(new int[] {1});
            squares = squares == null ? s : squares.add(s);
        }
        NDArray norm = squares.sqrt();
        NDArray factor = clip ? TorchOps.where(norm.gt(clipNorm), clipNorm.div(norm), one) : one;
        NDArray finite = isFinite(norm).logicalAnd(isFinite(loss));
        NDArray scale = TorchOps.where(finite, factor.mul(learningRate), zero);
        List<NDArray> next = new ArrayList<>();
        for (int i = 0; i < w.size(); i++) {
            NDArray wi = w.get(i);
            Shape perSequence = broadcastShape(batch, wi.getShape().dimension());
            NDArray delta =
                    TorchOps.where(
                            finite.reshape(perSequence),
                            g.get(i).mul(scale.reshape(perSequence)),
                            zero);
            if (functional) {
                next.add(wi.sub(delta));
            } else {
                wi.subi(delta);
            }
        }
        if (functional) {
            weights.replace(next);
        }
        skipped.addi(finite.logicalNot().toType(DataType.INT64, false));
    }

    /** Returns [B, 1, …, 1] of the given rank, to broadcast a per-sequence scalar. */
    private static Shape broadcastShape(long batch, int rank) {
        long[] dims = new long[rank];
        java.util.Arrays.fill(dims, 1L);
        dims[0] = batch;
        return new Shape(dims);
    }

    private static NDArray isFinite(NDArray x) {
        return x.isNaN().logicalOr(x.isInfinite()).logicalNot();
    }
}
