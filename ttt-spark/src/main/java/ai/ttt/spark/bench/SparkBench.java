package ai.ttt.spark.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * The ttt-spark benchmark: documents per second on Spark in local mode against a single-JVM loop
 * over the same documents, and an executor's peak memory for a short and a long document. Each
 * configuration runs in a JVM of its own ({@link SparkBenchWorker}), so each one's memory and
 * PyTorch thread count are its own.
 *
 * <pre>
 * java -cp "ttt-spark/target/ttt-spark.jar:$(cat ttt-spark/target/spark-classpath.txt)" \
 *     ai.ttt.spark.bench.SparkBench --bible kjv.txt --max-bytes 8192 \
 *     --configs loop:1,loop:2,local[1],local[2],local[2]:2 --memory 1024,65536 --output bench-spark
 * </pre>
 *
 * <ul>
 *   <li>{@code --bible FILE}: the output of {@code bible -f "Gen1:1-Rev22:21"} (Debian package
 *       {@code bible-kjv}); the 66 books become 66 documents;
 *   <li>{@code --max-bytes N}: cut each book at its last verse within N bytes (0: whole books);
 *   <li>{@code --configs}: {@code loop:T} (the loop with T PyTorch threads), {@code local[N]}
 *       (Spark with N task slots, one PyTorch thread per task), {@code local[N]:C} ({@code
 *       spark.task.cpus=C}: N/C tasks at a time, C threads);
 *   <li>{@code --memory T1,T2,...}: per length, one document of exactly that many tokens scored on
 *       {@code local[1]}; reports resident memory after the warm-up and the peak;
 *   <li>{@code --model ID} (default {@code ai.ttt:kjv-5m}), {@code --heap} (child {@code -Xmx},
 *       default 3g), {@code --output DIR} (documents, {@code spark-bench.json}, {@code
 *       spark-bench.md}).
 * </ul>
 *
 * <p>{@code SparkBench --table spark-bench.json} prints the tables of an earlier run again.
 *
 * <p>On a machine that other work shares, wall-clock rates say how much CPU the run was given as
 * much as how fast it is; the tables therefore also give tokens per CPU second (the process's CPU
 * time, all threads) and the CPU/wall ratio.
 */
public final class SparkBench {

    private SparkBench() {}

