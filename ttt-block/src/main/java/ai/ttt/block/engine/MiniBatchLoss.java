package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.TttConfig;
import ai.ttt.block.nn.TorchOps;

/**
 * The loss of a mini-batch: per row, the mean NLL over the targets that are not BOS (0 if none),
 *
 * <pre>
 *   ℓ_r = Σ_t nll[r, t]·[target[r, t] ≠ BOS] / max(1, Σ_t [target[r, t] ≠ BOS])
 * </pre>
 *
 * the plain mean when the model has no BOS. It is both the inner loss the fast weights step on and
 * each mini-batch's share of the trainer's outer loss. The constants are made once, on the device.
 */
public final class MiniBatchLoss {

    private final NDArray bos;
    private final NDArray one;

    /**
     * Makes the constants.
     *
     * @param config the model config (its BOS id)
     * @param type the stream type (of the NLLs)
     * @param manager owns the constants
     */
    public MiniBatchLoss(TttConfig config, DataType type, NDManager manager) {
        this.bos =
                config.bosTokenId().isPresent()
                        ? TorchOps.constant(manager, (long) config.bosTokenId().getAsInt())
                        : null;
        this.one = manager.ones(new Shape(), type);
    }

    /**
     * Computes the loss of each row.
     *
     * @param nll {@code [R, b]} per-target NLL, stream type
     * @param targets {@code [R, b]} int64
     * @return {@code [R]}
     */
    public NDArray of(NDArray nll, NDArray targets) {
        if (bos == null) {
            return nll.mean(new int[] {1});
        }
        NDArray valid = targets.neq(bos).toType(nll.getDataType(), false);
        return nll.mul(valid).sum(new int[] {1}).div(valid.sum(new int[] {1}).maximum(one));
    }
}
