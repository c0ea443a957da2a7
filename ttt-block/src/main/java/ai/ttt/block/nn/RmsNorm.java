package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Root-mean-square layer norm with a learned scale: {@code y = w · x / √(mean(x²) + ε)} over the
 * last axis, computed in the stream type of the {@link Precision}.
 *
 * <p>Shapes: x {@code [..., n]}, w {@code [n]}, y {@code [..., n]}.
 */
public final class RmsNorm extends AbstractBlock {

    private final Parameter weight;
    private final NDArray epsilon;
    private final Precision precision;

    /**
     * Creates the norm around a loaded weight.
     *
     * @param weight w, {@code [n]}, in the stream type
     * @param eps ε
     * @param precision the compute formats
     */
    public RmsNorm(NDArray weight, double eps, Precision precision) {
        this.precision = precision;
        this.weight = addParameter(ModelWeights.parameter("weight", weight));
        this.epsilon = ModelWeights.scalar(weight.getManager(), eps, precision.stream());
    }

    /**
     * Returns the scale parameter.
     *
     * @return w
     */
    public Parameter weight() {
        return weight;
    }

    /**
     * Normalises x.
     *
     * @param x {@code [..., n]}, any float type (cast to the stream type)
     * @return {@code [..., n]} in the stream type
     */
    public NDArray apply(NDArray x) {
        return apply(x, weight.getArray());
    }

    /**
     * Normalises x with an explicit scale (used when the scale is a differentiable input).
     *
     * @param x {@code [..., n]}
     * @param w {@code [n]}
     * @return {@code [..., n]} in the stream type
     */
    public NDArray apply(NDArray x, NDArray w) {
        NDArray xs = precision.toStream(x);
        NDArray rms = xs.square().mean(new int[] {-1}, true).add(epsilon).sqrt();
        return xs.div(rms).mul(w);
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
