package ai.ttt.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.Checkpoint;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;

/** Models for engine tests: the official fixtures (read in their own layout) and random ones. */
public final class TestModels {

    private TestModels() {}

    /**
     * Returns the config of an official fixture, as the official converter would write it.
     *
     * @param fixture e.g. {@code official/tiny-L4-S1}
     * @return the config
     * @throws IOException if the fixture cannot be read
     */
    public static TttConfig officialConfig(String fixture) throws IOException {
        JsonObject o =
                StrictJson.parse(
                                Files.readString(
                                        Fixtures.get(fixture).resolve("official-config.json")))
                        .getAsJsonObject();
        int d = o.get("hidden_size").getAsInt();
        int h = o.get("num_attention_heads").getAsInt();
        int f = o.get("intermediate_size").getAsInt();
        return TttConfig.officialLayout()
                .vocabSize(o.get("vocab_size").getAsInt())
                .hiddenSize(d)
                .intermediateSize(o.get("intermediate_size").getAsInt())
                .numLayers(o.get("num_hidden_layers").getAsInt())
                .numHeads(h)
                .headDim(d / h)
                .ropeTheta(o.get("rope_theta").getAsDouble())
                .rmsNormEps(o.get("rms_norm_eps").getAsDouble())
                .slidingWindow(o.get("sliding_window_size").getAsInt())
                .miniBatchSize(o.get("mini_batch_size").getAsInt())
                .numPrimeLayers(o.get("suffix_len").getAsInt())
                .innerLr(o.get("inner_lr").getAsDouble())
                .innerGradClip(o.get("inner_clip_gradient").getAsDouble())
                .bosTokenId(OptionalInt.of(o.get("bos_token_id").getAsInt()))
                .build();
    }

    /**
     * Loads an official fixture's weights (stacked, official names) into a model.
     *
     * @param fixture e.g. {@code official/tiny-L4-S1}
     * @param manager owns the weights
     * @param precision compute formats
     * @param attention attention kernel
     * @return the model
     * @throws IOException if the fixture cannot be read
     */
    public static TttLanguageModel official(
            String fixture, NDManager manager, Precision precision, AttentionMode attention)
            throws IOException {
        TttConfig c = officialConfig(fixture);
        Path weights = Fixtures.get(fixture).resolve("official-weights.safetensors");
        try (Checkpoint ckpt = Checkpoint.open(weights)) {
            return TttLanguageModel.build(
                    c,
                    (name, m) -> officialTensor(ckpt, name, c, m),
                    manager,
                    precision,
                    attention.kernel(manager.getDevice()));
        }
    }

    /**
     * The official stacked tensor that holds one of our tensors.
     *
     * @param key the official tree name
     * @param index the layer (or prime) index along its leading axis, or −1 if not stacked
     */
    public record OfficialName(String key, int index) {}

