package ai.ttt.convert;

import ai.ttt.block.JsonFields;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.ModelDirectory.Tensor;
import ai.ttt.block.NormPlacement;
import ai.ttt.block.TensorNames;
import ai.ttt.block.TttConfig;
import ai.ttt.block.safetensors.Checkpoint;
import ai.ttt.block.safetensors.TensorInfo;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Converts an exported official TTT-E2E checkpoint (the layout of {@code
 * converters/scripts/export_official.py}: {@code official-weights.safetensors} with the official
 * tree names, stacked along a leading layer axis, matrices {@code [in, out]}, and {@code
 * official-config.json}) into a model directory.
 *
 * <p>Prime j of the stacked {@code prime_storage} becomes {@code layers.{L−S+j}.prime_mlp}. Only
 * slicing is needed (the official orientation is already {@code [in, out]}); each layer's slice is
 * read on its own.
 */
public final class OfficialConverter {

    /** The weights file of an export. */
    public static final String WEIGHTS = "official-weights.safetensors";

    /** The config file of an export. */
    public static final String CONFIG = "official-config.json";

    private static final String ROOT = "language_model.model.";
    private static final String BLOCKS = ROOT + "h.blocks.";
    private static final String PRIMES = ROOT + "h.prime_storage.";

    private OfficialConverter() {}

    /**
     * Converts an export directory.
     *
     * @param input directory with official-weights.safetensors and official-config.json
     * @param output the model directory to create (must not exist or be empty)
     * @param options window and mini-batch overrides, output dtype (prime options do not apply)
     * @return the config written
     * @throws IOException naming the file and key at fault
     */
    public static TttConfig convert(Path input, Path output, ConvertOptions options)
            throws IOException {
        Path configFile = input.resolve(CONFIG);
        TttConfig config = config(HfConverter.readJson(configFile), configFile, options);
        try (Checkpoint ckpt = Checkpoint.open(input.resolve(WEIGHTS))) {
            Map<String, Tensor> tensors = mapTensors(ckpt, config);
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("source", "official TTT-E2E");
            ModelDirectory.write(output, config, tensors, options.dtype(), metadata, List.of());
        }
        return config;
    }

    static TttConfig config(JsonObject o, Path file, ConvertOptions options) throws IOException {
        JsonFields<ConversionException> j = ConversionException.fields(o, file);
        boolean pre = j.bool("pre_norm", true);
        boolean post = j.bool("post_norm", true);
        if (!pre) {
            throw new ConversionException(file + ": pre_norm false is not supported");
        }
        if (!j.bool("tie_word_embeddings", true)) {
            throw new ConversionException(
                    file
                            + ": tie_word_embeddings false is not supported (no released model has it)");
        }
        int hidden = j.integer("hidden_size");
        int heads = j.integer("num_attention_heads");
        int headDim = ConversionException.impliedHeadDim(hidden, heads, file);
        int intermediate = j.integer("intermediate_size");
        List<Integer> bos = j.integers("bos_token_id");
        return TttConfig.officialLayout()
                .vocabSize(j.integer("vocab_size"))
                .hiddenSize(hidden)
                .intermediateSize(intermediate)
                .numLayers(j.integer("num_hidden_layers"))
                .numHeads(heads)
                .headDim(headDim)
                .ropeTheta(j.number("rope_theta"))
                .qkNorm(j.bool("qk_norm", true))
                .normPlacement(post ? NormPlacement.SANDWICH : NormPlacement.PRE)
                .rmsNormEps(j.number("rms_norm_eps"))
                .slidingWindow(
                        options.window() != null
                                ? options.window()
                                : j.integer("sliding_window_size"))
                .miniBatchSize(
                        options.miniBatch() != null
                                ? options.miniBatch()
                                : j.integer("mini_batch_size"))
                .numPrimeLayers(j.integer("suffix_len"))
                .innerLr(j.has("inner_lr") ? j.number("inner_lr") : 1.0)
                .innerGradClip(j.has("inner_clip_gradient") ? j.number("inner_clip_gradient") : 1.0)
                .bosTokenId(bos.isEmpty() ? OptionalInt.empty() : OptionalInt.of(bos.get(0)))
                .eosTokenIds(j.integers("eos_token_id"))
                .build();
    }

