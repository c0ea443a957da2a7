package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.ttt.block.TensorNames;

/**
 * One Transformer block, with the prime (fast-weight) MLP when it is one of the last S blocks.
 *
 * <pre>
 *   h ← h + Post_attn (Attn (Norm_attn (h)))
 *   h ← h + Post_prime(MLP'(Norm_prime(h)))     only in the last S blocks; MLP' uses fast weights
 *   h ← h + Post_mlp  (MLP  (Norm_mlp  (h)))
 * </pre>
 *
 * <p>The Post_* norms exist only with sandwich norm placement. The two MLPs are sequential, each
 * with its own residual (spec §2.2). Shapes: h {@code [B, n, d]} → {@code [B, n, d]}.
 */
public final class DecoderBlock extends AbstractBlock {

    private final int index;
    private final RmsNorm attnNorm;
    private final RmsNorm attnPostNorm;
    private final SlidingWindowAttention attention;
    private final RmsNorm primeNorm;
    private final RmsNorm primePostNorm;
    private final SwiGluMlp prime;
    private final RmsNorm mlpNorm;
    private final RmsNorm mlpPostNorm;
    private final SwiGluMlp mlp;

    /**
     * Assembles a block. Post-norms are {@code null} for pre-norm placement; the prime parts are
     * {@code null} outside the last S blocks.
     *
     * @param index the layer index
     * @param attnNorm pre-norm of attention
     * @param attnPostNorm post-norm of attention or {@code null}
     * @param attention the attention
     * @param primeNorm pre-norm of the prime MLP or {@code null}
     * @param primePostNorm post-norm of the prime MLP or {@code null}
     * @param prime the prime MLP holding W0, or {@code null}
     * @param mlpNorm pre-norm of the static MLP
     * @param mlpPostNorm post-norm of the static MLP or {@code null}
     * @param mlp the static MLP
     */
    public DecoderBlock(
            int index,
            RmsNorm attnNorm,
            RmsNorm attnPostNorm,
            SlidingWindowAttention attention,
            RmsNorm primeNorm,
            RmsNorm primePostNorm,
            SwiGluMlp prime,
            RmsNorm mlpNorm,
            RmsNorm mlpPostNorm,
            SwiGluMlp mlp) {
        this.index = index;
        this.attnNorm = addChildBlock("attn_norm", attnNorm);
        this.attnPostNorm =
                attnPostNorm == null ? null : addChildBlock("attn_post_norm", attnPostNorm);
        this.attention = addChildBlock("attn", attention);
        this.primeNorm = primeNorm == null ? null : addChildBlock("prime_norm", primeNorm);
        this.primePostNorm =
                primePostNorm == null ? null : addChildBlock("prime_post_norm", primePostNorm);
        this.prime = prime == null ? null : addChildBlock("prime_mlp", prime);
        this.mlpNorm = addChildBlock("mlp_norm", mlpNorm);
        this.mlpPostNorm = mlpPostNorm == null ? null : addChildBlock("mlp_post_norm", mlpPostNorm);
        this.mlp = addChildBlock("mlp", mlp);
    }

    /**
     * Runs the block over n new positions.
     *
     * @param h {@code [B, n, d]} residual stream
     * @param in attention inputs for this chunk
     * @param cache the layer's KV cache, or {@code null}
     * @param fastGateUp the sequence's fast w13 {@code [B, d, 2Fp]}; {@code null} uses W0
     * @param fastDown the sequence's fast w2 {@code [B, Fp, d]}; {@code null} uses W0
     * @return {@code [B, n, d]}
     */
    public NDArray forward(
            NDArray h,
            AttentionInputs in,
            KeyValueCache cache,
            NDArray fastGateUp,
            NDArray fastDown) {
        h = h.add(post(attnPostNorm, attention.forward(attnNorm.apply(h), in, cache)));
        if (prime != null) {
            NDArray x = primeNorm.apply(h);
            NDArray y = fastGateUp == null ? prime.apply(x) : prime.apply(x, fastGateUp, fastDown);
            h = h.add(post(primePostNorm, y));
        }
        return h.add(post(mlpPostNorm, mlp.apply(mlpNorm.apply(h))));
    }

    /**
     * Adds this block's tensors to {@code out}, under the names of the table.
     *
     * @param names this layer's tensor names ({@link ai.ttt.block.TensorNames#layer})
     * @param out name → binding
     */
    void bind(TensorNames.Layer names, java.util.Map<String, TensorBinding> out) {
        out.put(names.attnNorm(), TensorBinding.whole(attnNorm.weight()));
        if (attnPostNorm != null) {
            out.put(names.attnPostNorm(), TensorBinding.whole(attnPostNorm.weight()));
        }
        attention.bind(names, out);
        if (prime != null) {
            out.put(names.primeNorm(), TensorBinding.whole(primeNorm.weight()));
            if (primePostNorm != null) {
                out.put(names.primePostNorm(), TensorBinding.whole(primePostNorm.weight()));
            }
            prime.bind(names.prime(), out);
        }
        out.put(names.mlpNorm(), TensorBinding.whole(mlpNorm.weight()));
        if (mlpPostNorm != null) {
            out.put(names.mlpPostNorm(), TensorBinding.whole(mlpPostNorm.weight()));
        }
        mlp.bind(names.mlp(), out);
    }

    private static NDArray post(RmsNorm norm, NDArray y) {
        return norm == null ? y : norm.apply(y);
    }

    /**
     * Returns the layer index.
     *
     * @return i
     */
    public int index() {
        return index;
    }

    /**
     * Returns whether this block carries a prime MLP.
     *
     * @return true for the last S blocks
     */
    public boolean hasPrime() {
        return prime != null;
    }

    /**
     * Returns the prime MLP (holding W0), or {@code null}.
     *
     * @return the prime MLP
     */
    public SwiGluMlp prime() {
        return prime;
    }

    /**
     * Returns the attention.
     *
     * @return the attention block
     */
    public SlidingWindowAttention attention() {
        return attention;
    }

    /**
     * Returns the static MLP.
     *
     * @return the MLP
     */
    public SwiGluMlp mlp() {
        return mlp;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Input: {@code [B, T, d]}, a whole sequence from position 0, prime MLP at W0.
     */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        int n = (int) x.getShape().get(1);
        NDManager m = x.getManager();
        NDArray positions = m.arange(0, n, 1, DataType.INT64);
        try (RotaryEmbedding.Tables t = attention.rope().tables(positions)) {
            AttentionInputs in =
                    new AttentionInputs(
                            t, attention.selfMask(m, n), training, AttentionInputs.CacheUse.CONCAT);
            return new NDList(forward(x, in, null, null, null));
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
