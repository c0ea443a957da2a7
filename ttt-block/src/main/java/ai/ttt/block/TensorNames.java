package ai.ttt.block;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensor names and shapes of a model directory (docs/MODEL_FORMAT.md): the one place that
 * spells them.
 *
 * <p>Every projection matrix is {@code [in, out]}; {@code embed_tokens} and {@code lm_head} are
 * {@code [V, d]}.
 */
public final class TensorNames {

    /** The token embedding, [V, d]. */
    public static final String EMBED = "embed_tokens.weight";

    /** The untied output head, [V, d]. */
    public static final String LM_HEAD = "lm_head.weight";

    /** The final RMSNorm, [d]. */
    public static final String FINAL_NORM = "norm.weight";

    private TensorNames() {}

    /**
     * Returns the name of a tensor of layer {@code i}.
     *
     * @param layer the layer index
     * @param suffix e.g. {@code attn.wq.weight}
     * @return {@code layers.{i}.{suffix}}
     */
    public static String layer(int layer, String suffix) {
        return "layers." + layer + "." + suffix;
    }

    /**
     * Returns every tensor a model with this config stores, in a fixed order, with its shape.
     *
     * @param c the config
     * @return name → shape
     */
    public static Map<String, long[]> expected(TttConfig c) {
        long d = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put(EMBED, new long[] {c.vocabSize(), d});
        for (int i = 0; i < c.numLayers(); i++) {
            m.put(layer(i, "attn_norm.weight"), new long[] {d});
            if (c.sandwich()) {
                m.put(layer(i, "attn_post_norm.weight"), new long[] {d});
            }
            m.put(layer(i, "attn.wq.weight"), new long[] {d, q});
            m.put(layer(i, "attn.wk.weight"), new long[] {d, kv});
            m.put(layer(i, "attn.wv.weight"), new long[] {d, kv});
            m.put(layer(i, "attn.wo.weight"), new long[] {q, d});
            if (c.attentionBias()) {
                m.put(layer(i, "attn.wq.bias"), new long[] {q});
                m.put(layer(i, "attn.wk.bias"), new long[] {kv});
                m.put(layer(i, "attn.wv.bias"), new long[] {kv});
            }
            if (c.qkNorm()) {
                m.put(layer(i, "attn.q_norm.weight"), new long[] {c.headDim()});
                m.put(layer(i, "attn.k_norm.weight"), new long[] {c.headDim()});
            }
            if (c.hasPrime(i)) {
                long fp = c.primeIntermediateSize();
                m.put(layer(i, "prime_norm.weight"), new long[] {d});
                if (c.sandwich()) {
                    m.put(layer(i, "prime_post_norm.weight"), new long[] {d});
                }
                m.put(layer(i, "prime_mlp.w1.weight"), new long[] {d, fp});
                m.put(layer(i, "prime_mlp.w3.weight"), new long[] {d, fp});
                m.put(layer(i, "prime_mlp.w2.weight"), new long[] {fp, d});
            }
            long f = c.intermediateSize();
            m.put(layer(i, "mlp_norm.weight"), new long[] {d});
            if (c.sandwich()) {
                m.put(layer(i, "mlp_post_norm.weight"), new long[] {d});
            }
            m.put(layer(i, "mlp.w1.weight"), new long[] {d, f});
            m.put(layer(i, "mlp.w3.weight"), new long[] {d, f});
            m.put(layer(i, "mlp.w2.weight"), new long[] {f, d});
        }
        m.put(FINAL_NORM, new long[] {d});
        if (!c.tieWordEmbeddings()) {
            m.put(LM_HEAD, new long[] {c.vocabSize(), d});
        }
        return m;
    }
}
