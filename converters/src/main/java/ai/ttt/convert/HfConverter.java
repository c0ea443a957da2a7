package ai.ttt.convert;

import ai.ttt.block.JsonFields;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.ModelDirectory.Tensor;
import ai.ttt.block.NormPlacement;
import ai.ttt.block.RopeLayout;
import ai.ttt.block.RopeScaling;
import ai.ttt.block.StrictJson;
import ai.ttt.block.TensorNames;
import ai.ttt.block.TttConfig;
import ai.ttt.block.io.TextFiles;
import ai.ttt.block.safetensors.Checkpoint;
import ai.ttt.block.safetensors.TensorInfo;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
 * Converts a Hugging Face Llama-family checkpoint (Llama, Mistral, Qwen2, Qwen3) into a TTT-E2E
 * model directory.
 *
 * <p>Projection matrices are transposed from PyTorch's {@code [out, in]} to {@code [in, out]};
 * names follow docs/MODEL_FORMAT.md. The last S blocks get a new prime MLP which, by default,
 * outputs exactly zero until its first update (w2 = 0), so the converted model computes the
 * original function. Tensors are read, converted and written one at a time, so conversion needs
 * about one tensor's worth of memory beyond the mapped input files.
 */
public final class HfConverter {

    private HfConverter() {}

    /** The supported architectures (the {@code architectures[0]} of config.json). */
    public enum Architecture {
        /** Llama 2/3: GQA, rotate-half RoPE, optional Llama-3 RoPE scaling. */
        LLAMA("LlamaForCausalLM"),
        /** Mistral: Llama plus a sliding window. */
        MISTRAL("MistralForCausalLM"),
        /** Qwen2: Llama plus q/k/v biases. */
        QWEN2("Qwen2ForCausalLM"),
        /** Qwen3: Llama plus per-head q/k RMSNorm and an explicit head_dim. */
        QWEN3("Qwen3ForCausalLM");

        private final String className;

        Architecture(String className) {
            this.className = className;
        }

        /**
         * Returns the Hugging Face class name.
         *
         * @return e.g. {@code LlamaForCausalLM}
         */
        public String className() {
            return className;
        }

        static Architecture of(String name, Path file) throws ConversionException {
            for (Architecture a : values()) {
                if (a.className.equals(name)) {
                    return a;
                }
            }
            List<String> supported = new ArrayList<>();
            for (Architecture a : values()) {
                supported.add(a.className);
            }
            throw new ConversionException(
                    file
                            + ": architecture \""
                            + name
                            + "\" is not supported; supported: "
                            + String.join(", ", supported));
        }
    }

    /** Buffers some checkpoints carry that are not weights. */
    private static final List<String> IGNORED_SUFFIXES = List.of(".rotary_emb.inv_freq");

    /**
     * Converts a checkpoint directory.
     *
     * @param input Hugging Face directory: config.json, model.safetensors (or shards), tokenizer
     * @param output the model directory to create (must not exist or be empty)
     * @param options conversion choices
     * @return the config written
     * @throws IOException naming the file and key at fault
     */
    public static TttConfig convert(Path input, Path output, ConvertOptions options)
            throws IOException {
        Path configFile = input.resolve("config.json");
        JsonObject hf = readJson(configFile);
        Architecture arch = architecture(hf, configFile);
        TttConfig config = config(hf, arch, configFile, input, options);
        try (Checkpoint ckpt = Checkpoint.open(input)) {
            Map<String, Tensor> tensors = mapTensors(ckpt, hf, arch, config, options);
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("source", arch.className());
            metadata.put("prime_init", options.primeInit().name().toLowerCase());
            metadata.put("prime_init_seed", Long.toString(options.seed()));
            List<Path> extra = new ArrayList<>();
            for (String f : ModelDirectory.TOKENIZER_FILES) {
                if (Files.isRegularFile(input.resolve(f))) {
                    extra.add(input.resolve(f));
                }
            }
            ModelDirectory.write(output, config, tensors, options.dtype(), metadata, extra);
        }
        return config;
    }

    static Architecture architecture(JsonObject hf, Path file) throws ConversionException {
        JsonElement archs = hf.get("architectures");
        if (archs == null || !archs.isJsonArray() || archs.getAsJsonArray().isEmpty()) {
            throw new ConversionException(file + ": \"architectures\" is missing");
        }
        return Architecture.of(archs.getAsJsonArray().get(0).getAsString(), file);
    }

