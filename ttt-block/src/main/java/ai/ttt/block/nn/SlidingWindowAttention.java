package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.ttt.block.TensorNames;
import ai.ttt.block.TttConfig;

/**
 * Causal sliding-window self-attention with grouped KV heads, optional QK-norm and q/k/v biases.
 *
 * <p>A query at absolute position i attends to keys j with i − k &lt; j ≤ i (k keys including
 * itself); the mask that says so comes with the {@link AttentionInputs}. The computation:
 *
 * <pre>
 *   [q | k | v] = x·Wqkv (+ b)                q [B,n,H,hd], k and v [B,n,Hkv,hd]
 *   q, k ← RoPE(QKNorm(q)), RoPE(QKNorm(k))   (QK-norm optional, over hd, before RoPE)
 *   K, V ← [cache ; k], [cache ; v]           [B,Hkv,C+n,hd]
 *   o = softmax(q·Kᵀ/√hd + mask)·V            [B,H,n,hd]
 *   y = o·Wo                                   [B,n,d]
 * </pre>
 *
 * <p>Wqkv {@code [d, (H + 2·Hkv)·hd]} is wq, wk and wv side by side (one matmul).
 */
public final class SlidingWindowAttention extends AbstractBlock {

    private final Parameter wqkv;
    private final Parameter bqkv;
    private final Parameter wo;
    private final RmsNorm qNorm;
    private final RmsNorm kNorm;
    private final RotaryEmbedding rope;
    private final AttentionKernel kernel;
    private final Precision precision;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int window;

    /**
     * Creates the block around loaded weights.
     *
     * @param config heads, KV heads, head dim and window
     * @param wqkv {@code [d, (H + 2·Hkv)·hd]} in the matmul type
     * @param bqkv {@code [(H + 2·Hkv)·hd]} or {@code null}
     * @param wo {@code [H·hd, d]} in the matmul type
     * @param qNorm QK-norm of q over hd, or {@code null}
     * @param kNorm QK-norm of k over hd, or {@code null}
     * @param rope the rotary embedding
     * @param kernel the attention kernel
     * @param precision the compute formats
     */
    public SlidingWindowAttention(
            TttConfig config,
            NDArray wqkv,
            NDArray bqkv,
            NDArray wo,
            RmsNorm qNorm,
            RmsNorm kNorm,
            RotaryEmbedding rope,
            AttentionKernel kernel,
            Precision precision) {
        this.heads = config.numHeads();
        this.kvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        this.window = config.slidingWindow();
        this.wqkv = addParameter(ModelWeights.parameter("wqkv", wqkv));
        this.bqkv = bqkv == null ? null : addParameter(ModelWeights.parameter("bqkv", bqkv));
        this.wo = addParameter(ModelWeights.parameter("wo", wo));
        this.qNorm = qNorm == null ? null : addChildBlock("q_norm", qNorm);
        this.kNorm = kNorm == null ? null : addChildBlock("k_norm", kNorm);
        this.rope = rope;
        this.kernel = kernel;
        this.precision = precision;
    }

    /**
     * Returns the fused q/k/v projection.
     *
     * @return Wqkv
     */
    public Parameter wqkv() {
        return wqkv;
    }

    /**
     * Returns the fused q/k/v bias, if any.
     *
     * @return bqkv or {@code null}
     */
    public Parameter bqkv() {
        return bqkv;
    }

    /**
     * Returns the output projection.
     *
     * @return Wo
     */
    public Parameter wo() {
        return wo;
    }

    /**
     * Returns the QK-norm of q.
     *
     * @return the norm or {@code null}
     */
    public RmsNorm qNorm() {
        return qNorm;
    }

    /**
     * Returns the QK-norm of k.
     *
     * @return the norm or {@code null}
     */
    public RmsNorm kNorm() {
        return kNorm;
    }

