package ai.ttt.cli;

import ai.ttt.block.io.AtomicWriter;
import ai.ttt.cli.bench.BenchMode;
import ai.ttt.cli.bench.BenchPreset;
import ai.ttt.cli.bench.BenchReport;
import ai.ttt.cli.bench.BenchWorker;
import ai.ttt.cli.bench.JniCallAgent;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ttt bench}: prefill and decode latency and peak memory against context length for TTT-E2E,
 * sliding-window and full attention on random weights, plus engine operation and host
 * synchronisation counts per mini-batch.
 *
 * <p>Every (mode, context) runs in a child JVM of its own ({@link BenchWorker}) so that the peak
 * resident set it reports belongs to that configuration alone; op counts run in one more child
 * under a Java agent that counts DJL's JNI calls ({@link JniCallAgent}) and PyTorch's profiler.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Benchmark prefill and decode latency, peak memory, and engine ops and host syncs per"
                    + " mini-batch, for TTT-E2E, sliding-window (swa) and full attention, on random"
                    + " weights.",
            "Writes a table to the terminal and DIR/bench.json, DIR/bench.png (prefill) and"
                    + " DIR/bench-decode.png."
        })
public final class BenchCommand implements Callable<Integer> {

    @Option(
            names = "--preset",
            defaultValue = "tiny",
            description = "Model shape: tiny, 125m, 760m, 1b or 3b. Default: ${DEFAULT-VALUE}.")
    String preset;

    @Option(
            names = "--device",
            defaultValue = "cpu",
            description = "cpu or gpu. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(
            names = "--dtype",
            description =
                    "fp32, or fp16 (fp16 matmuls, fp32 norms/softmax/fast weights). Default: fp32"
                            + " on cpu, fp16 on gpu.")
    String dtype;

    @Option(
            names = "--attention",
            defaultValue = "fused",
            description =
                    "fused (TorchScript kernel) or plain (DJL ops). Default: ${DEFAULT-VALUE}.")
    String attention;

    @Option(
            names = "--execution",
            defaultValue = "program",
            description =
                    "program (the engine's TorchScript program: one call per chunk) or plain (the"
                            + " DJL-op reference engine). Default: ${DEFAULT-VALUE}.")
    String execution;

    @Option(
            names = "--contexts",
            split = ",",
            paramLabel = "N",
            defaultValue = "2048,8192",
            description = "Context lengths in tokens. Default: ${DEFAULT-VALUE}.")
    List<Integer> contexts;

    @Option(
            names = "--window",
            defaultValue = "8192",
            description =
                    "Sliding window k of ttt-e2e and swa (keys per query, itself included); full"
                            + " attention covers every token. Default: ${DEFAULT-VALUE}.")
    int window;

    @Option(
            names = "--mini-batch",
            defaultValue = "1024",
            description = "TTT mini-batch b (also the prefill chunk). Default: ${DEFAULT-VALUE}.")
    int miniBatch;

    @Option(
            names = "--modes",
            split = ",",
            defaultValue = "ttt-e2e,swa,full",
            description = "Modes: ttt-e2e, swa, full. Default: ${DEFAULT-VALUE}.")
    List<String> modes;

    @Option(
            names = "--decode-tokens",
            paramLabel = "N",
            defaultValue = "32",
            description =
                    "Tokens decoded (timed one by one) after each prefill; in ttt-e2e one of them"
                            + " takes the TTT step, which is amortised over b tokens. 0: no"
                            + " decode timing. Default: ${DEFAULT-VALUE}.")
    int decodeTokens;

    @Option(
            names = "--warmup",
            defaultValue = "1",
            description = "Untimed runs per configuration first. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(
            names = "--repeats",
            defaultValue = "3",
            description = "Timed runs per configuration. Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Option(
            names = "--prefill-piece",
            paramLabel = "N",
            defaultValue = "0",
            description =
                    "Feed the prefill in calls of N tokens (a multiple of the mini-batch), the"
                            + " rest in a last call; 0: the whole context in one call. The engine"
                            + " keeps a call's intermediates until it returns. Default:"
                            + " ${DEFAULT-VALUE}.")
    int prefillPiece;

    @Option(
            names = "--max-minutes",
            defaultValue = "0",
            description =
                    "Per configuration: stop repeating once the timed runs took this long (at"
                            + " least one runs; bench.json records repeats_done). 0: no limit."
                            + " Default: ${DEFAULT-VALUE}.")
    double maxMinutes;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Seed of the random weights and tokens. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(
            names = "--output",
            paramLabel = "DIR",
            required = true,
            description = "Directory for bench.json and the plots (created if missing).")
    Path output;

