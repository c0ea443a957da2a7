package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/** PyTorch operations whose DJL wrappers are missing or more restrictive than PyTorch itself. */
public final class TorchOps {

    private TorchOps() {}

    /**
     * Broadcasting select: {@code cond ? a : b} elementwise (DJL's {@code where} refuses shapes
     * that differ; PyTorch broadcasts them).
     *
     * @param condition boolean, broadcastable
     * @param a values where true
     * @param b values where false
     * @return the broadcast shape, attached to a's manager
     */
    public static NDArray where(NDArray condition, NDArray a, NDArray b) {
        return JniUtils.where((PtNDArray) condition, (PtNDArray) a, (PtNDArray) b);
    }
}
