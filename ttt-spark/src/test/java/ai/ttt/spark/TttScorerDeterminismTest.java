package ai.ttt.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.Device;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Acceptance 2 (scoring): 20 documents scored by {@link TttScorer} on {@code local[2]} with 3
 * partitions equal {@code ttt score --text} on each document alone, to the last bit, with and
 * without test-time training. One document is longer than eight mini-batches, the piece in which
 * {@code ttt score} feeds a text, so the comparison covers a piece boundary.
 */
class TttScorerDeterminismTest {

    static final int DOCUMENTS = 20;

    /** Index of the document longer than {@code ttt score}'s piece of 8 × 128 tokens. */
    static final int LONG_DOCUMENT = 7;

    @TempDir static Path tmp;
    static SparkSession spark;
    static List<String> documents;
    static final Map<Boolean, List<Cli.Score>> REFERENCE = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        spark = LocalSpark.start(2, TttScorerDeterminismTest.class);
        documents = new ArrayList<>(Documents.generate(DOCUMENTS, 150, 600, 1300));
        documents.set(LONG_DOCUMENT, Documents.generate(1, 1100, 1200, 77).get(0));
        for (boolean ttt : new boolean[] {true, false}) {
            List<Cli.Score> scores = new ArrayList<>();
            for (String document : documents) {
                scores.add(Cli.score(document, ttt, null, tmp));
            }
            REFERENCE.put(ttt, scores);
        }
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static Dataset<Row> documentsFrame() {
        StructType schema =
                new StructType()
                        .add("id", DataTypes.IntegerType, false)
                        .add("text", DataTypes.StringType, true);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < documents.size(); i++) {
            rows.add(RowFactory.create(i, documents.get(i)));
        }
        return spark.createDataFrame(rows, schema);
    }

    @ParameterizedTest(name = "ttt={0}")
    @ValueSource(booleans = {true, false})
    void twentyDocumentsOnThreePartitionsEqualTttScoreBitwise(boolean ttt) {
        Dataset<Row> frame = documentsFrame().repartition(3);
        assertEquals(3, frame.rdd().getNumPartitions());
        List<Row> rows =
                new TttScorer()
                        .setTtt(ttt)
                        .setIncludeTokenNll(true)
                        .transform(frame)
                        .collectAsList();
        assertEquals(DOCUMENTS, rows.size());
        for (Row row : rows) {
            int id = row.getInt(0);
            Cli.Score expected = REFERENCE.get(ttt).get(id);
            assertNull(row.get(3), "document " + id + ": error");
            Row score = row.getStruct(2);
            assertEquals(
                    Double.doubleToRawLongBits(expected.meanNll()),
                    Double.doubleToRawLongBits(score.getDouble(0)),
                    "document " + id + ": mean_nll " + score.getDouble(0) + " vs " + expected);
            assertEquals(
                    Double.doubleToRawLongBits(Math.exp(expected.meanNll())),
                    Double.doubleToRawLongBits(score.getDouble(1)),
                    "document " + id + ": perplexity");
            // ttt score counts BOS among its tokens; the score struct counts scored tokens.
            assertEquals(expected.tokens(), score.getInt(2), "document " + id + ": tokens");
            float[] tokenNll = floats(score.getList(3));
            assertArrayEquals(expected.tokenNll(), tokenNll, "document " + id + ": token_nll");
            for (int i = 0; i < tokenNll.length; i++) {
                assertEquals(
                        Float.floatToRawIntBits(expected.tokenNll()[i]),
                        Float.floatToRawIntBits(tokenNll[i]),
                        "document " + id + ", token " + i);
            }
        }
        ModelKey key = ModelKey.of(new TttScorer().modelRequest(), Device.cpu());
        assertEquals(1, ExecutorModels.loadCount(key), "the model is loaded once per JVM");
        assertEquals(0, ExecutorModels.users(key), "every task gave its lease back");
    }

    /** Without this the test above could not tell a scorer that ignores {@code ttt}. */
    @Test
    void testTimeTrainingChangesEveryReferenceScore() {
        for (int i = 0; i < DOCUMENTS; i++) {
            assertNotEquals(
                    REFERENCE.get(true).get(i).meanNll(),
                    REFERENCE.get(false).get(i).meanNll(),
                    "document " + i);
        }
        assertEquals(
                documents.get(LONG_DOCUMENT).getBytes(StandardCharsets.UTF_8).length,
                REFERENCE.get(true).get(LONG_DOCUMENT).tokens());
        assertEquals(true, REFERENCE.get(true).get(LONG_DOCUMENT).tokens() > 8 * 128);
    }

    static float[] floats(List<Object> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (Float) values.get(i);
        }
        return out;
    }
}
