package ai.ttt.spark.bench;

import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.ttt.spark.TttScorer;
import ai.ttt.translators.ScoreResult;
import ai.ttt.translators.TttModels;
import ai.ttt.translators.TttSession;
import ai.ttt.translators.TttTokenizer;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * One benchmark configuration in a JVM of its own (started by {@link SparkBench}): scores every
 * document of a folder, either in a plain loop (the single-JVM baseline: {@code Criteria}, then one
 * {@link TttSession} per document, one after the other) or with {@link TttScorer} on Spark in local
 * mode, and prints one line {@code RESULT {json}}.
 *
 * <pre>
 * SparkBenchWorker loop  DIR MODEL THREADS
 * SparkBenchWorker spark DIR MODEL MASTER TASK_CPUS
 * </pre>
 *
 * <p>Both first score a short warm-up text (the model is loaded, the kernels run once), then time
 * all documents. Spark gets one partition per document, longest first, so that the slots take the
 * long books first and the short ones fill in (greedy longest-first scheduling).
 */
public final class SparkBenchWorker {

    private SparkBenchWorker() {}

    /** A scored document. */
    private record Scored(String name, long tokens, double meanNll) {}

    /**
     * Runs one configuration.
     *
     * @param args see the class documentation
     * @throws Exception if it fails (the parent reports the configuration as failed)
     */
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path dir = Path.of(args[1]);
        String model = args[2];
        Map<String, String> documents = new TreeMap<>();
        for (Path file : BenchDocuments.list(dir)) {
            documents.put(
                    file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
        }
        String warmup = documents.values().iterator().next();
        warmup = warmup.substring(0, Math.min(warmup.length(), 300));
        JsonObject result = new JsonObject();
        result.addProperty("mode", mode);
        result.addProperty("documents", documents.size());
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        List<Scored> scored;
        if (mode.equals("loop")) {
            int threads = Integer.parseInt(args[3]);
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
            result.addProperty("torch_threads", threads);
            scored = loop(model, documents, warmup, result);
        } else {
            String master = args[3];
            int taskCpus = Integer.parseInt(args[4]);
            result.addProperty("master", master);
            result.addProperty("task_cpus", taskCpus);
            result.addProperty("torch_threads", taskCpus);
            scored = spark(model, master, taskCpus, documents, warmup, result);
        }
        long tokens = scored.stream().mapToLong(Scored::tokens).sum();
        double seconds = result.get("seconds").getAsDouble();
        result.addProperty("tokens", tokens);
        result.addProperty("documents_per_second", documents.size() / seconds);
        result.addProperty("tokens_per_second", tokens / seconds);
        result.addProperty("peak_rss_bytes", procStatus("VmHWM"));
        result.addProperty("checksum", checksum(scored));
        System.out.println("RESULT " + new Gson().toJson(result));
        System.out.flush();
    }

    private static List<Scored> loop(
            String model, Map<String, String> documents, String warmup, JsonObject result)
            throws Exception {
        long start = System.nanoTime();
        String[] id = model.split(":", 2);
        Criteria<String, String> criteria =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optGroupId(id[0])
                        .optArtifactId(id[1])
                        .build();
        List<Scored> scored = new ArrayList<>();
        try (ZooModel<String, String> zoo = criteria.loadModel()) {
            TttTokenizer tokenizer = TttModels.loadTokenizer(zoo);
            var lm = TttModels.languageModel(zoo.getBlock());
            try (TttSession session = TttSession.create(lm, tokenizer, true)) {
                session.score(warmup);
            }
            result.addProperty("warmup_seconds", (System.nanoTime() - start) / 1e9);
            result.addProperty("rss_after_warmup_bytes", procStatus("VmRSS"));
            Measure measure = new Measure();
            long lastLine = System.nanoTime();
            long tokens = 0;
            for (Map.Entry<String, String> document : documents.entrySet()) {
                try (TttSession session = TttSession.create(lm, tokenizer, true)) {
                    ScoreResult r = session.score(document.getValue());
                    scored.add(new Scored(document.getKey(), r.size() + 1, r.meanNll()));
                    tokens += r.size() + 1;
                }
                if (System.nanoTime() - lastLine > 10e9) {
                    lastLine = System.nanoTime();
                    System.err.printf(
                            "loop: %d/%d documents, %,d tokens, %,.0f tokens/s%n",
                            scored.size(), documents.size(), tokens, tokens / measure.seconds());
                }
            }
            measure.record(result);
        }
        return scored;
    }

