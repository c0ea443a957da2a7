package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.types.DataType;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.translators.GenerationOptions;
import ai.ttt.translators.ScoreResult;
import ai.ttt.translators.TextStream;
import ai.ttt.translators.TttModels;
import ai.ttt.translators.TttSession;
import ai.ttt.translators.TttTokenizer;
import ai.ttt.zoo.TttModelZoo;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code precision=fp64}, which the README's Arguments table and {@code --precision} offer, works
 * end to end: the fp64 engine produces float64 logits and NLLs, and every host read of them
 * (sampling, scoring, sessions, {@code ttt score}) converts instead of failing with "DataType
 * mismatch, Required float, Actual float64".
 */
class Fp64Test {

    private static final String TEXT = "In the beginning God created the heaven and the earth.";

    @TempDir Path tmp;

    private static <I, O> Criteria<I, O> tiny(Class<I> in, Class<O> out, String precision) {
        return Criteria.builder()
                .setTypes(in, out)
                .optGroupId(TttModelZoo.GROUP_ID)
                .optArtifactId(TttModelZoo.TINY_RANDOM)
                .optArgument("precision", precision)
                .optArgument("maxNewTokens", 8)
                .build();
    }

    @Test
    void generatesAndStreamsInFp64() throws Exception {
        try (ZooModel<String, String> model = tiny(String.class, String.class, "fp64").loadModel();
                Predictor<String, String> p = model.newPredictor()) {
            assertEquals(
                    DataType.FLOAT64,
                    TttModels.languageModel(model.getBlock()).precision().stream());
            String text = p.predict(TEXT);
            assertFalse(text.isEmpty());
            assertEquals(text, p.predict(TEXT), "same seed, same text");
        }
        try (ZooModel<String, TextStream> model =
                        tiny(String.class, TextStream.class, "fp64").loadModel();
                Predictor<String, TextStream> p = model.newPredictor();
                TextStream stream = p.streamingPredict(TEXT).getIterativeOutput()) {
            StringBuilder text = new StringBuilder();
            stream.forEach(text::append);
            assertFalse(text.toString().isEmpty());
        }
    }

    @Test
    void scoresInFp64AsFp32DoesToFloat32Precision() throws Exception {
        ScoreResult wide;
        ScoreResult narrow;
        try (ZooModel<String, ScoreResult> model =
                        tiny(String.class, ScoreResult.class, "fp64").loadModel();
                Predictor<String, ScoreResult> p = model.newPredictor()) {
            wide = p.predict(TEXT);
        }
        try (ZooModel<String, ScoreResult> model =
                        tiny(String.class, ScoreResult.class, "fp32").loadModel();
                Predictor<String, ScoreResult> p = model.newPredictor()) {
            narrow = p.predict(TEXT);
        }
        assertEquals(narrow.tokenNll().length, wide.tokenNll().length);
        for (int t = 0; t < wide.tokenNll().length; t++) {
            assertEquals(narrow.tokenNll()[t], wide.tokenNll()[t], 1e-4, "token " + t);
        }
    }

    @Test
    void sessionsReadScoreAndGenerateInFp64() throws Exception {
        try (ZooModel<String, String> model =
                tiny(String.class, String.class, "fp64").loadModel()) {
            TttLanguageModel lm = TttModels.languageModel(model.getBlock());
            TttTokenizer tokenizer = TttModels.loadTokenizer(model);
            try (TttSession session = TttSession.create(lm, tokenizer)) {
                session.ingest(TEXT);
                double nll = session.nextTokenNll(' ');
                assertTrue(Double.isFinite(nll) && nll > 0, "nll " + nll);
                ScoreResult r = session.score(" And the earth was without form.");
                assertTrue(Double.isFinite(r.meanNll()));
                String answer =
                        session.generate(" And", GenerationOptions.defaults().withMaxNewTokens(5));
                assertFalse(answer.isEmpty());
                session.save(tmp.resolve("fp64.session"));
            }
            try (TttSession again = TttSession.load(lm, tokenizer, tmp.resolve("fp64.session"))) {
                assertTrue(Double.isFinite(again.nextTokenNll(' ')));
            }
        }
    }

    @Test
    void theCliScoresAndGeneratesInFp64() throws Exception {
        Path text = Files.writeString(tmp.resolve("text.txt"), TEXT);
        InProcessCli score =
                InProcessCli.run("score", "--precision", "fp64", "--text", text.toString());
        assertEquals(0, score.code(), score.err());
        JsonObject json = JsonParser.parseString(score.out()).getAsJsonObject();
        assertTrue(Double.isFinite(json.get("mean_nll").getAsDouble()));

        InProcessCli generate =
                InProcessCli.run(
                        "generate",
                        "--precision",
                        "fp64",
                        "--prompt",
                        "And God said",
                        "--max-new-tokens",
                        "4");
        assertEquals(0, generate.code(), generate.err());
        assertFalse(generate.out().isEmpty());
    }
}
