package ai.ttt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 1 and 5: the shaded {@code target/ttt-spark.jar} run as {@code spark-submit} runs an
 * application, in a JVM of its own: Spark's {@code SparkSubmit} main class with Spark's jars (the
 * provided scope, {@code target/spark-classpath.txt}) on the class path, the Java 17 flags Spark's
 * launcher adds, {@code --class ai.ttt.spark.ScoreTextFiles} and the jar. There is no Spark
 * installation on the build machines; this is the command {@code bin/spark-submit} builds.
 */
class SparkSubmitIT {

    static final Path TARGET = Path.of("target");

    @TempDir Path tmp;

    @Test
    void shadedJarHasTheEngineButNotSpark() throws IOException {
        try (ZipFile jar = new ZipFile(TARGET.resolve("ttt-spark.jar").toFile())) {
            List<String> names = jar.stream().map(e -> e.getName()).toList();
            assertTrue(names.contains("ai/ttt/spark/TttScorer.class"));
            assertTrue(names.contains("ai/ttt/zoo/TttModelZoo.class"));
            assertTrue(names.stream().anyMatch(n -> n.startsWith("pytorch/cpu/")), "libtorch");
            assertTrue(
                    names.stream().anyMatch(n -> n.startsWith("ai/ttt/spark/shaded/gson/")),
                    "Gson relocated");
            for (String prefix :
                    List.of("org/apache/spark/", "scala/", "org/slf4j/", "com/google/gson/")) {
                assertFalse(
                        names.stream().anyMatch(n -> n.startsWith(prefix)),
                        "the jar must not contain " + prefix);
            }
        }
    }

    @Test
    void sparkSubmitScoresTextFilesIntoParquetAsTttScoreDoes() throws Exception {
        Path input = Files.createDirectories(tmp.resolve("in"));
        List<String> documents = Documents.generate(2, 200, 400, 4242);
        Files.writeString(input.resolve("a.txt"), documents.get(0), StandardCharsets.UTF_8);
        Files.writeString(input.resolve("b.txt"), documents.get(1), StandardCharsets.UTF_8);
        // "caf\xe9": Latin-1, not UTF-8. (An empty file gives no row: Spark's text reader skips
        // it.)
        Files.write(input.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xe9, '\n'});
        Path output = tmp.resolve("scores.parquet");

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx2g");
        command.addAll(List.of(System.getProperty("spark.java17.options").split(" ")));
        command.add("-cp");
        command.add(Files.readString(TARGET.resolve("spark-classpath.txt")).trim());
        command.add("org.apache.spark.deploy.SparkSubmit");
        command.addAll(
                List.of(
                        "--master",
                        "local[2]",
                        // ttt-spark gives PyTorch spark.task.cpus threads per JVM; this test JVM's
                        // ttt score, the reference, runs with 2 (and 1 and 2 differ in the last
                        // bits of some documents).
                        "--conf",
                        "spark.task.cpus=2",
                        "--conf",
                        "spark.ui.enabled=false",
                        "--conf",
                        "spark.driver.host=127.0.0.1",
                        "--conf",
                        "spark.driver.bindAddress=127.0.0.1",
                        "--class",
                        "ai.ttt.spark.ScoreTextFiles",
                        TARGET.resolve("ttt-spark.jar").toAbsolutePath().toString(),
                        "--token-nll",
                        input.toString(),
                        output.toString()));
        Process process = new ProcessBuilder(command).directory(tmp.toFile()).start();
        CompletableFuture<String> out = read(process.getInputStream());
        CompletableFuture<String> err = read(process.getErrorStream());
        assertTrue(process.waitFor(300, TimeUnit.SECONDS), "spark-submit did not finish");
        String log = "--- stdout\n" + out.get() + "\n--- stderr\n" + err.get();
        assertEquals(0, process.exitValue(), log);
        assertTrue(out.get().contains("scored 3 documents (1 with errors"), log);
        assertTrue(err.get().contains("ttt-spark: closed ai.ttt:kjv-5m"), "closed at exit\n" + log);

        SparkSession spark = LocalSpark.start(1, SparkSubmitIT.class);
        try {
            Map<String, Row> byFile = new TreeMap<>();
            for (Row row : spark.read().parquet(output.toString()).collectAsList()) {
                String path = row.getString(0);
                byFile.put(path.substring(path.lastIndexOf('/') + 1), row);
            }
            assertEquals(List.of("a.txt", "b.txt", "latin1.txt"), List.copyOf(byFile.keySet()));
            assertNull(byFile.get("latin1.txt").get(1));
            assertEquals(
                    "value is not valid UTF-8: 1 bad byte(s) at offset 3 of 5",
                    byFile.get("latin1.txt").getString(2));
            for (int i = 0; i < 2; i++) {
                Row row = byFile.get(i == 0 ? "a.txt" : "b.txt");
                assertNull(row.get(2));
                Cli.Score expected = Cli.score(documents.get(i), true, null, tmp);
                Row score = row.getStruct(1);
                assertEquals(
                        Double.doubleToRawLongBits(expected.meanNll()),
                        Double.doubleToRawLongBits(score.getDouble(0)));
                float[] tokenNll = TttScorerDeterminismTest.floats(score.getList(3));
                assertEquals(expected.tokenNll().length, tokenNll.length);
                for (int t = 0; t < tokenNll.length; t++) {
                    assertEquals(
                            Float.floatToRawIntBits(expected.tokenNll()[t]),
                            Float.floatToRawIntBits(tokenNll[t]));
                }
            }
        } finally {
            spark.stop();
        }
    }

    private static CompletableFuture<String> read(InputStream s) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return new String(s.readAllBytes(), StandardCharsets.UTF_8);
                    } catch (IOException e) {
                        return e.toString();
                    }
                });
    }
}