    /**
     * Builds the TTT-E2E config of a Hugging Face config.
     *
     * @param hf the parsed config.json
     * @param arch the architecture
     * @param file config.json (for messages)
     * @param dir the checkpoint directory (generation_config.json is consulted for BOS/EOS)
     * @param options conversion choices
     * @return the validated config
     * @throws IOException naming the key at fault
     */
    static TttConfig config(
            JsonObject hf, Architecture arch, Path file, Path dir, ConvertOptions options)
            throws IOException {
        JsonFields<ConversionException> j = ConversionException.fields(hf, file);
        if (j.bool("mlp_bias", false)) {
            throw new ConversionException(file + ": mlp_bias true is not supported");
        }
        if (arch != Architecture.QWEN2 && j.bool("attention_bias", false)) {
            throw new ConversionException(
                    file + ": attention_bias true (a bias on o_proj too) is not supported");
        }
        String act = j.string("hidden_act", "silu");
        if (!"silu".equals(act)) {
            throw new ConversionException(
                    file + ": hidden_act \"" + act + "\" is not supported (only silu)");
        }
        int hidden = j.integer("hidden_size");
        int heads = j.integer("num_attention_heads");
        int kvHeads = j.has("num_key_value_heads") ? j.integer("num_key_value_heads") : heads;
        int headDim =
                j.has("head_dim")
                        ? j.integer("head_dim")
                        : ConversionException.impliedHeadDim(hidden, heads, file);
        int layers = j.integer("num_hidden_layers");
        int intermediate = j.integer("intermediate_size");
        Rope rope = rope(j, file);
        int window;
        if (options.window() != null) {
            window = options.window();
        } else {
            Integer sourceWindow = j.has("sliding_window") ? j.integer("sliding_window") : null;
            boolean used =
                    switch (arch) {
                        case MISTRAL -> true;
                        case QWEN2, QWEN3 -> j.bool("use_sliding_window", false);
                        default -> false;
                    };
            window = used && sourceWindow != null ? sourceWindow : ConvertOptions.DEFAULT_WINDOW;
        }
        int miniBatch =
                options.miniBatch() != null
                        ? options.miniBatch()
                        : ConvertOptions.DEFAULT_MINI_BATCH;
        int prime = options.primeLayers() != null ? options.primeLayers() : layers / 4;
        if (prime > layers) {
            throw new ConversionException(
                    "prime layers " + prime + " exceeds num_hidden_layers " + layers);
        }
        JsonFields<ConversionException> generation = null;
        Path genFile = dir.resolve("generation_config.json");
        if (Files.isRegularFile(genFile)) {
            generation = ConversionException.fields(readJson(genFile), genFile);
        }
        OptionalInt bos = tokenId(j, generation, "bos_token_id");
        List<Integer> eos = tokenIds(j, generation, "eos_token_id");
        // Llama-family layout: pre-norm, rotate-half RoPE, untied unless said otherwise.
        return TttConfig.officialLayout()
                .vocabSize(j.integer("vocab_size"))
                .hiddenSize(hidden)
                .intermediateSize(intermediate)
                .numLayers(layers)
                .numHeads(heads)
                .numKvHeads(kvHeads)
                .headDim(headDim)
                .ropeTheta(rope.theta())
                .ropeLayout(RopeLayout.ROTATE_HALF)
                .ropeScaling(rope.scaling())
                .qkNorm(arch == Architecture.QWEN3)
                .attentionBias(arch == Architecture.QWEN2)
                .normPlacement(NormPlacement.PRE)
                .tieWordEmbeddings(j.bool("tie_word_embeddings", false))
                .rmsNormEps(j.number("rms_norm_eps"))
                .slidingWindow(window)
                .miniBatchSize(miniBatch)
                .numPrimeLayers(prime)
                .bosTokenId(bos)
                .eosTokenIds(eos)
                .build();
    }

    /** RoPE base and scaling. */
    private record Rope(double theta, RopeScaling scaling) {}

