package ai.ttt.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.ttt.translators.GenerationOptions;
import ai.ttt.translators.SamplingOptions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark ML conventions: params with defaults and validation, found by Spark's reflection, copied,
 * saved and loaded (alone and inside a pipeline, which is how a class is instantiated by name from
 * Scala or PySpark), and schemas checked before any job runs.
 */
class TransformerParamsTest {

    @TempDir static Path tmp;
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = LocalSpark.start(1, TransformerParamsTest.class);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static final StructType TEXT =
            new StructType()
                    .add("text", DataTypes.StringType, true)
                    .add("n", DataTypes.IntegerType, true);

    @Test
    void defaultsAreTheProjectsDefaults() {
        TttScorer scorer = new TttScorer();
        assertEquals("ai.ttt:kjv-5m", scorer.getModel());
        assertTrue(scorer.getTtt());
        assertEquals(1 << 20, scorer.getMaxTokens());
        assertEquals("auto", scorer.getDevice());
        assertEquals("auto", scorer.getPrecision());
        assertEquals("fused", scorer.getAttention());
        assertEquals("text", scorer.getInputCol());
        assertEquals("score", scorer.getOutputCol());
        assertEquals("error", scorer.getErrorCol());
        assertFalse(scorer.getIncludeTokenNll());

        TttGenerator generator = new TttGenerator();
        GenerationOptions options = GenerationOptions.defaults();
        SamplingOptions sampling = options.sampling();
        assertEquals(options.maxNewTokens(), generator.getMaxNewTokens());
        assertEquals(sampling.temperature(), generator.getTemperature());
        assertEquals(sampling.topK(), generator.getTopK());
        assertEquals(sampling.topP(), generator.getTopP());
        assertEquals(sampling.repetitionPenalty(), generator.getRepetitionPenalty());
        assertEquals(sampling.seed(), generator.getSeed());
        assertArrayEquals(new String[0], generator.getStop());
        assertNull(generator.getSeedCol());
        assertEquals("generated", generator.getOutputCol());
    }

    @Test
    void sparkFindsEveryParam() {
        assertEquals(
                List.of(
                        "attention",
                        "device",
                        "errorCol",
                        "includeTokenNll",
                        "inputCol",
                        "maxTokens",
                        "model",
                        "outputCol",
                        "precision",
                        "ttt"),
                names(new TttScorer()));
        assertEquals(
                List.of(
                        "attention",
                        "device",
                        "documentCol",
                        "errorCol",
                        "maxNewTokens",
                        "maxTokens",
                        "model",
                        "outputCol",
                        "precision",
                        "promptCol",
                        "repetitionPenalty",
                        "seed",
                        "seedCol",
                        "stop",
                        "temperature",
                        "topK",
                        "topP",
                        "ttt"),
                names(new TttGenerator()));
    }

    static List<String> names(Transformer t) {
        return Arrays.stream(t.params()).map(Param::name).sorted().toList();
    }

    @Test
    void invalidValuesAreRefusedWhenSet() {
        TttScorer scorer = new TttScorer();
        assertThrows(IllegalArgumentException.class, () -> scorer.setDevice("tpu"));
        assertThrows(IllegalArgumentException.class, () -> scorer.setPrecision("bf16"));
        assertThrows(IllegalArgumentException.class, () -> scorer.setAttention("flash"));
        assertThrows(IllegalArgumentException.class, () -> scorer.setMaxTokens(0));
        TttGenerator generator = new TttGenerator();
        assertThrows(IllegalArgumentException.class, () -> generator.setTopP(0));
        assertThrows(IllegalArgumentException.class, () -> generator.setTemperature(-1));
        assertThrows(IllegalArgumentException.class, () -> generator.setRepetitionPenalty(0));
        assertThrows(IllegalArgumentException.class, () -> generator.setMaxNewTokens(-1));
        // GenerationOptions' own checks run on the driver when the transform is planned.
        Dataset<Row> frame =
                frame(
                        new StructType()
                                .add("document", DataTypes.StringType)
                                .add("prompt", DataTypes.StringType));
        String message =
                assertThrows(
                                IllegalArgumentException.class,
                                () -> generator.setStop("").transform(frame))
                        .getMessage();
        assertTrue(message.contains("stop"), message);
    }

    @Test
    void copyKeepsUidAndValuesAndAppliesExtras() {
        TttScorer scorer = new TttScorer().setModel("ai.ttt:tiny-random").setMaxTokens(99);
        TttScorer copy = scorer.copy(ParamMap.empty().put(scorer.ttt().w(false)));
        assertEquals(scorer.uid(), copy.uid());
        assertEquals("ai.ttt:tiny-random", copy.getModel());
        assertEquals(99, copy.getMaxTokens());
        assertFalse(copy.getTtt());
        assertTrue(scorer.getTtt(), "the original is unchanged");
    }

