package ai.ttt.cli.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.ttt.block.TttConfig;
import ai.ttt.block.engine.FeedResult;
import ai.ttt.block.engine.SequenceState;
import ai.ttt.block.engine.StateOptions;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One benchmark configuration, run in its own JVM so that the process's peak memory belongs to it
 * alone. {@code BenchCommand} starts it as {@code java ... BenchWorker SPEC.json RESULT.json}.
 *
 * <p>Tasks:
 *
 * <ul>
 *   <li>{@code timing}: one mode at one context on the preset's full shape: per repeat, a fresh
 *       state prefills the context and then decodes; peak RSS at the end.
 *   <li>{@code ops}: every mode on a narrow model with the preset's layer structure, under the JNI
 *       call counter and PyTorch's profiler: operations and synchronisations per mini-batch and per
 *       decoded token.
 * </ul>
 */
public final class BenchWorker {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final JsonObject spec;
    private final BenchPreset preset;
    private final Device device;
    private final Precision precision;
    private final AttentionMode attention;
    private final int window;
    private final int miniBatch;
    private final int decodeTokens;
    private final long seed;

    private BenchWorker(JsonObject spec) {
        this.spec = spec;
        this.preset = BenchPreset.parse(spec.get("preset").getAsString());
        this.device = "gpu".equals(spec.get("device").getAsString()) ? Device.gpu() : Device.cpu();
        this.precision = Precision.parse(spec.get("dtype").getAsString());
        this.attention = AttentionMode.parse(spec.get("attention").getAsString());
        this.window = spec.get("window").getAsInt();
        this.miniBatch = spec.get("mini_batch").getAsInt();
        this.decodeTokens = spec.get("decode_tokens").getAsInt();
        this.seed = spec.get("seed").getAsLong();
    }

    /**
     * Runs one configuration.
     *
     * @param args the spec file and the result file
     * @throws Exception if the run fails (the process then exits non-zero)
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: BenchWorker SPEC.json RESULT.json");
            System.exit(2);
        }
        JsonObject spec =
                JsonParser.parseString(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8))
                        .getAsJsonObject();
        BenchWorker w = new BenchWorker(spec);
        String task = spec.get("task").getAsString();
        JsonObject result = "ops".equals(task) ? w.ops() : w.timing();
        Files.writeString(Path.of(args[1]), GSON.toJson(result), StandardCharsets.UTF_8);
        System.exit(0);
    }

    /**
     * Returns the window a mode runs with: the given one, or for full attention one that covers
     * every token fed (context + 1 prompt tokens and the decoded ones).
     *
     * @param mode the mode
     * @param window the sliding window
     * @param fed how many tokens the run feeds
     * @return k
     */
    static int windowFor(BenchMode mode, int window, long fed) {
        return mode == BenchMode.FULL ? Math.toIntExact(fed + 1) : window;
    }