    @Option(
            names = "--no-ops",
            description = "Skip the op and sync counts (they run on a narrow model, one more JVM).")
    boolean noOps;

    @Option(
            names = "--ops-only",
            description = "Only count ops and syncs (no timing runs on the full-size model).")
    boolean opsOnly;

    @Option(
            names = "--replot",
            description =
                    "Run nothing: read DIR/bench.json, recompute the ratios, and rewrite the"
                            + " table and the plots from it.")
    boolean replot;

    @Option(
            names = "--ops-mini-batches",
            paramLabel = "M",
            defaultValue = "0",
            description =
                    "Mini-batches the op counts average over (the engine holds a feed call's"
                            + " intermediates, so memory grows with M). 0: ceil(window/b) + 1, so"
                            + " the rings wrap at least once. Default: ${DEFAULT-VALUE}.")
    int opsMiniBatches;

    @Option(
            names = "--profile",
            description =
                    "Also profile one prefill and one decode token per configuration and report"
                            + " where the time goes.")
    boolean profile;

    @Option(
            names = "--worker-heap",
            defaultValue = "2g",
            description = "Java heap (-Xmx) of each child JVM. Default: ${DEFAULT-VALUE}.")
    String workerHeap;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException, InterruptedException {
        if (replot) {
            JsonObject report =
                    JsonParser.parseString(
                                    Files.readString(
                                            output.resolve("bench.json"), StandardCharsets.UTF_8))
                            .getAsJsonObject();
            // Ratios are derived; recompute them with this version's definitions.
            report.add("ratios", BenchReport.ratios(report.getAsJsonArray("results")));
            writeJson(report);
            System.out.print(BenchReport.table(report));
            writePlots(report);
            return 0;
        }
        BenchPreset shape = BenchPreset.parse(preset);
        List<BenchMode> modeList = parseModes();
        String dev = DeviceOption.parse(device).isGpu() ? "gpu" : "cpu";
        String type =
                dtype == null
                        ? (dev.equals("gpu") ? "fp16" : "fp32")
                        : dtype.toLowerCase(Locale.ROOT);
        if (!type.equals("fp32") && !type.equals("fp16")) {
            throw new UserException("--dtype " + dtype + " must be fp32 or fp16");
        }
        String att = attention.toLowerCase(Locale.ROOT);
        if (!att.equals("fused") && !att.equals("plain")) {
            throw new UserException("--attention " + attention + " must be fused or plain");
        }
        String exec = ExecutionOption.parse(execution).name().toLowerCase(Locale.ROOT);
        validate();
        int decode = decodeTokens;
        Files.createDirectories(output);
        JsonObject report = new JsonObject();
        report.addProperty("tool", "ttt bench");
        report.addProperty("format_version", 1);
        report.addProperty("date", Instant.now().toString());
        report.addProperty("preset", shape.label());
        report.addProperty("device", dev);
        report.addProperty("dtype", type);
        report.addProperty("attention", att);
        report.addProperty("execution", exec);
        report.addProperty("window", window);
        report.addProperty("mini_batch", miniBatch);
        report.addProperty("decode_tokens", decode);
        report.addProperty("warmup", warmup);
        report.addProperty("repeats", repeats);
        report.addProperty("max_minutes", maxMinutes);
        report.addProperty("prefill_piece", prefillPiece);
        report.addProperty("seed", seed);
        report.add("machine", machine(dev.equals("gpu")));
        report.add("definitions", definitions());
        JsonObject base = new JsonObject();
        base.addProperty("preset", shape.label());
        base.addProperty("device", dev);
        base.addProperty("dtype", type);
        base.addProperty("attention", att);
        base.addProperty("execution", exec);
        base.addProperty("window", window);
        base.addProperty("mini_batch", miniBatch);
        base.addProperty("decode_tokens", decode);
        base.addProperty("warmup", warmup);
        base.addProperty("repeats", repeats);
        base.addProperty("seed", seed);
        base.addProperty("profile", profile);
        base.addProperty("max_seconds", maxMinutes * 60);
        base.addProperty("prefill_piece", prefillPiece);
        base.addProperty("ops_mini_batches", opsMiniBatches);
        Path work = Files.createTempDirectory("ttt-bench-");
        int failures = 0;
        if (noOps && opsOnly) {
            throw new UserException("--ops-only and --no-ops exclude each other");
        }
        try {
            JsonArray results = new JsonArray();
            report.add("results", results);
            for (BenchMode mode : opsOnly ? List.<BenchMode>of() : modeList) {
                for (int context : contexts) {
                    JsonObject spec = base.deepCopy();
                    spec.addProperty("task", "timing");
                    spec.addProperty("mode", mode.label());
                    spec.addProperty("context", context);
                    System.err.printf(
                            "ttt bench: %s %s, context %d ...%n",
                            shape.label(), mode.label(), context);
                    JsonObject r = runWorker(spec, work, null);
                    if (r.has("error")) {
                        failures++;
                        r.addProperty("mode", mode.label());
                        r.addProperty("context", context);
                    }
                    results.add(r);
                    report.add("ratios", BenchReport.ratios(results));
                    // Written after every configuration, so a long run that is stopped keeps
                    // what it measured.
                    writeJson(report);
                }
            }
            report.add("ratios", BenchReport.ratios(results));
            if (!noOps) {
                JsonObject spec = base.deepCopy();
                spec.addProperty("task", "ops");
                JsonArray names = new JsonArray();
                modeList.forEach(m -> names.add(m.label()));
                spec.add("modes", names);
                Path agent = work.resolve("jni-call-agent.jar");
                JniCallAgent.writeAgentJar(agent);
                System.err.printf("ttt bench: %s op and sync counts ...%n", shape.label());
                JsonObject ops = runWorker(spec, work, agent);
                if (ops.has("error")) {
                    failures++;
                }
                report.add("ops", ops);
            }
        } finally {
            deleteTree(work);
        }
        writeJson(report);
        System.out.print(BenchReport.table(report));
        System.out.println("wrote " + output.resolve("bench.json"));
        writePlots(report);
        if (failures > 0) {
            throw new UserException(
                    failures + " configuration(s) failed; see the errors above and bench.json");
        }
        return 0;
    }

