package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.ttt.block.kernels.Kernels;

/**
 * The numeric formats a model computes in.
 *
 * <p>The residual stream, norms, softmax, loss and fast weights use the {@link #stream()} type;
 * matrix products use {@link #matmul()}. DJL's PyTorch engine has no BF16, so the GPU mode is FP16
 * matmuls with an FP32 stream; the engine's program on a GPU keeps the residual stream between
 * sublayers in FP16 too (norms accumulating in FP32; {@code
 * ai.ttt.block.programs.TttProgram#residualType}).
 */
public enum Precision {
    /** Everything in float32 (the CPU default). */
    FP32(DataType.FLOAT32, DataType.FLOAT32),
    /** Everything in float64 (finite-difference tests). */
    FP64(DataType.FLOAT64, DataType.FLOAT64),
    /** Float16 matrix products and attention, float32 stream, norms, softmax and loss (GPU). */
    FP16(DataType.FLOAT32, DataType.FLOAT16);

    private final DataType stream;
    private final DataType matmul;

    Precision(DataType stream, DataType matmul) {
        this.stream = stream;
        this.matmul = matmul;
    }

    /**
     * Returns the type of the residual stream, norms, softmax, loss and fast weights.
     *
     * @return the stream type
     */
    public DataType stream() {
        return stream;
    }

    /**
     * Returns the type of matrix products, attention and cached keys/values.
     *
     * @return the matmul type
     */
    public DataType matmul() {
        return matmul;
    }

    /**
     * Casts to the matmul type (no-op if already there), recorded by autograd under grad mode.
     *
     * @param x any array
     * @return x in {@link #matmul()}
     */
    public NDArray toMatmul(NDArray x) {
        return x.getDataType() == matmul ? x : Kernels.forDevice(x.getDevice()).cast(x, matmul);
    }

    /**
     * Casts to the stream type (no-op if already there), recorded by autograd under grad mode.
     *
     * @param x any array
     * @return x in {@link #stream()}
     */
    public NDArray toStream(NDArray x) {
        return x.getDataType() == stream ? x : Kernels.forDevice(x.getDevice()).cast(x, stream);
    }

    /**
     * Parses a name such as {@code fp32}.
     *
     * @param name fp32, fp64 or fp16 (any case)
     * @return the precision
     * @throws IllegalArgumentException naming the value if unknown
     */
    public static Precision parse(String name) {
        for (Precision p : values()) {
            if (p.name().equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "precision \"" + name + "\" is not one of fp32, fp64, fp16");
    }
}