    private JsonObject timing() throws IOException {
        BenchMode mode = BenchMode.parse(spec.get("mode").getAsString());
        int context = spec.get("context").getAsInt();
        int warmup = spec.get("warmup").getAsInt();
        int repeats = spec.get("repeats").getAsInt();
        boolean profile = spec.has("profile") && spec.get("profile").getAsBoolean();
        int promptLength = context + 1;
        TttConfig config =
                preset.config(
                        mode, windowFor(mode, window, promptLength + decodeTokens), miniBatch);
        Engine.getEngine("PyTorch").setRandomSeed((int) seed);
        JsonObject out = new JsonObject();
        out.addProperty("mode", mode.label());
        out.addProperty("context", context);
        out.add("config", describe(config));
        out.addProperty("parameters", RandomWeights.parameterCount(config));
        long gpuBefore = device.isGpu() ? MemoryProbe.gpuUsed(device) : -1;
        long started = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager(device)) {
            TttLanguageModel model =
                    TttLanguageModel.build(
                            config,
                            RandomWeights.of(config),
                            manager,
                            precision,
                            attention.kernel(device));
            out.addProperty("rss_after_build_bytes", MemoryProbe.rss());
            long[] ids = randomTokens(config.vocabSize(), promptLength + decodeTokens);
            NDArray prompt =
                    manager.create(slice(ids, 0, promptLength), new Shape(1, promptLength));
            NDArray[] decode = new NDArray[decodeTokens];
            for (int i = 0; i < decodeTokens; i++) {
                decode[i] =
                        manager.create(
                                slice(ids, promptLength + i, promptLength + i + 1),
                                new Shape(1, 1));
            }
            StateOptions options =
                    mode.testTimeTraining() ? StateOptions.inference() : StateOptions.withoutTtt();
            double[] prefill = new double[repeats];
            double[] decodeMs = new double[repeats];
            for (int r = 0; r < warmup + repeats; r++) {
                double[] t = runOnce(model, options, prompt, decode, manager);
                if (r >= warmup) {
                    prefill[r - warmup] = t[0] / (context / 1024.0);
                    decodeMs[r - warmup] =
                            decodeTokens == 0 ? Double.NaN : t[1] * 1000 / decodeTokens;
                }
                System.err.printf(
                        "  %s %s context %d: %s %d/%d: prefill %.2f s, decode %.1f ms/token%n",
                        preset.label(),
                        mode.label(),
                        context,
                        r < warmup ? "warm-up" : "repeat",
                        r < warmup ? r + 1 : r - warmup + 1,
                        r < warmup ? warmup : repeats,
                        t[0],
                        decodeTokens == 0 ? Double.NaN : t[1] * 1000 / decodeTokens);
            }
            out.add("prefill_s_per_1k", Stats.of(prefill).toJson());
            if (decodeTokens > 0) {
                out.add("decode_ms_per_token", Stats.of(decodeMs).toJson());
            }
            out.addProperty("prefill_tokens", promptLength);
            out.addProperty("prefill_ttt_steps", mode.testTimeTraining() ? context / miniBatch : 0);
            out.addProperty("decode_tokens", decodeTokens);
            out.addProperty(
                    "decode_ttt_steps",
                    mode.testTimeTraining() ? decodeTtTSteps(context, decodeTokens) : 0);
            out.addProperty("decode_start", "state that prefilled the context (not synthetic)");
            if (profile) {
                out.add("profile", profilePrefill(model, options, prompt, manager, context));
            }
        }
        out.addProperty("peak_rss_bytes", MemoryProbe.peakRss());
        if (device.isGpu()) {
            long after = MemoryProbe.gpuUsed(device);
            out.addProperty(
                    "gpu_memory_bytes",
                    after < 0 || gpuBefore < 0 ? -1 : Math.max(0, after - gpuBefore));
        }
        out.addProperty("wall_s", (System.nanoTime() - started) / 1e9);
        return out;
    }

    /**
     * Returns how many test-time-training steps decoding n tokens after a prefill of context + 1
     * tokens takes: the prefill leaves the last mini-batch open with (context mod b) + 1 inputs; a
     * step runs when a decoded token arrives to find b inputs waiting.
     */
    private int decodeTtTSteps(int context, int n) {
        int open = context % miniBatch + 1;
        int steps = 0;
        for (int i = 0; i < n; i++) {
            if (open == miniBatch) {
                steps++;
                open = 0;
            }
            open++;
        }
        return steps;
    }

    /** Returns {prefill seconds, decode seconds} of one fresh state. */
    private static double[] runOnce(
            TttLanguageModel model,
            StateOptions options,
            NDArray prompt,
            NDArray[] decode,
            NDManager manager) {
        try (NDManager run = manager.newSubManager();
                SequenceState state = SequenceState.create(model, 1, options)) {
            long t0 = System.nanoTime();
            FeedResult p = state.feed(prompt, run, false);
            readOne(p.lastLogits());
            long t1 = System.nanoTime();
            for (int i = 0; i < decode.length; i++) {
                try (NDManager step = run.newSubManager()) {
                    FeedResult d = state.feed(decode[i], step, false);
                    if (i == decode.length - 1) {
                        readOne(d.lastLogits());
                    }
                }
            }
            long t2 = System.nanoTime();
            return new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9};
        }
    }

    /** The host synchronisation at a measurement boundary: one value read back. */
    private static float readOne(NDArray a) {
        try (NDArray v = a.get(new NDIndex("0, 0"))) {
            return v.getFloat();
        }
    }

    private JsonObject profilePrefill(
            TttLanguageModel model,
            StateOptions options,
            NDArray prompt,
            NDManager manager,
            int context)
            throws IOException {
        Path trace = Files.createTempFile("ttt-bench-profile-", ".json");
        try (NDManager run = manager.newSubManager();
                SequenceState state = SequenceState.create(model, 1, options)) {
            JniUtils.startProfile(false, false, false);
            FeedResult p = state.feed(prompt, run, false);
            readOne(p.lastLogits());
            JniUtils.stopProfile(trace.toString());
            TraceSummary s = TraceSummary.read(trace);
            int chunks = (context + miniBatch) / miniBatch;
            JsonObject o = s.timeBreakdown(20);
            o.addProperty("mini_batches", chunks);
            o.addProperty(
                    "note",
                    "one prefill under PyTorch's profiler (its overhead included); self_ms is"
                            + " exclusive time by op at any depth, top_level_ms inclusive time of"
                            + " the ops the engine issued ('forward' = a TorchScript kernel call:"
                            + " fused attention, or autograd.grad with the whole backward)");
            return o;
        } finally {
            Files.deleteIfExists(trace);
        }
    }

    private JsonObject ops() throws IOException {
        Engine.getEngine("PyTorch"); // loads PyTorchLibrary, which the agent rewrites on load
        if (!JniCalls.installed()) {
            throw new IllegalStateException(
                    "the JNI call counter is not installed (run with -javaagent, see JniCallAgent)");
        }
        JsonArray modes = spec.getAsJsonArray("modes");
        JsonArray results = new JsonArray();
        for (JsonElement m : modes) {
            results.add(opsOfMode(BenchMode.parse(m.getAsString())));
        }
        JsonObject out = new JsonObject();
        out.addProperty("jni_counter_installed", JniCalls.installed());
        out.add("modes", results);
        return out;
    }

    private JsonObject opsOfMode(BenchMode mode) throws IOException {
        // A: the first mini-batch; B: enough more that the windows' rings wrap at least once.
        int shortBatches = 1;
        int longBatches = shortBatches + (window + miniBatch - 1) / miniBatch + 1;
        int longPrompt = longBatches * miniBatch + 1;
        int decodeSpan = miniBatch;
        TttConfig config =
                preset.narrowConfig(
                        mode, windowFor(mode, window, longPrompt + decodeSpan), miniBatch);
        Engine.getEngine("PyTorch").setRandomSeed((int) seed);
        System.err.printf(
                "  %s %s op count (L=%d, S=%d, d=%d): %d mini-batches%n",
                preset.label(),
                mode.label(),
                config.numLayers(),
                config.numPrimeLayers(),
                config.hiddenSize(),
                longBatches);
        JsonObject out = new JsonObject();
        out.addProperty("mode", mode.label());
        out.add("structure", describe(config));
        try (NDManager manager = NDManager.newBaseManager(device)) {
            TttLanguageModel model =
                    TttLanguageModel.build(
                            config,
                            RandomWeights.of(config),
                            manager,
                            precision,
                            attention.kernel(device));
            long[] ids = randomTokens(config.vocabSize(), longPrompt + decodeSpan);
            NDArray shortPrompt =
                    manager.create(
                            slice(ids, 0, shortBatches * miniBatch + 1),
                            new Shape(1, shortBatches * miniBatch + 1));
            NDArray prompt = manager.create(slice(ids, 0, longPrompt), new Shape(1, longPrompt));
            NDArray[] decode = new NDArray[decodeSpan];
            for (int i = 0; i < decodeSpan; i++) {
                decode[i] =
                        manager.create(
                                slice(ids, longPrompt + i, longPrompt + i + 1), new Shape(1, 1));
            }
            StateOptions options =
                    mode.testTimeTraining() ? StateOptions.inference() : StateOptions.withoutTtt();
            // Warm-up: kernels loaded, first-call initialisation done, outside every window.
            try (NDManager run = manager.newSubManager();
                    SequenceState state = SequenceState.create(model, 1, options)) {
                state.feed(shortPrompt, run, false);
            }
            OpCounts a;
            try (NDManager run = manager.newSubManager();
                    SequenceState state = SequenceState.create(model, 1, options)) {
                a = measure(() -> state.feed(shortPrompt, run, false));
            }
            try (NDManager run = manager.newSubManager();
                    SequenceState state = SequenceState.create(model, 1, options)) {
                OpCounts b = measure(() -> state.feed(prompt, run, false));
                out.add(
                        "prefill_per_mini_batch",
                        OpCounts.perUnit(b.metrics(), a.metrics(), longBatches - shortBatches));
                out.addProperty("prefill_mini_batches_counted", longBatches - shortBatches);
                out.add("prefill_call", OpCounts.perUnit(b.metrics(), 1));
                out.add("prefill_top_ops", topOps(b, a, longBatches - shortBatches, 12));
                out.add("cross_check", b.crossCheck());
                // Decode: one ordinary token, then the token that closes the mini-batch.
                OpCounts token;
                try (NDManager step = run.newSubManager()) {
                    token = measure(() -> state.feed(decode[0], step, false));
                }
                OpCounts closing = null;
                for (int i = 1; i < decodeSpan; i++) {
                    try (NDManager step = run.newSubManager()) {
                        NDArray t = decode[i];
                        if (mode.testTimeTraining() && state.openCount() == miniBatch) {
                            closing = measure(() -> state.feed(t, step, false));
                            break;
                        }
                        state.feed(t, step, false);
                    }
                }
                out.add("decode_per_token", OpCounts.perUnit(token.metrics(), 1));
                if (closing != null) {
                    Map<String, Long> close = closing.metrics();
                    out.add("decode_closing_token", OpCounts.perUnit(close, 1));
                    Map<String, Long> amortised = new LinkedHashMap<>();
                    token.metrics()
                            .forEach(
                                    (k, v) -> amortised.put(k, v * (miniBatch - 1) + close.get(k)));
                    out.add("decode_amortised_per_token", OpCounts.perUnit(amortised, miniBatch));
                    out.add("decode_cross_check", closing.crossCheck());
                } else {
                    out.add("decode_amortised_per_token", OpCounts.perUnit(token.metrics(), 1));
                    out.add("decode_cross_check", token.crossCheck());
                }
            }
        }
        return out;
    }

    /** Runs a window of work under the JNI counter and the profiler. */
    private static OpCounts measure(Runnable work) throws IOException {
        Path trace = Files.createTempFile("ttt-bench-ops-", ".json");
        try {
            Map<String, Long> before = JniCalls.snapshot();
            JniUtils.startProfile(false, false, false);
            work.run();
            JniUtils.stopProfile(trace.toString());
            Map<String, Long> after = JniCalls.snapshot();
            Map<String, Long> calls = JniCalls.difference(before, after);
            // The profiler's own stop call falls inside the window; it is no engine op.
            calls.remove("torchStopProfile");
            calls.remove("torchStartProfile");
            return new OpCounts(calls, TraceSummary.read(trace));
        } finally {
            Files.deleteIfExists(trace);
        }
    }

    private static JsonObject topOps(OpCounts longer, OpCounts shorter, int units, int limit) {
        Map<String, Long> d = new LinkedHashMap<>();
        longer.trace()
                .topLevelByName()
                .forEach(
                        (k, v) ->
                                d.put(k, v - shorter.trace().topLevelByName().getOrDefault(k, 0L)));
        JsonObject o = new JsonObject();
        d.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(limit)
                .forEach(
                        e ->
                                o.addProperty(
                                        e.getKey(),
                                        Math.round(e.getValue() * 100.0 / units) / 100.0));
        return o;
    }

    private long[] randomTokens(int vocab, int n) {
        Random random = new Random(seed);
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 3 + random.nextInt(vocab - 3);
        }
        return ids;
    }

    private static long[] slice(long[] a, int from, int to) {
        return java.util.Arrays.copyOfRange(a, from, to);
    }

    /**
     * Returns the shape facts of a config for the outputs.
     *
     * @param c the config
     * @return {@code {layers, suffix_layers, width, heads, head_dim, mlp, prime_mlp, vocab, window,
     *     mini_batch}}
     */
    static JsonObject describe(TttConfig c) {
        JsonObject o = new JsonObject();
        o.addProperty("layers", c.numLayers());
        o.addProperty("suffix_layers", c.numPrimeLayers());
        o.addProperty("width", c.hiddenSize());
        o.addProperty("heads", c.numHeads());
        o.addProperty("head_dim", c.headDim());
        o.addProperty("mlp", c.intermediateSize());
        o.addProperty("prime_mlp", c.numPrimeLayers() == 0 ? 0 : c.primeIntermediateSize());
        o.addProperty("vocab", c.vocabSize());
        o.addProperty("window", c.slidingWindow());
        o.addProperty("mini_batch", c.miniBatchSize());
        return o;
    }

    /** For tests: the keys a timing result has. */
    static final List<String> TIMING_KEYS =
            List.of("mode", "context", "prefill_s_per_1k", "peak_rss_bytes");
}