    @Test
    void saveAndLoadKeepEveryParam() throws Exception {
        TttScorer scorer =
                new TttScorer()
                        .setModel("/models/mine")
                        .setTtt(false)
                        .setIncludeTokenNll(true)
                        .setInputCol("body")
                        .setErrorCol("problem");
        scorer.save(tmp.resolve("scorer").toString());
        TttScorer loaded = TttScorer.load(tmp.resolve("scorer").toString());
        assertEquals(scorer.uid(), loaded.uid());
        assertEquals(scorer.extractParamMap().toString(), loaded.extractParamMap().toString());

        TttGenerator generator =
                new TttGenerator().setStop("\n\n", "THE END").setSeedCol("s").setTopK(7);
        generator.save(tmp.resolve("generator").toString());
        TttGenerator again = TttGenerator.load(tmp.resolve("generator").toString());
        assertArrayEquals(new String[] {"\n\n", "THE END"}, again.getStop());
        assertEquals("s", again.getSeedCol());
        assertEquals(7, again.getTopK());
    }

    @Test
    void aPipelineWithTheScorerSavesAndLoadsByClassName() throws Exception {
        TttScorer scorer = new TttScorer().setModel("ai.ttt:tiny-random").setOutputCol("nll");
        PipelineModel model =
                new Pipeline().setStages(new PipelineStage[] {scorer}).fit(frame(TEXT));
        String path = tmp.resolve("pipeline").toString();
        model.save(path);
        Transformer stage = PipelineModel.load(path).stages()[0];
        assertEquals(TttScorer.class, stage.getClass());
        assertEquals("nll", ((TttScorer) stage).getOutputCol());
        assertEquals(
                "ai.ttt.spark.TttScorer",
                Class.forName("ai.ttt.spark.TttScorer")
                        .getConstructor(String.class)
                        .newInstance("uid-from-python")
                        .getClass()
                        .getName());
    }

    @Test
    void schemasAreCheckedBeforeAnyJob() {
        StructType out = new TttScorer().setIncludeTokenNll(true).transformSchema(TEXT);
        assertEquals(List.of("text", "n", "score", "error"), List.of(out.fieldNames()));
        assertEquals(TttScorer.scoreType(true), out.apply("score").dataType());
        assertEquals(
                List.of("mean_nll", "perplexity", "tokens", "token_nll"),
                List.of(TttScorer.scoreType(true).fieldNames()));
        assertEquals(
                List.of("mean_nll", "perplexity", "tokens"),
                List.of(TttScorer.scoreType(false).fieldNames()));

        assertMessage(
                "inputCol \"body\" is not a column of the input (columns: text, n)",
                () -> new TttScorer().setInputCol("body").transformSchema(TEXT));
        assertMessage(
                "inputCol \"n\" must be a string or binary (UTF-8) column, but it is int",
                () -> new TttScorer().setInputCol("n").transformSchema(TEXT));
        assertMessage(
                "output column \"n\" already exists in the input",
                () -> new TttScorer().setOutputCol("n").transformSchema(TEXT));
        assertMessage(
                "outputCol and errorCol are both \"x\"",
                () -> new TttScorer().setOutputCol("x").setErrorCol("x").transformSchema(TEXT));
        StructType documents =
                new StructType()
                        .add("document", DataTypes.BinaryType)
                        .add("prompt", DataTypes.StringType)
                        .add("s", DataTypes.StringType);
        assertEquals(
                List.of("document", "prompt", "s", "generated", "error"),
                List.of(new TttGenerator().transformSchema(documents).fieldNames()));
        assertMessage(
                "seedCol \"s\" must be an integer column, but it is string",
                () -> new TttGenerator().setSeedCol("s").transformSchema(documents));
        assertMessage(
                "model is empty: give a zoo id such as ai.ttt:kjv-5m or a model directory",
                () -> new TttScorer().setModel(" ").transform(frame(TEXT)));
    }

    @Test
    void modelsAreZooIdsOrDirectories() {
        assertTrue(new ModelRequest("ai.ttt:kjv-5m", "auto", "auto", "fused").isZooId());
        assertFalse(new ModelRequest("/models/kjv-5m", "auto", "auto", "fused").isZooId());
        assertFalse(new ModelRequest("file:/models/x", "auto", "auto", "fused").isZooId());
        assertFalse(new ModelRequest("models/a:b", "auto", "auto", "fused").isZooId());
    }

    static Dataset<Row> frame(StructType schema) {
        return spark.createDataFrame(List.of(), schema);
    }

    static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
    }
}