    /**
     * Draws the plots, or warns and carries on where this Java runtime cannot draw (a runtime
     * without {@code java.desktop}, such as the GPU kit's): the table and bench.json are written
     * already, and {@code --replot} draws the plots later on another machine.
     */
    private void writePlots(JsonObject report) throws IOException {
        Drawing.orWarn(
                "ttt bench",
                "run `ttt bench --replot --output " + output + "` where Java can draw",
                () -> drawPlots(report));
    }

    private void drawPlots(JsonObject report) throws IOException {
        byte[] prefillPng =
                BenchReport.plot(
                        report, "prefill_s_per_1k", "Prefill latency", "seconds per 1K tokens");
        if (prefillPng != null) {
            AtomicWriter.writeBytes(output.resolve("bench.png"), prefillPng);
        }
        byte[] decodePng =
                BenchReport.plot(
                        report, "decode_ms_per_token", "Decode latency", "milliseconds per token");
        if (decodePng != null) {
            AtomicWriter.writeBytes(output.resolve("bench-decode.png"), decodePng);
        }
    }

    private void writeJson(JsonObject report) throws IOException {
        String json = new GsonBuilder().setPrettyPrinting().create().toJson(report) + "\n";
        AtomicWriter.writeString(output.resolve("bench.json"), json);
    }

    private List<BenchMode> parseModes() {
        LinkedHashSet<BenchMode> set = new LinkedHashSet<>();
        for (String m : modes) {
            set.add(BenchMode.parse(m));
        }
        return new ArrayList<>(set);
    }

    private void validate() {
        if (contexts.isEmpty()) {
            throw new UserException("--contexts needs at least one length");
        }
        for (int c : contexts) {
            if (c < 1) {
                throw new UserException("--contexts: " + c + " must be at least 1");
            }
        }
        if (window < 1) {
            throw new UserException("--window " + window + " must be at least 1");
        }
        if (miniBatch < 1) {
            throw new UserException("--mini-batch " + miniBatch + " must be at least 1");
        }
        if (decodeTokens < 0) {
            throw new UserException("--decode-tokens " + decodeTokens + " must be ≥ 0");
        }
        if (prefillPiece < 0 || prefillPiece % miniBatch != 0) {
            throw new UserException(
                    "--prefill-piece "
                            + prefillPiece
                            + " must be 0 or a multiple of the mini-batch "
                            + miniBatch);
        }
        if (warmup < 0 || repeats < 1) {
            throw new UserException("--warmup must be ≥ 0 and --repeats ≥ 1");
        }
    }