    /**
     * Maps one of our tensor names to its official stacked tensor.
     *
     * @param name our name (docs/MODEL_FORMAT.md)
     * @param c the config
     * @return the official name and index
     */
    public static OfficialName officialName(String name, TttConfig c) {
        String p = "language_model.model.";
        if (name.equals(TensorNames.EMBED)) {
            return new OfficialName(p + "wte.weight", -1);
        }
        if (name.equals(TensorNames.FINAL_NORM)) {
            return new OfficialName(p + "ln_f.weight", -1);
        }
        String[] parts = name.split("\\.", 3);
        int layer = Integer.parseInt(parts[1]);
        Map<String, String> blocks =
                Map.ofEntries(
                        Map.entry("attn_norm.weight", "seq_norm.weight"),
                        Map.entry("attn_post_norm.weight", "seq_post_norm.weight"),
                        Map.entry("mlp_norm.weight", "ffn_norm.weight"),
                        Map.entry("mlp_post_norm.weight", "ffn_post_norm.weight"),
                        Map.entry("attn.wq.weight", "seq_modeling_block.wq.weight"),
                        Map.entry("attn.wk.weight", "seq_modeling_block.wk.weight"),
                        Map.entry("attn.wv.weight", "seq_modeling_block.wv.weight"),
                        Map.entry("attn.wo.weight", "seq_modeling_block.wo.weight"),
                        Map.entry("attn.q_norm.weight", "seq_modeling_block.q_norm.weight"),
                        Map.entry("attn.k_norm.weight", "seq_modeling_block.k_norm.weight"),
                        Map.entry("mlp.w1.weight", "feed_forward.w1.weight"),
                        Map.entry("mlp.w2.weight", "feed_forward.w2.weight"),
                        Map.entry("mlp.w3.weight", "feed_forward.w3.weight"));
        Map<String, String> primes =
                Map.of(
                        "prime_norm.weight", "ffn_prime_norm.weight",
                        "prime_post_norm.weight", "ffn_prime_post_norm.weight",
                        "prime_mlp.w1.weight", "feed_forward_prime.w1.weight",
                        "prime_mlp.w2.weight", "feed_forward_prime.w2.weight",
                        "prime_mlp.w3.weight", "feed_forward_prime.w3.weight");
        if (blocks.containsKey(parts[2])) {
            return new OfficialName(p + "h.blocks." + blocks.get(parts[2]), layer);
        }
        return new OfficialName(
                p + "h.prime_storage." + primes.get(parts[2]), layer - c.numPrefixLayers());
    }

    /**
     * Reads one of our tensors from an official checkpoint (slicing its layer).
     *
     * @param ckpt the official weights
     * @param name our name
     * @param c the config
     * @param m the manager
     * @return the array
     * @throws IOException if reading fails
     */
    public static NDArray officialTensor(Checkpoint ckpt, String name, TttConfig c, NDManager m)
            throws IOException {
        OfficialName o = officialName(name, c);
        if (o.index() < 0) {
            return ckpt.toNDArray(o.key(), m);
        }
        try (NDArray stacked = ckpt.toNDArray(o.key(), m)) {
            return stacked.get(o.index()).duplicate();
        }
    }

    /**
     * Builds a model with random weights (N(0, std²) matrices, norms around 1).
     *
     * @param c the config
     * @param seed the seed
     * @param std the standard deviation of matrices
     * @param manager owns the weights
     * @param precision compute formats
     * @param attention attention kernel
     * @return the model
     * @throws IOException never
     */
    public static TttLanguageModel random(
            TttConfig c,
            long seed,
            double std,
            NDManager manager,
            Precision precision,
            AttentionMode attention)
            throws IOException {
        Map<String, long[]> shapes = TensorNames.expected(c);
        Random random = new Random(seed);
        return TttLanguageModel.build(
                c,
                (name, m) -> {
                    long[] s = shapes.get(name);
                    int n = 1;
                    for (long x : s) {
                        n *= (int) x;
                    }
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) {
                        v[i] =
                                s.length == 1
                                        ? (float) (1 + 0.1 * random.nextGaussian())
                                        : (float) (std * random.nextGaussian());
                    }
                    return m.create(v, new Shape(s)).toType(DataType.FLOAT32, false);
                },
                manager,
                precision,
                attention.kernel(manager.getDevice()));
    }

    /**
     * A tiny TTT-E2E config: sandwich norms, QK-norm, GQA, two suffix layers.
     *
     * @param window k
     * @param miniBatch b
     * @return the config
     */
    public static TttConfig tiny(int window, int miniBatch) {
        return TttConfig.officialLayout()
                .vocabSize(32)
                .hiddenSize(8)
                .intermediateSize(16)
                .primeIntermediateSize(8)
                .numLayers(3)
                .numHeads(2)
                .numKvHeads(1)
                .headDim(4)
                .slidingWindow(window)
                .miniBatchSize(miniBatch)
                .numPrimeLayers(2)
                .bosTokenId(OptionalInt.of(1))
                .build();
    }
}