    /**
     * Runs the benchmark.
     *
     * @param args see the class documentation
     * @throws Exception if the documents cannot be prepared
     */
    public static void main(String[] args) throws Exception {
        Path bible = null;
        int maxBytes = 8192;
        String configs = "loop:1,loop:2,local[1],local[2],local[2]:2";
        String memory = "";
        String model = "ai.ttt:kjv-5m";
        String heap = "3g";
        Path output = null;
        if (args.length == 2 && args[0].equals("--table")) {
            System.out.print(
                    table(
                            JsonParser.parseString(Files.readString(Path.of(args[1])))
                                    .getAsJsonObject()));
            return;
        }
        for (int i = 0; i < args.length; i += 2) {
            String value = args[i + 1];
            switch (args[i]) {
                case "--bible" -> bible = Path.of(value);
                case "--max-bytes" -> maxBytes = Integer.parseInt(value);
                case "--configs" -> configs = value;
                case "--memory" -> memory = value;
                case "--model" -> model = value;
                case "--heap" -> heap = value;
                case "--output" -> output = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (bible == null || output == null) {
            throw new IllegalArgumentException("--bible FILE and --output DIR are required");
        }
        String text = Files.readString(bible, StandardCharsets.UTF_8);
        Path documents = output.resolve("documents");
        List<Path> files = BenchDocuments.writeBooks(text, maxBytes, documents);
        long bytes = 0;
        for (Path f : files) {
            bytes += Files.size(f);
        }
        System.err.printf("%d documents, %,d bytes, in %s%n", files.size(), bytes, documents);

        JsonObject report = new JsonObject();
        report.addProperty("model", model);
        report.addProperty("documents", files.size());
        report.addProperty("bytes", bytes);
        report.addProperty("max_bytes", maxBytes);
        report.addProperty("cores", Runtime.getRuntime().availableProcessors());
        report.addProperty("java", System.getProperty("java.version"));
        JsonArray throughput = new JsonArray();
        report.add("throughput", throughput);
        JsonArray memoryResults = new JsonArray();
        report.add("memory", memoryResults);
        for (String config : configs.split(",")) {
            List<String> worker = new ArrayList<>(List.of(documents.toString(), model));
            if (config.startsWith("loop:")) {
                worker.add(0, "loop");
                worker.add(config.substring("loop:".length()));
            } else {
                String[] parts = config.split(":");
                worker.add(0, "spark");
                worker.add(parts[0]);
                worker.add(parts.length > 1 ? parts[1] : "1");
            }
            throughput.add(run(config, worker, heap));
            write(output, report);
        }
        for (String tokens : memory.isEmpty() ? new String[0] : memory.split(",")) {
            Path dir = output.resolve("memory-" + tokens);
            BenchDocuments.writeTokens(text, Integer.parseInt(tokens), dir.resolve("doc.txt"));
            JsonObject r =
                    run(
                            "memory " + tokens + " tokens",
                            List.of("spark", dir.toString(), model, "local[1]", "1"),
                            heap);
            r.addProperty("document_tokens", Integer.parseInt(tokens));
            memoryResults.add(r);
            write(output, report);
        }
        System.out.print(table(report));
    }

    /** Runs a worker JVM and returns its result (or the failure). */
    private static JsonObject run(String label, List<String> workerArgs, String heap)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + heap);
        command.addAll(List.of(JavaModuleOptions.defaultModuleOptions().split(" ")));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(SparkBenchWorker.class.getName());
        command.addAll(workerArgs);
        System.err.println("== " + label + ": " + String.join(" ", workerArgs));
        Process p =
                new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        JsonObject result = null;
        try (BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith("RESULT ")) {
                    result = JsonParser.parseString(line.substring(7)).getAsJsonObject();
                }
            }
        }
        int exit = p.waitFor();
        if (result == null) {
            result = new JsonObject();
            result.addProperty("failed", "exit " + exit);
        }
        result.addProperty("config", label);
        System.err.println("== " + label + ": " + result);
        return result;
    }

    private static void write(Path output, JsonObject report) throws IOException {
        Files.createDirectories(output);
        Files.writeString(
                output.resolve("spark-bench.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(report) + "\n");
        Files.writeString(output.resolve("spark-bench.md"), table(report));
    }

    /** The Markdown tables of a report. */
    static String table(JsonObject report) {
        StringBuilder s = new StringBuilder();
        s.append(
                "| config | PyTorch threads | documents/s | tokens/s | s | CPU/wall | tokens per CPU s"
                        + " | load avg before–after | peak RSS | checksum |\n");
        s.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (var e : report.getAsJsonArray("throughput")) {
            JsonObject r = e.getAsJsonObject();
            if (r.has("failed")) {
                s.append("| ").append(r.get("config").getAsString()).append(" | failed |\n");
                continue;
            }
            s.append(
                    String.format(
                            Locale.ROOT,
                            "| %s | %d | %.3f | %,.0f | %.0f | %.2f | %,.0f | %.1f–%.1f | %.2f GB |"
                                    + " `%s` |%n",
                            r.get("config").getAsString(),
                            r.get("torch_threads").getAsInt(),
                            r.get("documents_per_second").getAsDouble(),
                            r.get("tokens_per_second").getAsDouble(),
                            r.get("seconds").getAsDouble(),
                            r.get("cpu_per_wall").getAsDouble(),
                            r.get("tokens").getAsLong() / r.get("cpu_seconds").getAsDouble(),
                            r.get("load_average_before").getAsDouble(),
                            r.get("load_average_after").getAsDouble(),
                            r.get("peak_rss_bytes").getAsLong() / 1e9,
                            r.get("checksum").getAsString()));
        }
        if (!report.getAsJsonArray("memory").isEmpty()) {
            s.append("\n| document | RSS after warm-up | peak RSS | s |\n|---|---|---|---|\n");
            for (var e : report.getAsJsonArray("memory")) {
                JsonObject r = e.getAsJsonObject();
                if (r.has("failed")) {
                    s.append("| ").append(r.get("config").getAsString()).append(" | failed |\n");
                    continue;
                }
                s.append(
                        String.format(
                                Locale.ROOT,
                                "| %,d tokens | %.3f GB | %.3f GB | %.0f |%n",
                                r.get("document_tokens").getAsInt(),
                                r.get("rss_after_warmup_bytes").getAsLong() / 1e9,
                                r.get("peak_rss_bytes").getAsLong() / 1e9,
                                r.get("seconds").getAsDouble()));
            }
        }
        return s.toString();
    }
}
