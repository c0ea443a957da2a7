package ai.ttt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * Acceptance 3: null, empty, undecodable and over-long rows among good ones, on {@code local[1]}:
 * the job completes, each bad row's error names its problem, and the good rows are scored exactly
 * as {@code ttt score} scores them alone (the bad rows around them change nothing).
 */
class BadRowsTest {

    /** A token limit that the good rows stay under and the long row exceeds. */
    static final int MAX_TOKENS = 400;

    @TempDir static Path tmp;
    static SparkSession spark;
    static List<String> good;
    static String tooLong;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start(1, BadRowsTest.class);
        good = Documents.generate(3, 150, 300, 555);
        tooLong = Documents.generate(1, 450, 460, 556).get(0);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** "café" in Latin-1, then a UTF-8 continuation byte with no lead byte, then a lone lead. */
    static final byte[] LATIN1 = {'c', 'a', 'f', (byte) 0xe9, '!'};

    static final byte[] STRAY_CONTINUATION = {'o', 'k', ' ', (byte) 0x80, 'x'};
    static final byte[] TRUNCATED = {'a', 'b', (byte) 0xe6, (byte) 0x97};

    @Test
    void scorerFinishesWithAnErrorPerBadRowAndExactScoresForTheOthers() throws Exception {
        StructType schema =
                new StructType()
                        .add("id", DataTypes.StringType, false)
                        .add("text", DataTypes.BinaryType, true);
        List<Row> rows = new ArrayList<>();
        rows.add(RowFactory.create("good0", utf8(good.get(0))));
        rows.add(RowFactory.create("null", null));
        rows.add(RowFactory.create("empty", new byte[0]));
        rows.add(RowFactory.create("good1", utf8(good.get(1))));
        rows.add(RowFactory.create("latin1", LATIN1));
        rows.add(RowFactory.create("stray", STRAY_CONTINUATION));
        rows.add(RowFactory.create("truncated", TRUNCATED));
        rows.add(RowFactory.create("long", utf8(tooLong)));
        rows.add(RowFactory.create("good2", utf8(good.get(2))));
        Dataset<Row> frame = spark.createDataFrame(rows, schema).repartition(2);

        Map<String, Row> byId = new TreeMap<>();
        for (Row row : new TttScorer().setMaxTokens(MAX_TOKENS).transform(frame).collectAsList()) {
            byId.put(row.getString(0), row);
        }
        assertEquals(rows.size(), byId.size());
        assertError(byId, "null", "text is null");
        assertError(byId, "empty", "text is empty");
        assertError(byId, "latin1", "text is not valid UTF-8: 1 bad byte(s) at offset 3 of 5");
        assertError(byId, "stray", "text is not valid UTF-8: 1 bad byte(s) at offset 3 of 5");
        assertError(byId, "truncated", "text is not valid UTF-8: 2 bad byte(s) at offset 2 of 4");
        int longTokens = utf8(tooLong).length + 1;
        assertError(
                byId,
                "long",
                String.format("text has %,d tokens, more than maxTokens (400)", longTokens));
        for (int i = 0; i < good.size(); i++) {
            Row row = byId.get("good" + i);
            assertNull(row.get(3), "good" + i);
            Cli.Score expected = Cli.score(good.get(i), true, null, tmp);
            assertEquals(
                    Double.doubleToRawLongBits(expected.meanNll()),
                    Double.doubleToRawLongBits(row.getStruct(2).getDouble(0)),
                    "good" + i);
        }
    }