    /** Runs one child JVM; returns its result, or {@code {error}} if it failed. */
    private JsonObject runWorker(JsonObject spec, Path work, Path agent)
            throws IOException, InterruptedException {
        Path specFile = Files.createTempFile(work, "spec-", ".json");
        Path resultFile = Files.createTempFile(work, "result-", ".json");
        Files.writeString(specFile, spec.toString(), StandardCharsets.UTF_8);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + workerHeap);
        if (agent != null) {
            cmd.add("-javaagent:" + agent);
        }
        for (Map.Entry<Object, Object> p : System.getProperties().entrySet()) {
            String k = p.getKey().toString();
            if (k.startsWith("ai.djl.") || k.startsWith("org.slf4j.") || k.startsWith("ttt.")) {
                cmd.add("-D" + k + "=" + p.getValue());
            }
        }
        cmd.add("-Djava.awt.headless=true");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(BenchWorker.class.getName());
        cmd.add(specFile.toString());
        cmd.add(resultFile.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        // The worker's standard output (DJL's start-up lines) must not mix with the table.
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("worker.log").toFile()));
        Process p = pb.start();
        int code = p.waitFor();
        String text = Files.readString(resultFile, StandardCharsets.UTF_8);
        if (code != 0 || text.isBlank()) {
            JsonObject e = new JsonObject();
            e.addProperty("error", "worker exited with code " + code);
            System.err.println("ttt bench: worker exited with code " + code);
            return e;
        }
        return JsonParser.parseString(text).getAsJsonObject();
    }

    private static JsonObject machine(boolean gpu) {
        JsonObject m = new JsonObject();
        if (gpu) {
            m.addProperty("gpu", ai.ttt.cli.bench.MemoryProbe.gpuName());
        }
        m.addProperty("cores", Runtime.getRuntime().availableProcessors());
        m.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.addProperty("java", System.getProperty("java.version"));
        m.addProperty(
                "pytorch_threads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
        try {
            m.addProperty(
                    "load_average_at_start",
                    Files.readString(Path.of("/proc/loadavg"), StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            m.addProperty("load_average_at_start", "n/a");
        }
        return m;
    }

    private static JsonObject definitions() {
        JsonObject d = new JsonObject();
        d.addProperty(
                "prefill_s_per_1k",
                "seconds of one SequenceState.feed of context+1 tokens (so each of the"
                        + " context/b mini-batches has its targets and takes its TTT step), from a"
                        + " fresh state, divided by context/1024; ends with one value read back");
        d.addProperty(
                "decode_ms_per_token",
                "amortised milliseconds per token: decode_tokens single-token feeds on the state"
                        + " that prefilled the context (real, not synthetic), each ending with one"
                        + " value read back as sampling would; in ttt-e2e untimed filler tokens"
                        + " first bring the open mini-batch close to full so that one decode"
                        + " token takes the TTT step, and the figure is ((b-1) x plain token +"
                        + " that token) / b; decode_plain_ms_per_token and decode_ttt_step_ms"
                        + " give the parts");
        d.addProperty(
                "peak_rss_bytes",
                "VmHWM of the child JVM that ran only this configuration (weights, JVM and"
                        + " engine included); rss_after_build_bytes is VmRSS once the weights exist");
        d.addProperty(
                "gpu_memory_bytes",
                "GPU only: the GPU memory the child JVM holds at the end of the run, as the"
                        + " driver lists it per process (nvidia-smi); PyTorch's caching allocator"
                        + " keeps its peak reservation, so this is the run's peak reserved memory"
                        + " plus the CUDA context. gpu_memory_source says 'device delta' where the"
                        + " driver does not list the process: then it is cudaMemGetInfo after the"
                        + " run minus before the model (gpu_device_delta_bytes, device-wide). The"
                        + " allocator's peak-allocated statistic is not reachable through DJL or"
                        + " TorchScript");
        d.addProperty(
                "full_window",
                "full attention runs the same engine with the window set to every token fed"
                        + " (context + 1 + decode_tokens + 1), so no key is ever dropped; the"
                        + " engine then attends every chunk to the whole preallocated ring, empty"
                        + " slots masked");
        d.addProperty(
                "ops",
                "counted on a narrow model (d=64, 4 heads, MLP 128, vocabulary 512) with the"
                        + " preset's layer structure, window and mini-batch: aten_ops = PyTorch"
                        + " profiler top-level ops on the calling thread; jni_ops = calls into DJL's"
                        + " PyTorch JNI that run a tensor op, counted by a Java agent; reads ="
                        + " device-to-host reads, uploads = tensors made from host memory, syncing"
                        + " = ops needing a device value on the host; per mini-batch = (long"
                        + " prefill − one-mini-batch prefill) / extra mini-batches");
        return d;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
