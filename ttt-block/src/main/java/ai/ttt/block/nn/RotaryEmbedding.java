package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.ttt.block.RopeLayout;
import ai.ttt.block.RopeScaling;

/**
 * Rotary position embedding (RoPE) for absolute positions, in either pair layout.
 *
 * <p>Each pair (a, b) of a head vector at position p is rotated by the angle p·f_j, with {@code f_j
 * = θ^(−2j/hd)} (optionally scaled). Written as {@code y = x ⊙ C + (x·R) ⊙ S}, where C and S repeat
 * cos and sin over each pair and R is the signed permutation sending (a, b) to (−b, a), so both
 * layouts share one code path and cost four engine ops. Angles are formed in float64 (p·f_j loses
 * digits in float32 at long contexts) and the tables are cast to the stream type.
 *
 * <p>Shapes: x {@code [B, n, h, hd]}; tables {@code [n, 1, hd]}.
 */
public final class RotaryEmbedding extends AbstractBlock {

    private final int headDim;
    private final RopeLayout layout;
    private final Precision precision;
    private final NDArray inverseFrequencies; // [1, hd/2] float64
    private final NDArray laneFrequencies; // [hd] float64
    private final NDArray rotation; // [hd, hd] stream type

    /** The cos and sin tables for n consecutive positions, each {@code [n, 1, hd]}. */
    public record Tables(NDArray cos, NDArray sin) implements AutoCloseable {
        /** {@inheritDoc} */
        @Override
        public void close() {
            cos.close();
            sin.close();
        }
    }

    /**
     * Creates the embedding.
     *
     * @param manager where the constant tables live (the model's device)
     * @param headDim hd (even)
     * @param theta base θ
     * @param scaling frequency scaling, or {@code null}
     * @param layout the pair layout
     * @param precision the compute formats
     */
    public RotaryEmbedding(
            NDManager manager,
            int headDim,
            double theta,
            RopeScaling scaling,
            RopeLayout layout,
            Precision precision) {
        this.headDim = headDim;
        this.layout = layout;
        this.precision = precision;
        double[] inv = RopeScaling.inverseFrequencies(headDim, theta, scaling);
        this.inverseFrequencies = manager.create(inv, new Shape(1, inv.length));
        // Engine-owned: the programs hold a second handle to it (see TorchOps.owned).
        this.laneFrequencies =
                TorchOps.owned(manager.create(laneFrequencies(inv, layout), new Shape(headDim)));
        this.rotation =
                manager.create(rotationMatrix(headDim, layout), new Shape(headDim, headDim))
                        .toType(precision.stream(), false);
    }

    /**
     * Returns the frequency of each lane of a head vector: lane i of the pair (a, b) rotates by the
     * pair's f_j, so the tables of a position p are cos(p·f) and sin(p·f) lane by lane.
     *
     * @param inverse f_j, hd/2 values
     * @param layout pair layout
     * @return hd values
     */
    static double[] laneFrequencies(double[] inverse, RopeLayout layout) {
        int half = inverse.length;
        double[] lanes = new double[2 * half];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = layout == RopeLayout.INTERLEAVED ? inverse[i / 2] : inverse[i % half];
        }
        return lanes;
    }

    /**
     * Returns R, {@code [hd, hd]} row-major: (x·R) maps each pair (a, b) to (−b, a).
     *
     * @param hd head dim
     * @param layout pair layout
     * @return the matrix entries
     */
    static float[] rotationMatrix(int hd, RopeLayout layout) {
        float[] r = new float[hd * hd];
        int half = hd / 2;
        for (int j = 0; j < half; j++) {
            int a = layout == RopeLayout.INTERLEAVED ? 2 * j : j;
            int b = layout == RopeLayout.INTERLEAVED ? 2 * j + 1 : j + half;
            // (xR)[a] = −x[b], (xR)[b] = x[a]
            r[b * hd + a] = -1f;
            r[a * hd + b] = 1f;
        }
        return r;
    }

    /**
     * Builds the tables for the given positions.
     *
     * @param positions {@code [n]} int64 absolute positions, on the model's device
     * @return cos and sin, each {@code [n, 1, hd]} in the stream type
     */
    public Tables tables(NDArray positions) {
        long n = positions.getShape().get(0);
        try (NDArray angles =
                positions.toType(DataType.FLOAT64, false).reshape(n, 1).mul(inverseFrequencies)) {
            return new Tables(expand(angles.cos(), n), expand(angles.sin(), n));
        }
    }

    private NDArray expand(NDArray half, long n) {
        // half: [n, hd/2] float64 → [n, 1, hd] with each value repeated over its pair.
        NDArray full;
        if (layout == RopeLayout.INTERLEAVED) {
            full = half.reshape(n, headDim / 2, 1).repeat(2, 2);
        } else {
            full = half.concat(half, 1);
        }
        NDArray out = full.reshape(n, 1, headDim).toType(precision.stream(), false);
        half.close();
        full.close();
        return out;
    }

    /**
     * Rotates x.
     *
     * @param x {@code [B, n, h, hd]} in the stream type
     * @param t tables for the n positions
     * @return {@code [B, n, h, hd]}
     */
    public NDArray apply(NDArray x, Tables t) {
        return x.mul(t.cos()).add(x.matMul(rotation).mul(t.sin()));
    }

    /**
     * Returns the rotation R, {@code [hd, hd]} in the stream type: {@code x·R} sends each pair (a,
     * b) to (−b, a).
     *
     * @return R (owned by the model)
     */
    public NDArray rotation() {
        return rotation;
    }

    /**
     * Returns the frequency of every lane of a head vector, {@code [hd]} float64, in the model's
     * pair layout: the angle of lane i at position p is {@code p·f[i]}.
     *
     * @return the lane frequencies (owned by the model)
     */
    public NDArray laneFrequencies() {
        return laneFrequencies;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Inputs: x {@code [B, n, h, hd]} and positions {@code [n]} int64.
     */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        try (Tables t = tables(inputs.get(1))) {
            return new NDList(apply(inputs.get(0), t));
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