    private static Rope rope(JsonFields<ConversionException> j, Path file)
            throws ConversionException {
        // transformers 5.x: "rope_parameters" holds theta, type and scaling; 4.x: top-level
        // "rope_theta" plus an optional "rope_scaling".
        JsonObject params =
                j.has("rope_parameters") ? j.object("rope_parameters") : new JsonObject();
        JsonFields<ConversionException> p = ConversionException.fields(params, file);
        double theta =
                p.has("rope_theta")
                        ? p.number("rope_theta")
                        : j.has("rope_theta") ? j.number("rope_theta") : 10000.0;
        JsonObject scaling = j.has("rope_scaling") ? j.object("rope_scaling") : params;
        JsonFields<ConversionException> s = ConversionException.fields(scaling, file);
        String type =
                s.has("rope_type") ? s.string("rope_type", "default") : s.string("type", "default");
        if ("default".equals(type)) {
            return new Rope(theta, null);
        }
        RopeScaling.Type ours = RopeScaling.Type.fromJson(type);
        if (ours == null) {
            throw new ConversionException(
                    file
                            + ": rope_type \""
                            + type
                            + "\" is not supported; supported: default, "
                            + String.join(", ", RopeScaling.SUPPORTED));
        }
        switch (ours) {
            case LINEAR:
                return new Rope(theta, RopeScaling.linear(s.number("factor")));
            case LLAMA3:
                return new Rope(
                        theta,
                        RopeScaling.llama3(
                                s.number("factor"),
                                s.number("low_freq_factor"),
                                s.number("high_freq_factor"),
                                s.integer("original_max_position_embeddings")));
            default:
                throw new AssertionError(ours);
        }
    }

    private static Map<String, Tensor> mapTensors(
            Checkpoint ckpt, JsonObject hf, Architecture arch, TttConfig c, ConvertOptions o)
            throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<String> used = new LinkedHashSet<>();
        Map<String, long[]> expected = TensorNames.expected(c);
        Source src = new Source(ckpt, used);
        out.put(
                TensorNames.EMBED,
                src.plain("model.embed_tokens.weight", expected.get(TensorNames.EMBED)));
        out.put(
                TensorNames.FINAL_NORM,
                src.plain("model.norm.weight", expected.get(TensorNames.FINAL_NORM)));
        if (c.tieWordEmbeddings()) {
            // Some tied checkpoints still store the (identical) head; it is not needed.
            if (ckpt.contains("lm_head.weight")) {
                used.add("lm_head.weight");
            }
        } else {
            out.put(
                    TensorNames.LM_HEAD,
                    src.plain("lm_head.weight", expected.get(TensorNames.LM_HEAD)));
        }
        for (int i = 0; i < c.numLayers(); i++) {
            String hfLayer = "model.layers." + i + ".";
            TensorNames.Layer n = TensorNames.layer(c, i);
            // Our name → the Hugging Face name, for the tensors this config has.
            String[][] linear = {
                {n.wq(), "self_attn.q_proj.weight"},
                {n.wk(), "self_attn.k_proj.weight"},
                {n.wv(), "self_attn.v_proj.weight"},
                {n.wo(), "self_attn.o_proj.weight"},
                {n.mlp().w1(), "mlp.gate_proj.weight"},
                {n.mlp().w3(), "mlp.up_proj.weight"},
                {n.mlp().w2(), "mlp.down_proj.weight"},
            };
            for (String[] m : linear) {
                out.put(m[0], src.transposed(hfLayer + m[1], expected.get(m[0])));
            }
            String[][] vectors = {
                {n.attnNorm(), "input_layernorm.weight"},
                {n.mlpNorm(), "post_attention_layernorm.weight"},
                {n.bq(), "self_attn.q_proj.bias"},
                {n.bk(), "self_attn.k_proj.bias"},
                {n.bv(), "self_attn.v_proj.bias"},
                {n.qNorm(), "self_attn.q_norm.weight"},
                {n.kNorm(), "self_attn.k_norm.weight"},
            };
            for (String[] m : vectors) {
                if (m[0] != null) {
                    out.put(m[0], src.plain(hfLayer + m[1], expected.get(m[0])));
                }
            }
            if (n.prime() != null) {
                addPrime(out, i, n, c, o, expected);
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : ckpt.names()) {
            boolean ignorable = IGNORED_SUFFIXES.stream().anyMatch(name::endsWith);
            if (!used.contains(name) && !ignorable) {
                unexpected.add(name);
            }
        }
        if (!unexpected.isEmpty()) {
            throw new ConversionException(
                    ckpt.location()
                            + ": unexpected tensors for "
                            + arch.className()
                            + ": "
                            + unexpected);
        }
        return out;
    }

