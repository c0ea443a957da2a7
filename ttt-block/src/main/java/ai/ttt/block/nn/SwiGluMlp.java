package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.ttt.block.TensorNames;

/**
 * The SwiGLU feed-forward block: {@code MLP(x) = (silu(x·w1) ⊙ (x·w3))·w2}.
 *
 * <p>w1 (gate) and w3 (up) are held fused as one {@code [d, 2F]} matrix {@code w13 = [w1 | w3]} so
 * the block costs one matmul for both. The same function serves the static MLP (weights {@code [d,
 * 2F]}, {@code [F, d]}) and the prime MLP with per-sequence fast weights ({@code [B, d, 2F]},
 * {@code [B, F, d]}, batched matmul).
 *
 * <p>Shapes: x {@code [B, n, d]} → {@code [B, n, d]}.
 */
public final class SwiGluMlp extends AbstractBlock {

    private final Parameter w13;
    private final Parameter w2;
    private final long hidden;
    private final Precision precision;

    /**
     * Creates the block around loaded weights.
     *
     * @param w13 {@code [d, 2F]}, gate and up side by side
     * @param w2 {@code [F, d]}
     * @param precision the compute formats
     */
    public SwiGluMlp(NDArray w13, NDArray w2, Precision precision) {
        this.w13 = addParameter(ModelWeights.parameter("w13", w13));
        this.w2 = addParameter(ModelWeights.parameter("w2", w2));
        this.hidden = w2.getShape().get(0);
        this.precision = precision;
    }

    /**
     * Returns the fused gate/up parameter.
     *
     * @return w13, {@code [d, 2F]}
     */
    public Parameter w13() {
        return w13;
    }

    /**
     * Returns the down projection parameter.
     *
     * @return w2, {@code [F, d]}
     */
    public Parameter w2() {
        return w2;
    }

    /**
     * Returns F, the hidden width.
     *
     * @return F
     */
    public long hidden() {
        return hidden;
    }

    /**
     * Adds this MLP's tensors to {@code out}: w1 and w3 are column ranges of the fused {@code w13}.
     *
     * @param names the MLP's tensor names ({@link TensorNames.Mlp})
     * @param out name → binding
     */
    void bind(TensorNames.Mlp names, java.util.Map<String, TensorBinding> out) {
        out.put(names.w1(), new TensorBinding(w13, 0, hidden));
        out.put(names.w3(), new TensorBinding(w13, hidden, 2 * hidden));
        out.put(names.w2(), TensorBinding.whole(w2));
    }

    /**
     * Applies the block with its own weights.
     *
     * @param x {@code [B, n, d]}
     * @return {@code [B, n, d]} in the stream type
     */
    public NDArray apply(NDArray x) {
        return apply(x, w13.getArray(), w2.getArray());
    }

    /**
     * Applies the block with the given weights (fast weights, or differentiable copies).
     *
     * @param x {@code [B, n, d]}
     * @param gateUp {@code [d, 2F]} or {@code [B, d, 2F]}
     * @param down {@code [F, d]} or {@code [B, F, d]}
     * @return {@code [B, n, d]} in the stream type
     */
    public NDArray apply(NDArray x, NDArray gateUp, NDArray down) {
        NDArray gu = precision.toMatmul(x).matMul(precision.toMatmul(gateUp));
        NDList parts = gu.split(new long[] {hidden}, gu.getShape().dimension() - 1);
        NDArray gate = parts.get(0);
        NDArray h = gate.mul(gate.getNDArrayInternal().sigmoid()).mul(parts.get(1));
        return precision.toStream(h.matMul(precision.toMatmul(down)));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(apply(inputs.singletonOrThrow()));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
