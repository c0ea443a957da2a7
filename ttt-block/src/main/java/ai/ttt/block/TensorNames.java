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
     * The names of an MLP's three matrices.
     *
     * @param w1 the gate projection {@code [d, F]}
     * @param w3 the up projection {@code [d, F]}
     * @param w2 the down projection {@code [F, d]}
     */
    public record Mlp(String w1, String w3, String w2) {}

    /**
     * The names of one layer's tensors, derived from the config: a name is {@code null} when the
     * config has no such tensor (post-norms without sandwich norms, biases without {@code
     * attention_bias}, q/k norms without {@code qk_norm}, the prime MLP and its norms outside the
     * last {@code num_prime_layers} layers). This record is the one place a layer's tensor names
     * and the conditions for them are written; loading, binding, validation and the converters walk
     * it.
     *
     * @param attnNorm {@code [d]}
     * @param attnPostNorm {@code [d]} or {@code null}
     * @param wq {@code [d, H·hd]}
     * @param wk {@code [d, Hkv·hd]}
     * @param wv {@code [d, Hkv·hd]}
     * @param wo {@code [H·hd, d]}
     * @param bq {@code [H·hd]} or {@code null}
     * @param bk {@code [Hkv·hd]} or {@code null}
     * @param bv {@code [Hkv·hd]} or {@code null}
     * @param qNorm {@code [hd]} or {@code null}
     * @param kNorm {@code [hd]} or {@code null}
     * @param primeNorm {@code [d]} or {@code null}
     * @param primePostNorm {@code [d]} or {@code null}
     * @param prime the prime (fast-weight) MLP, {@code [d, Fp]}/{@code [Fp, d]}, or {@code null}
     * @param mlpNorm {@code [d]}
     * @param mlpPostNorm {@code [d]} or {@code null}
     * @param mlp the static MLP, {@code [d, F]}/{@code [F, d]}
     */
    public record Layer(
            String attnNorm,
            String attnPostNorm,
            String wq,
            String wk,
            String wv,
            String wo,
            String bq,
            String bk,
            String bv,
            String qNorm,
            String kNorm,
            String primeNorm,
            String primePostNorm,
            Mlp prime,
            String mlpNorm,
            String mlpPostNorm,
            Mlp mlp) {}

    /**
     * Returns the tensor names of layer {@code i} of a model with this config.
     *
     * @param c the config
     * @param i the layer index
     * @return the names, {@code null} where the config has no such tensor
     */
    public static Layer layer(TttConfig c, int i) {
        boolean sandwich = c.sandwich();
        boolean bias = c.attentionBias();
        boolean qk = c.qkNorm();
        boolean prime = c.hasPrime(i);
        return new Layer(
                layer(i, "attn_norm.weight"),
                sandwich ? layer(i, "attn_post_norm.weight") : null,
                layer(i, "attn.wq.weight"),
                layer(i, "attn.wk.weight"),
                layer(i, "attn.wv.weight"),
                layer(i, "attn.wo.weight"),
                bias ? layer(i, "attn.wq.bias") : null,
                bias ? layer(i, "attn.wk.bias") : null,
                bias ? layer(i, "attn.wv.bias") : null,
                qk ? layer(i, "attn.q_norm.weight") : null,
                qk ? layer(i, "attn.k_norm.weight") : null,
                prime ? layer(i, "prime_norm.weight") : null,
                prime && sandwich ? layer(i, "prime_post_norm.weight") : null,
                prime ? mlp(i, "prime_mlp.") : null,
                layer(i, "mlp_norm.weight"),
                sandwich ? layer(i, "mlp_post_norm.weight") : null,
                mlp(i, "mlp."));
    }

    private static Mlp mlp(int i, String prefix) {
        return new Mlp(
                layer(i, prefix + "w1.weight"),
                layer(i, prefix + "w3.weight"),
                layer(i, prefix + "w2.weight"));
    }

    /**
     * Returns every tensor a model with this config stores, in a fixed order, with its shape.
     *
     * @param c the config
     * @return name → shape
     */
    public static Map<String, long[]> expected(TttConfig c) {
        long d = c.hiddenSize();
        long hd = c.headDim();
        long q = c.numHeads() * hd;
        long kv = c.numKvHeads() * hd;
        long f = c.intermediateSize();
        long fp = c.primeIntermediateSize();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put(EMBED, new long[] {c.vocabSize(), d});
        for (int i = 0; i < c.numLayers(); i++) {
            Layer n = layer(c, i);
            put(m, n.attnNorm(), d);
            put(m, n.attnPostNorm(), d);
            put(m, n.wq(), d, q);
            put(m, n.wk(), d, kv);
            put(m, n.wv(), d, kv);
            put(m, n.wo(), q, d);
            put(m, n.bq(), q);
            put(m, n.bk(), kv);
            put(m, n.bv(), kv);
            put(m, n.qNorm(), hd);
            put(m, n.kNorm(), hd);
            put(m, n.primeNorm(), d);
            put(m, n.primePostNorm(), d);
            put(m, n.prime(), d, fp);
            put(m, n.mlpNorm(), d);
            put(m, n.mlpPostNorm(), d);
            put(m, n.mlp(), d, f);
        }
        m.put(FINAL_NORM, new long[] {d});
        if (!c.tieWordEmbeddings()) {
            m.put(LM_HEAD, new long[] {c.vocabSize(), d});
        }
        return m;
    }

    /** Adds a tensor the config has ({@code name} not {@code null}). */
    private static void put(Map<String, long[]> m, String name, long... shape) {
        if (name != null) {
            m.put(name, shape);
        }
    }

    /** Adds an MLP the config has: w1, w3 {@code [d, width]}, w2 {@code [width, d]}. */
    private static void put(Map<String, long[]> m, Mlp mlp, long d, long width) {
        if (mlp != null) {
            m.put(mlp.w1(), new long[] {d, width});
            m.put(mlp.w3(), new long[] {d, width});
            m.put(mlp.w2(), new long[] {width, d});
        }
    }
}
