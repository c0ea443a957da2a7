package ai.ttt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 5: the README's Java snippets of "Many documents on Spark", as written there (only the
 * paths point into a temporary folder), run and produce what the README says.
 */
class ReadmeExampleTest {

    @TempDir static Path tmp;
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start(2, ReadmeExampleTest.class);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void textFilesToScoresInParquet() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("books"));
        List<String> texts = Documents.generate(2, 150, 250, 31);
        Files.writeString(dir.resolve("a.txt"), texts.get(0));
        Files.writeString(dir.resolve("b.txt"), texts.get(1));
        String books = dir.toString();
        String parquet = tmp.resolve("scores.parquet").toString();

        // --- README ---
        Dataset<Row> documents =
                spark.read()
                        .option("wholetext", true) // one row per file, in the column "value"
                        .text(books)
                        .withColumn("path", functions.input_file_name());
        Dataset<Row> scored =
                new TttScorer()
                        .setInputCol("value")
                        .setModel("ai.ttt:kjv-5m") // or a model directory on every executor
                        .setTtt(true) // false: the fast weights stay at W0
                        .transform(documents);
        scored.select("path", "score.mean_nll", "score.perplexity", "score.tokens", "error")
                .write()
                .parquet(parquet);
        // --- end ---

        List<Row> rows = spark.read().parquet(parquet).orderBy("path").collectAsList();
        assertEquals(2, rows.size());
        for (int i = 0; i < 2; i++) {
            Row row = rows.get(i);
            assertTrue(row.getString(0).endsWith(i == 0 ? "a.txt" : "b.txt"));
            assertNull(row.get(4));
            assertEquals(Math.exp(row.getDouble(1)), row.getDouble(2));
            assertEquals(
                    texts.get(i).getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
                    row.getInt(3));
        }
    }

    @Test
    void questionsAboutManuals() {
        Dataset<Row> tickets =
                spark.createDataFrame(
                        List.of(
                                RowFactory.create(
                                        "And the LORD spake unto Moses, saying,",
                                        "\nAnd Moses said"),
                                RowFactory.create(null, "\nAnd")),
                        new StructType()
                                .add("manual", DataTypes.StringType)
                                .add("question", DataTypes.StringType));

        // --- README ---
        Dataset<Row> answers =
                new TttGenerator()
                        .setDocumentCol("manual") // read into the fast weights first
                        .setPromptCol("question") // then continued
                        .setMaxNewTokens(48)
                        .setTemperature(0.7)
                        .setSeed(42)
                        .setStop("\n")
                        .transform(tickets); // adds "generated" and "error"
        // --- end ---

        List<Row> rows = answers.collectAsList();
        assertNull(rows.get(0).get(3));
        assertFalse(rows.get(0).getString(2).contains("\n"), "stops before the newline");
        assertNull(rows.get(1).get(2));
        assertEquals("manual is null", rows.get(1).getString(3));
    }
}
