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
import ai.ttt.translators.SequenceReader;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
    private final StateOptions.Execution execution;
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
        this.execution =
                spec.has("execution")
                        ? StateOptions.Execution.valueOf(
                                spec.get("execution").getAsString().toUpperCase(Locale.ROOT))
                        : StateOptions.Execution.PROGRAM;
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
        double budgetSeconds = spec.has("max_seconds") ? spec.get("max_seconds").getAsDouble() : 0;
        boolean profile = spec.has("profile") && spec.get("profile").getAsBoolean();
        int promptLength = context + 1;
        int fill = mode.testTimeTraining() ? fillBeforeDecode(context) : 0;
        TttConfig config =
                preset.config(
                        mode,
                        windowFor(mode, window, promptLength + fill + decodeTokens),
                        miniBatch);
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
            long[] ids = randomTokens(config.vocabSize(), promptLength + fill + decodeTokens);
            Inputs in = new Inputs();
            int piece = spec.has("prefill_piece") ? spec.get("prefill_piece").getAsInt() : 0;
            if (piece <= 0 || piece >= promptLength) {
                piece = promptLength;
            }
            List<NDArray> pieces = new ArrayList<>();
            for (int from = 0; from < promptLength; from += piece) {
                int to = Math.min(promptLength, from + piece);
                pieces.add(manager.create(slice(ids, from, to), new Shape(1, to - from)));
            }
            in.prompt = pieces.toArray(new NDArray[0]);
            out.addProperty("prefill_feed_calls", in.prompt.length);
            in.fill =
                    fill == 0
                            ? null
                            : manager.create(
                                    slice(ids, promptLength, promptLength + fill),
                                    new Shape(1, fill));
            in.decode = new NDArray[decodeTokens];
            for (int i = 0; i < decodeTokens; i++) {
                int at = promptLength + fill + i;
                in.decode[i] = manager.create(slice(ids, at, at + 1), new Shape(1, 1));
            }
            StateOptions options =
                    SequenceReader.stateOptions(mode.testTimeTraining()).withExecution(execution);
            List<double[]> runs = new ArrayList<>();
            out.addProperty("load_average_before", MemoryProbe.loadAverage());
            long firstTimed = 0;
            for (int r = 0; r < warmup + repeats; r++) {
                if (r == warmup) {
                    firstTimed = System.nanoTime();
                }
                Run t = runOnce(model, options, in, manager, mode.testTimeTraining());
                if (r >= warmup) {
                    runs.add(
                            new double[] {
                                t.prefillSeconds / (context / 1024.0),
                                t.amortisedDecodeMs(miniBatch),
                                t.prefillCpuSeconds / t.prefillSeconds,
                                t.decodeCpuPerWall(),
                                t.ordinaryDecodeMs(),
                                t.stepMs()
                            });
                }
                System.err.printf(
                        Locale.ROOT,
                        "  %s %s context %d: %s %d/%d: prefill %.2f s (CPU/wall %.2f),"
                                + " decode %.1f ms/token amortised (%.1f plain, TTT step %.0f"
                                + " ms)%n",
                        preset.label(),
                        mode.label(),
                        context,
                        r < warmup ? "warm-up" : "repeat",
                        r < warmup ? r + 1 : r - warmup + 1,
                        r < warmup ? warmup : repeats,
                        t.prefillSeconds,
                        t.prefillCpuSeconds / t.prefillSeconds,
                        t.amortisedDecodeMs(miniBatch),
                        t.ordinaryDecodeMs(),
                        t.stepMs());
                boolean overBudget =
                        budgetSeconds > 0
                                && r >= warmup
                                && (System.nanoTime() - firstTimed) / 1e9 > budgetSeconds;
                if (overBudget && r < warmup + repeats - 1) {
                    System.err.printf(
                            Locale.ROOT,
                            "  %s %s context %d: stopping after %d repeat(s), over the %.0f s"
                                    + " budget%n",
                            preset.label(),
                            mode.label(),
                            context,
                            runs.size(),
                            budgetSeconds);
                    break;
                }
            }
            out.addProperty("load_average_after", MemoryProbe.loadAverage());
            out.addProperty("repeats_done", runs.size());
            out.add("prefill_s_per_1k", column(runs, 0).toJson());
            out.add("prefill_cpu_per_wall", column(runs, 2).toJson());
            if (decodeTokens > 0) {
                out.add("decode_ms_per_token", column(runs, 1).toJson());
                out.add("decode_cpu_per_wall", column(runs, 3).toJson());
                out.add("decode_plain_ms_per_token", column(runs, 4).toJson());
                if (mode.testTimeTraining()) {
                    out.add("decode_ttt_step_ms", column(runs, 5).toJson());
                }
            }
            out.addProperty("prefill_tokens", promptLength);
            out.addProperty("prefill_ttt_steps", mode.testTimeTraining() ? context / miniBatch : 0);
            out.addProperty("decode_tokens", decodeTokens);
            out.addProperty("decode_fill_tokens", fill);
            out.addProperty(
                    "decode_ttt_steps", mode.testTimeTraining() && decodeTokens > 0 ? 1 : 0);
            out.addProperty(
                    "decode_start",
                    "the state that prefilled the context (not synthetic)"
                            + (fill > 0
                                    ? ", then "
                                            + fill
                                            + " untimed tokens so that the mini-batch closes"
                                            + " midway through the timed decode tokens"
                                    : ""));
            if (profile) {
                out.add("profile", profilePrefill(model, options, in, manager, context));
            }
        }
        out.addProperty("peak_rss_bytes", MemoryProbe.peakRss());
        if (device.isGpu()) {
            long after = MemoryProbe.gpuUsed(device);
            long delta = after < 0 || gpuBefore < 0 ? -1 : Math.max(0, after - gpuBefore);
            long process = MemoryProbe.gpuProcessMemory();
            out.addProperty("gpu_memory_bytes", process >= 0 ? process : delta);
            out.addProperty("gpu_memory_source", process >= 0 ? "process" : "device delta");
            out.addProperty("gpu_device_delta_bytes", delta);
        }
        out.addProperty("wall_s", (System.nanoTime() - started) / 1e9);
        return out;
    }

    /**
     * Returns how many untimed tokens to feed between the prefill and the timed decode so that the
     * open mini-batch fills up halfway through the decode tokens and one TTT step runs there. After
     * a prefill of context + 1 tokens the open mini-batch holds (context mod b) + 1 inputs; the
     * step runs when a token arrives to find b waiting.
     *
     * @param context T
     * @return the filler length in [0, b)
     */
    int fillBeforeDecode(int context) {
        if (decodeTokens == 0) {
            return 0;
        }
        int open = context % miniBatch + 1;
        int before = decodeTokens / 2; // ordinary tokens before the closing one
        return Math.floorMod(miniBatch - before - open, miniBatch);
    }

    private static Stats column(List<double[]> runs, int i) {
        double[] v = new double[runs.size()];
        for (int r = 0; r < v.length; r++) {
            v[r] = runs.get(r)[i];
        }
        return Stats.of(v);
    }

    /** The device inputs of a run, uploaded once before any timing. */
    private static final class Inputs {
        NDArray[] prompt;
        NDArray fill;
        NDArray[] decode;
    }

    /** The times of one run. */
    private static final class Run {
        double prefillSeconds;
        double prefillCpuSeconds;
        double decodeSeconds;
        double decodeCpuSeconds;
        double ordinarySeconds;
        int ordinaryTokens;
        double closingSeconds = Double.NaN;

        double ordinaryDecodeMs() {
            return ordinaryTokens == 0 ? Double.NaN : ordinarySeconds * 1000 / ordinaryTokens;
        }

        /** ((b − 1) ordinary tokens + the one that takes the step) / b; no step: ordinary. */
        double amortisedDecodeMs(int b) {
            if (Double.isNaN(closingSeconds)) {
                return ordinaryDecodeMs();
            }
            return ((b - 1) * ordinaryDecodeMs() + closingSeconds * 1000) / b;
        }

        double stepMs() {
            return closingSeconds * 1000 - ordinaryDecodeMs();
        }

        double decodeCpuPerWall() {
            return decodeSeconds == 0 ? Double.NaN : decodeCpuSeconds / decodeSeconds;
        }
    }

    /**
     * Runs a fresh state: a timed prefill, the untimed filler, then timed single-token decoding,
     * each token ending with one value read back (as sampling would).
     */
    private Run runOnce(
            TttLanguageModel model,
            StateOptions options,
            Inputs in,
            NDManager manager,
            boolean ttt) {
        Run t = new Run();
        try (NDManager run = manager.newSubManager();
                SequenceState state = SequenceState.create(model, 1, options)) {
            long c0 = MemoryProbe.processCpuNanos();
            long t0 = System.nanoTime();
            FeedResult p = null;
            for (NDArray piece : in.prompt) {
                closeAll(p);
                p = state.feed(piece, run, SequenceState.Outputs.LAST_LOGITS);
            }
            readOne(p.lastLogits());
            long t1 = System.nanoTime();
            t.prefillSeconds = (t1 - t0) / 1e9;
            t.prefillCpuSeconds = (MemoryProbe.processCpuNanos() - c0) / 1e9;
            if (in.fill != null) {
                try (NDManager step = run.newSubManager()) {
                    state.feed(in.fill, step, SequenceState.Outputs.LAST_LOGITS);
                }
            }
            long d0 = MemoryProbe.processCpuNanos();
            for (NDArray token : in.decode) {
                boolean closing = ttt && state.openCount() == miniBatch;
                long s0 = System.nanoTime();
                try (NDManager step = run.newSubManager()) {
                    FeedResult d = state.feed(token, step, SequenceState.Outputs.LAST_LOGITS);
                    readOne(d.lastLogits());
                }
                double seconds = (System.nanoTime() - s0) / 1e9;
                t.decodeSeconds += seconds;
                if (closing) {
                    t.closingSeconds = seconds;
                } else {
                    t.ordinarySeconds += seconds;
                    t.ordinaryTokens++;
                }
            }
            t.decodeCpuSeconds = (MemoryProbe.processCpuNanos() - d0) / 1e9;
        }
        return t;
    }

    /** Frees a feed's outputs (earlier prefill pieces' results are not needed). */
    private static void closeAll(FeedResult r) {
        if (r == null) {
            return;
        }
        for (NDArray a :
                new NDArray[] {r.targetNll(), r.chunkLosses(), r.logits(), r.lastLogits()}) {
            if (a != null) {
                a.close();
            }
        }
    }

    /** The host synchronisation at a measurement boundary: one value read back. */
    private static float readOne(NDArray a) {
        try (NDArray v = a.get(new NDIndex("0, 0"))) {
            return v.getFloat();
        }
    }

    private JsonObject profilePrefill(
            TttLanguageModel model, StateOptions options, Inputs in, NDManager manager, int context)
            throws IOException {
        Path trace = Files.createTempFile("ttt-bench-profile-", ".json");
        try (NDManager run = manager.newSubManager();
                SequenceState state = SequenceState.create(model, 1, options)) {
            JniUtils.startProfile(false, false, false);
            FeedResult p = null;
            for (NDArray piece : in.prompt) {
                p = state.feed(piece, run, SequenceState.Outputs.LAST_LOGITS);
            }
            readOne(p.lastLogits());
            JniUtils.stopProfile(trace.toString());
            TraceSummary s = TraceSummary.read(trace);
            int chunks = (context + miniBatch) / miniBatch;
            JsonObject o = s.timeBreakdown(20);
            o.addProperty("mini_batches", chunks);
            if (in.decode.length > 0) {
                JniUtils.startProfile(false, false, false);
                FeedResult d = state.feed(in.decode[0], run, SequenceState.Outputs.LAST_LOGITS);
                readOne(d.lastLogits());
                JniUtils.stopProfile(trace.toString());
                o.add("decode_token", TraceSummary.read(trace).timeBreakdown(15));
            }
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
        // A: the first mini-batch; B: by default enough more that the rings wrap at least once.
        int shortBatches = 1;
        int extra =
                spec.has("ops_mini_batches") && spec.get("ops_mini_batches").getAsInt() > 0
                        ? spec.get("ops_mini_batches").getAsInt()
                        : (window + miniBatch - 1) / miniBatch + 1;
        int longBatches = shortBatches + extra;
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
                    SequenceReader.stateOptions(mode.testTimeTraining()).withExecution(execution);
            // Warm-up: kernels loaded, first-call initialisation done, outside every window.
            try (NDManager run = manager.newSubManager();
                    SequenceState state = SequenceState.create(model, 1, options)) {
                state.feed(shortPrompt, run, SequenceState.Outputs.LAST_LOGITS);
            }
            OpCounts a;
            try (NDManager run = manager.newSubManager();
                    SequenceState state = SequenceState.create(model, 1, options)) {
                a = measure(() -> state.feed(shortPrompt, run, SequenceState.Outputs.LAST_LOGITS));
            }
            try (NDManager run = manager.newSubManager();
                    SequenceState state = SequenceState.create(model, 1, options)) {
                OpCounts b =
                        measure(() -> state.feed(prompt, run, SequenceState.Outputs.LAST_LOGITS));
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
                    token =
                            measure(
                                    () ->
                                            state.feed(
                                                    decode[0],
                                                    step,
                                                    SequenceState.Outputs.LAST_LOGITS));
                }
                OpCounts closing = null;
                // Only TTT-E2E has a closing token to wait for.
                for (int i = 1; mode.testTimeTraining() && i < decodeSpan; i++) {
                    try (NDManager step = run.newSubManager()) {
                        NDArray t = decode[i];
                        if (mode.testTimeTraining() && state.openCount() == miniBatch) {
                            closing =
                                    measure(
                                            () ->
                                                    state.feed(
                                                            t,
                                                            step,
                                                            SequenceState.Outputs.LAST_LOGITS));
                            break;
                        }
                        state.feed(t, step, SequenceState.Outputs.LAST_LOGITS);
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
}