    /**
     * Adds this layer's attention tensors to {@code out}, under the names of the table: q, k and v
     * are column ranges of the fused {@code wqkv} (and {@code bqkv}).
     *
     * @param names the layer's tensor names
     * @param out name → binding
     */
    void bind(TensorNames.Layer names, java.util.Map<String, TensorBinding> out) {
        long q = (long) heads * headDim;
        long kv = (long) kvHeads * headDim;
        out.put(names.wq(), new TensorBinding(wqkv, 0, q));
        out.put(names.wk(), new TensorBinding(wqkv, q, q + kv));
        out.put(names.wv(), new TensorBinding(wqkv, q + kv, q + 2 * kv));
        out.put(names.wo(), TensorBinding.whole(wo));
        if (bqkv != null) {
            out.put(names.bq(), new TensorBinding(bqkv, 0, q));
            out.put(names.bk(), new TensorBinding(bqkv, q, q + kv));
            out.put(names.bv(), new TensorBinding(bqkv, q + kv, q + 2 * kv));
        }
        if (qNorm != null) {
            out.put(names.qNorm(), TensorBinding.whole(qNorm.weight()));
            out.put(names.kNorm(), TensorBinding.whole(kNorm.weight()));
        }
    }

    /**
     * Returns the rotary embedding.
     *
     * @return RoPE
     */
    public RotaryEmbedding rope() {
        return rope;
    }

    /**
     * Attends n new positions to the cache and to themselves.
     *
     * @param x {@code [B, n, d]} normalised input, stream type
     * @param in RoPE tables, mask {@code [n, C + n]}, flags
     * @param cache the layer's cache, or {@code null} for none (C = 0)
     * @return {@code [B, n, d]} in the stream type
     */
    public NDArray forward(NDArray x, AttentionInputs in, KeyValueCache cache) {
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        NDArray qkv = precision.toMatmul(x).matMul(wqkv.getArray());
        if (bqkv != null) {
            qkv = qkv.add(bqkv.getArray());
        }
        long qw = (long) heads * headDim;
        long kvw = (long) kvHeads * headDim;
        NDList parts = qkv.split(new long[] {qw, qw + kvw}, 2);
        NDArray q = parts.get(0).reshape(b, n, heads, headDim);
        NDArray k = parts.get(1).reshape(b, n, kvHeads, headDim);
        NDArray v = parts.get(2).reshape(b, n, kvHeads, headDim);
        if (qNorm != null) {
            q = qNorm.apply(q);
            k = kNorm.apply(k);
        }
        q = rope.apply(precision.toStream(q), in.rope());
        k = rope.apply(precision.toStream(k), in.rope());
        q = precision.toMatmul(q).transpose(0, 2, 1, 3);
        k = precision.toMatmul(k).transpose(0, 2, 1, 3);
        v = v.transpose(0, 2, 1, 3);
        NDArray keys = k;
        NDArray values = v;
        AttentionInputs.CacheUse use = in.use();
        if (cache != null) {
            if (use == AttentionInputs.CacheUse.APPEND_THEN_ATTEND) {
                cache.append(k, v);
            }
            if (use == AttentionInputs.CacheUse.APPEND_THEN_ATTEND
                    || use == AttentionInputs.CacheUse.CACHE_ONLY) {
                keys = cache.keys();
                values = cache.values();
            } else if (cache.keys() != null) {
                keys = cache.keys().concat(k, 2);
                values = cache.values().concat(v, 2);
            }
        }
        NDArray o = kernel.attend(q, keys, values, in.mask(), in.differentiable());
        o = o.transpose(0, 2, 1, 3).reshape(b, n, qw);
        NDArray y = precision.toStream(o.matMul(wo.getArray()));
        if (cache != null && use == AttentionInputs.CacheUse.CONCAT_THEN_APPEND) {
            cache.append(k, v);
        }
        return y;
    }

    /**
     * Builds the band mask of a whole sequence attending to itself from position 0.
     *
     * @param manager where to create it
     * @param n sequence length
     * @return {@code [n, n]} additive mask in the matmul type
     */
    public NDArray selfMask(NDManager manager, int n) {
        float[] m = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                boolean visible = j <= i && i - j < window;
                m[i * n + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
            }
        }
        return manager.create(m, new Shape(n, n)).toType(precision.matmul(), false);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Input: x {@code [B, T, d]}, the whole sequence from position 0; output {@code [B, T, d]}.
     */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        int n = (int) x.getShape().get(1);
        NDManager m = x.getManager();
        NDArray positions = m.arange(0, n, 1, ai.djl.ndarray.types.DataType.INT64);
        try (RotaryEmbedding.Tables t = rope.tables(positions)) {
            return new NDList(
                    forward(
                            x,
                            new AttentionInputs(
                                    t, selfMask(m, n), training, AttentionInputs.CacheUse.CONCAT),
                            null));
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