    @Test
    void stringColumnFromATextFileWithBrokenBytesGetsAnError() throws Exception {
        // spark.read().text keeps a line's bytes as they are; the scorer must see the raw bytes.
        Path file = tmp.resolve("lines.txt");
        byte[] first = utf8(good.get(0).replace('\n', ' '));
        byte[] content = new byte[first.length + 1 + LATIN1.length + 1];
        System.arraycopy(first, 0, content, 0, first.length);
        content[first.length] = '\n';
        System.arraycopy(LATIN1, 0, content, first.length + 1, LATIN1.length);
        content[content.length - 1] = '\n';
        Files.write(file, content);
        List<Row> rows =
                new TttScorer()
                        .setInputCol("value")
                        .transform(spark.read().text(file.toString()))
                        .collectAsList();
        assertEquals(2, rows.size());
        assertNull(rows.get(0).get(2));
        assertNotNull(rows.get(0).get(1));
        assertEquals(
                "value is not valid UTF-8: 1 bad byte(s) at offset 3 of 5", rows.get(1).get(2));
        assertNull(rows.get(1).get(1));
    }

    @Test
    void generatorFinishesWithAnErrorPerBadRow() {
        StructType schema =
                new StructType()
                        .add("id", DataTypes.StringType, false)
                        .add("document", DataTypes.StringType, true)
                        .add("prompt", DataTypes.BinaryType, true)
                        .add("seed", DataTypes.IntegerType, true);
        String document = good.get(0);
        List<Row> rows =
                List.of(
                        RowFactory.create("good", document, utf8("\nAnd"), 1),
                        RowFactory.create("continue", document, new byte[0], 2),
                        RowFactory.create("null document", null, utf8("x"), 3),
                        RowFactory.create("empty document", "", utf8("x"), 4),
                        RowFactory.create("null prompt", document, null, 5),
                        RowFactory.create("latin1 prompt", document, LATIN1, 6),
                        RowFactory.create("null seed", document, utf8("x"), null),
                        RowFactory.create("long", tooLong, utf8("x"), 7));
        Dataset<Row> frame = spark.createDataFrame(rows, schema);
        Map<String, Row> byId = new TreeMap<>();
        for (Row row :
                new TttGenerator()
                        .setSeedCol("seed")
                        .setMaxNewTokens(8)
                        .setMaxTokens(MAX_TOKENS)
                        .transform(frame)
                        .collectAsList()) {
            byId.put(row.getString(0), row);
        }
        assertEquals(rows.size(), byId.size());
        for (String ok : List.of("good", "continue")) {
            assertNull(byId.get(ok).get(5), ok);
            assertFalse(byId.get(ok).getString(4).isEmpty(), ok);
        }
        assertEquals("document is null", byId.get("null document").get(5));
        assertEquals("document is empty", byId.get("empty document").get(5));
        assertEquals("prompt is null", byId.get("null prompt").get(5));
        assertEquals(
                "prompt is not valid UTF-8: 1 bad byte(s) at offset 3 of 5",
                byId.get("latin1 prompt").get(5));
        assertEquals("seed is null", byId.get("null seed").get(5));
        assertEquals(
                String.format(
                        "document and prompt have %,d tokens, more than maxTokens (400)",
                        utf8(tooLong).length + 1 + 1),
                byId.get("long").get(5));
        for (String bad : byId.keySet()) {
            if (!List.of("good", "continue").contains(bad)) {
                assertNull(byId.get(bad).get(4), bad);
            }
        }
    }

    @Test
    void nullAndEmptyStringsInAStringColumn() {
        Dataset<Row> frame =
                spark.createDataFrame(
                                Arrays.asList(
                                        RowFactory.create((String) null), RowFactory.create("")),
                                new StructType().add("text", DataTypes.StringType, true))
                        .withColumn("n", functions.monotonically_increasing_id());
        List<Row> rows = new TttScorer().transform(frame).orderBy("n").collectAsList();
        assertEquals("text is null", rows.get(0).getString(3));
        assertEquals("text is empty", rows.get(1).getString(3));
    }

    static void assertError(Map<String, Row> byId, String id, String message) {
        Row row = byId.get(id);
        assertNull(row.get(2), id + ": no score");
        assertEquals(message, row.getString(3), id);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