    private static Map<String, Tensor> mapTensors(Checkpoint ckpt, TttConfig c) throws IOException {
        Map<String, long[]> expected = TensorNames.expected(c);
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<String> used = new LinkedHashSet<>();
        out.put(
                TensorNames.EMBED,
                whole(ckpt, ROOT + "wte.weight", expected.get(TensorNames.EMBED), used));
        out.put(
                TensorNames.FINAL_NORM,
                whole(ckpt, ROOT + "ln_f.weight", expected.get(TensorNames.FINAL_NORM), used));
        int layers = c.numLayers();
        int prefix = c.numPrefixLayers();
        for (int i = 0; i < layers; i++) {
            TensorNames.Layer n = TensorNames.layer(c, i);
            // Our name → the official stacked name (indexed by layer), for the tensors we have.
            String[][] layer = {
                {n.attnNorm(), BLOCKS + "seq_norm.weight"},
                {n.attnPostNorm(), BLOCKS + "seq_post_norm.weight"},
                {n.mlpNorm(), BLOCKS + "ffn_norm.weight"},
                {n.mlpPostNorm(), BLOCKS + "ffn_post_norm.weight"},
                {n.wq(), BLOCKS + "seq_modeling_block.wq.weight"},
                {n.wk(), BLOCKS + "seq_modeling_block.wk.weight"},
                {n.wv(), BLOCKS + "seq_modeling_block.wv.weight"},
                {n.wo(), BLOCKS + "seq_modeling_block.wo.weight"},
                {n.qNorm(), BLOCKS + "seq_modeling_block.q_norm.weight"},
                {n.kNorm(), BLOCKS + "seq_modeling_block.k_norm.weight"},
                {n.mlp().w1(), BLOCKS + "feed_forward.w1.weight"},
                {n.mlp().w3(), BLOCKS + "feed_forward.w3.weight"},
                {n.mlp().w2(), BLOCKS + "feed_forward.w2.weight"},
            };
            for (String[] m : layer) {
                if (m[0] != null) {
                    out.put(m[0], slice(ckpt, m[1], i, layers, expected.get(m[0]), used));
                }
            }
            if (n.prime() != null) {
                // Prime tensors are stacked over the prime layers only (indexed by i − prefix).
                String[][] prime = {
                    {n.primeNorm(), PRIMES + "ffn_prime_norm.weight"},
                    {n.primePostNorm(), PRIMES + "ffn_prime_post_norm.weight"},
                    {n.prime().w1(), PRIMES + "feed_forward_prime.w1.weight"},
                    {n.prime().w3(), PRIMES + "feed_forward_prime.w3.weight"},
                    {n.prime().w2(), PRIMES + "feed_forward_prime.w2.weight"},
                };
                for (String[] m : prime) {
                    if (m[0] != null) {
                        out.put(
                                m[0],
                                slice(
                                        ckpt,
                                        m[1],
                                        i - prefix,
                                        c.numPrimeLayers(),
                                        expected.get(m[0]),
                                        used));
                    }
                }
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : ckpt.names()) {
            if (!used.contains(name)) {
                unexpected.add(name);
            }
        }
        if (!unexpected.isEmpty()) {
            throw new ConversionException(ckpt.location() + ": unexpected tensors: " + unexpected);
        }
        return out;
    }

    private static Tensor whole(Checkpoint ckpt, String name, long[] shape, Set<String> used)
            throws IOException {
        check(ckpt, name, shape);
        used.add(name);
        return new Tensor(shape, () -> ckpt.readFloats(name));
    }

    /** Layer {@code index} of a tensor stacked along axis 0 with {@code stack} entries. */
    private static Tensor slice(
            Checkpoint ckpt, String name, int index, int stack, long[] shape, Set<String> used)
            throws IOException {
        long[] stacked = new long[shape.length + 1];
        stacked[0] = stack;
        System.arraycopy(shape, 0, stacked, 1, shape.length);
        check(ckpt, name, stacked);
        used.add(name);
        TensorInfo info = ckpt.info(name);
        return new Tensor(
                shape, () -> TensorMath.floats(ckpt.rows(name, index, 1), info.dtype(), name));
    }

    private static void check(Checkpoint ckpt, String name, long[] shape) throws IOException {
        if (!ckpt.contains(name)) {
            throw new ConversionException(ckpt.location() + ": missing tensor " + name);
        }
        long[] actual = ckpt.info(name).shape();
        if (!Arrays.equals(actual, shape)) {
            throw new ConversionException(
                    ckpt.location()
                            + ": "
                            + name
                            + " has shape "
                            + Arrays.toString(actual)
                            + ", expected "
                            + Arrays.toString(shape));
        }
        TensorMath.count(shape, name);
    }
}
