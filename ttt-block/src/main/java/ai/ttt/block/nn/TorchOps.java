package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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

    /**
     * Copies an array created from Java data into memory the engine owns, and closes the original.
     *
     * <p>On CPU, DJL creates arrays from Java buffers without copying; the buffer lives only as
     * long as that Java object. Any view or autograd-saved reference that outlives it would read
     * freed memory once the garbage collector runs, so constants kept by the engine are owned.
     *
     * @param javaBacked an array made by {@code NDManager.create(...)} from Java values
     * @return an engine-owned copy in the same manager
     */
    public static NDArray owned(NDArray javaBacked) {
        NDArray copy = javaBacked.duplicate();
        javaBacked.close();
        return copy;
    }

    /**
     * Creates an engine-owned 0-d constant.
     *
     * @param manager the manager (and device)
     * @param value the value
     * @param type the data type
     * @return the constant
     */
    public static NDArray constant(NDManager manager, double value, DataType type) {
        // toType(…, copy=true) to the same type returns an alias in DJL 0.35.1, not a copy.
        NDArray owned = owned(manager.create(value));
        if (owned.getDataType() == type) {
            return owned;
        }
        NDArray t = owned.toType(type, false);
        owned.close();
        return t;
    }

    /**
     * Creates an engine-owned 0-d int64 constant.
     *
     * @param manager the manager (and device)
     * @param value the value
     * @return the constant
     */
    public static NDArray constant(NDManager manager, long value) {
        return owned(manager.create(value));
    }
}