    private static void addPrime(
            Map<String, Tensor> out,
            int layer,
            TensorNames.Layer n,
            TttConfig c,
            ConvertOptions o,
            Map<String, long[]> expected) {
        String norm = n.primeNorm();
        String w1 = n.prime().w1();
        String w3 = n.prime().w3();
        String w2 = n.prime().w2();
        if (o.primeInit() == ConvertOptions.PrimeInit.COPY_STATIC) {
            out.put(norm, out.get(n.mlpNorm()));
            out.put(w1, out.get(n.mlp().w1()));
            out.put(w3, out.get(n.mlp().w3()));
            out.put(w2, out.get(n.mlp().w2()));
            return;
        }
        int d = c.hiddenSize();
        int f = c.primeIntermediateSize();
        long seed = o.seed();
        out.put(norm, new Tensor(expected.get(norm), () -> TensorMath.filled(d, 1f)));
        out.put(
                w1,
                new Tensor(
                        expected.get(w1),
                        () -> TensorMath.gaussian(d * f, 0.02, seed * 1_000_003L + 2L * layer)));
        out.put(
                w3,
                new Tensor(
                        expected.get(w3),
                        () ->
                                TensorMath.gaussian(
                                        d * f, 0.02, seed * 1_000_003L + 2L * layer + 1)));
        out.put(w2, new Tensor(expected.get(w2), () -> new float[d * f]));
    }

    /** Reads Hugging Face tensors lazily, checking names and shapes up front. */
    private static final class Source {
        private final Checkpoint ckpt;
        private final Set<String> used;

        Source(Checkpoint ckpt, Set<String> used) {
            this.ckpt = ckpt;
            this.used = used;
        }

        Tensor plain(String hfName, long[] shape) throws IOException {
            check(hfName, shape);
            return new Tensor(shape, () -> ckpt.readFloats(hfName));
        }

        Tensor transposed(String hfName, long[] shape) throws IOException {
            long[] hfShape = {shape[1], shape[0]};
            check(hfName, hfShape);
            int rows = (int) hfShape[0];
            int cols = (int) hfShape[1];
            return new Tensor(
                    shape, () -> TensorMath.transpose(ckpt.readFloats(hfName), rows, cols));
        }

        private void check(String hfName, long[] shape) throws IOException {
            if (!ckpt.contains(hfName)) {
                throw new ConversionException(ckpt.location() + ": missing tensor " + hfName);
            }
            TensorInfo info = ckpt.info(hfName);
            if (!Arrays.equals(info.shape(), shape)) {
                throw new ConversionException(
                        ckpt.location()
                                + ": "
                                + hfName
                                + " has shape "
                                + Arrays.toString(info.shape())
                                + ", expected "
                                + Arrays.toString(shape));
            }
            TensorMath.count(shape, hfName);
            used.add(hfName);
        }
    }

    private static OptionalInt tokenId(
            JsonFields<ConversionException> config,
            JsonFields<ConversionException> generation,
            String key)
            throws ConversionException {
        List<Integer> ids = tokenIds(config, generation, key);
        return ids.isEmpty() ? OptionalInt.empty() : OptionalInt.of(ids.get(0));
    }

    private static List<Integer> tokenIds(
            JsonFields<ConversionException> config,
            JsonFields<ConversionException> generation,
            String key)
            throws ConversionException {
        JsonFields<ConversionException> j =
                config.has(key)
                        ? config
                        : generation != null && generation.has(key) ? generation : null;
        return j == null ? List.of() : j.integers(key);
    }

    static JsonObject readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "not found");
        }
        try {
            JsonElement e = StrictJson.parse(TextFiles.readUtf8(file));
            if (!e.isJsonObject()) {
                throw new ConversionException(file + ": expected a JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new ConversionException(file + ": invalid JSON: " + e.getMessage());
        }
    }
}
