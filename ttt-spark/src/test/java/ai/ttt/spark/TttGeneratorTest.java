package ai.ttt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 2 (generation): {@link TttGenerator} with a fixed seed, on {@code local[2]} with the
 * rows spread over partitions, returns for every row the text {@code ttt generate} prints for the
 * same seed and options, given the row's document followed by its prompt (the embedded model's
 * tokenizer is byte-level, so reading the two one after the other reads the same tokens).
 */
class TttGeneratorTest {

    static final List<String> PROMPTS = List.of("\nAnd the king said", "\nIn that day", "");

    @TempDir static Path tmp;
    static SparkSession spark;
    static List<String> documents;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start(2, TttGeneratorTest.class);
        documents = Documents.generate(PROMPTS.size(), 250, 450, 900);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static Dataset<Row> frame(long[] seeds) {
        StructType schema =
                new StructType()
                        .add("id", DataTypes.IntegerType, false)
                        .add("document", DataTypes.StringType, true)
                        .add("prompt", DataTypes.StringType, true)
                        .add("row_seed", DataTypes.LongType, true);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < documents.size(); i++) {
            rows.add(RowFactory.create(i, documents.get(i), PROMPTS.get(i), seeds[i]));
        }
        return spark.createDataFrame(rows, schema).repartition(2);
    }

    @Test
    void fixedSeedWithTttEqualsTttGenerateOnDocumentThenPrompt() throws Exception {
        List<Row> rows =
                new TttGenerator()
                        .setSeed(7)
                        .setMaxNewTokens(32)
                        .setTopK(20)
                        .setTemperature(0.9)
                        .transform(frame(new long[] {0, 0, 0}))
                        .collectAsList();
        assertEquals(documents.size(), rows.size());
        for (Row row : rows) {
            int id = row.getInt(0);
            assertNull(row.get(5), "row " + id + ": error");
            String expected =
                    Cli.generate(
                            documents.get(id) + PROMPTS.get(id),
                            List.of(
                                    "--seed", "7",
                                    "--max-new-tokens", "32",
                                    "--top-k", "20",
                                    "--temperature", "0.9"),
                            tmp);
            assertFalse(expected.isEmpty(), "row " + id + ": ttt generate printed nothing");
            assertEquals(expected, row.getString(4), "row " + id);
        }
    }

    @Test
    void perRowSeedsWithoutTttEqualTttGenerateNoTtt() throws Exception {
        long[] seeds = {11, 12, 13};
        List<Row> rows =
                new TttGenerator()
                        .setTtt(false)
                        .setSeedCol("row_seed")
                        .setMaxNewTokens(24)
                        .transform(frame(seeds))
                        .collectAsList();
        for (Row row : rows) {
            int id = row.getInt(0);
            assertNull(row.get(5), "row " + id + ": error");
            String expected =
                    Cli.generate(
                            documents.get(id) + PROMPTS.get(id),
                            List.of(
                                    "--no-ttt",
                                    "--seed",
                                    Long.toString(seeds[id]),
                                    "--max-new-tokens",
                                    "24"),
                            tmp);
            assertEquals(expected, row.getString(4), "row " + id);
            if (id == 0) {
                // The seed column is used: the default seed gives another text.
                String seedZero =
                        Cli.generate(
                                documents.get(0) + PROMPTS.get(0),
                                List.of("--no-ttt", "--seed", "0", "--max-new-tokens", "24"),
                                tmp);
                assertNotEquals(seedZero, row.getString(4));
            }
        }
    }
}