    private static List<Scored> spark(
            String model,
            String master,
            int taskCpus,
            Map<String, String> documents,
            String warmup,
            JsonObject result) {
        long start = System.nanoTime();
        // Spark's start-up lines (INFO) would bury the progress lines.
        org.apache.logging.log4j.core.config.Configurator.setRootLevel(
                org.apache.logging.log4j.Level.WARN);
        SparkSession spark =
                SparkSession.builder()
                        .master(master)
                        .appName("ttt-spark-bench")
                        .config("spark.task.cpus", taskCpus)
                        .config("spark.ui.enabled", false)
                        .config("spark.ui.showConsoleProgress", false)
                        .config("spark.driver.host", "127.0.0.1")
                        .config("spark.driver.bindAddress", "127.0.0.1")
                        .getOrCreate();
        try {
            JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
            StructType schema =
                    new StructType()
                            .add("name", DataTypes.StringType, false)
                            .add("text", DataTypes.StringType, false);
            TttScorer scorer = new TttScorer().setModel(model);
            int slots = spark.sparkContext().defaultParallelism() / taskCpus;
            List<Row> warmupRows = new ArrayList<>();
            for (int i = 0; i < Math.max(1, slots); i++) {
                warmupRows.add(RowFactory.create("warmup-" + i, warmup));
            }
            scorer.transform(
                            spark.createDataFrame(
                                    context.parallelize(warmupRows, warmupRows.size()), schema))
                    .collectAsList();
            result.addProperty("warmup_seconds", (System.nanoTime() - start) / 1e9);
            result.addProperty("rss_after_warmup_bytes", procStatus("VmRSS"));

            List<Row> rows = new ArrayList<>();
            documents.entrySet().stream()
                    .sorted(Comparator.comparingInt(e -> -e.getValue().length()))
                    .forEach(e -> rows.add(RowFactory.create(e.getKey(), e.getValue())));
            Dataset<Row> frame =
                    spark.createDataFrame(context.parallelize(rows, rows.size()), schema);
            AtomicInteger done = new AtomicInteger();
            long timedStart = System.nanoTime();
            spark.sparkContext()
                    .addSparkListener(
                            new SparkListener() {
                                @Override
                                public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
                                    int n = done.incrementAndGet();
                                    if (n % 10 == 0 || n == rows.size()) {
                                        System.err.printf(
                                                "%s: %d/%d documents done in %.0f s%n",
                                                master,
                                                n,
                                                rows.size(),
                                                (System.nanoTime() - timedStart) / 1e9);
                                    }
                                }
                            });
            Measure measure = new Measure();
            List<Row> out =
                    scorer.transform(frame)
                            .select("name", "score.tokens", "score.mean_nll", "error")
                            .collectAsList();
            measure.record(result);
            List<Scored> scored = new ArrayList<>();
            for (Row row : out) {
                if (!row.isNullAt(3)) {
                    throw new IllegalStateException(row.getString(0) + ": " + row.getString(3));
                }
                scored.add(new Scored(row.getString(0), row.getInt(1) + 1, row.getDouble(2)));
            }
            return scored;
        } finally {
            spark.stop();
        }
    }

    /** Wall time, process CPU time and load average over the timed part. */
    private static final class Measure {
        private final long start = System.nanoTime();
        private final long cpuStart = processCpuNanos();
        private final double loadStart = loadAverage();

        double seconds() {
            return (System.nanoTime() - start) / 1e9;
        }

        void record(JsonObject result) {
            double seconds = seconds();
            double cpu = (processCpuNanos() - cpuStart) / 1e9;
            result.addProperty("seconds", seconds);
            result.addProperty("cpu_seconds", cpu);
            result.addProperty("cpu_per_wall", cpu / seconds);
            result.addProperty("load_average_before", loadStart);
            result.addProperty("load_average_after", loadAverage());
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** A memory figure of /proc/self/status in bytes ({@code VmRSS}, {@code VmHWM}), or -1. */
    static long procStatus(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return 1024 * Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        return -1;
    }

    /** The first 16 hex digits of SHA-256 over every document's name and mean NLL bits. */
    private static String checksum(List<Scored> scored) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        scored.stream()
                .sorted(Comparator.comparing(Scored::name))
                .forEach(
                        s ->
                                sha.update(
                                        (s.name()
                                                        + ":"
                                                        + Long.toHexString(
                                                                Double.doubleToRawLongBits(
                                                                        s.meanNll()))
                                                        + "\n")
                                                .getBytes(StandardCharsets.UTF_8)));
        return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    }
}
