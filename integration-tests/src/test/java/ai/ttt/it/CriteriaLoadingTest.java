package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.ttt.translators.ScoreResult;
import ai.ttt.translators.TextStream;
import ai.ttt.translators.TttStreamingBlock;
import ai.ttt.zoo.TttModelZoo;
import ai.ttt.zoo.TttTranslatorFactory;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acceptance 1: the ways a user loads a TTT-E2E model through DJL's Criteria. */
class CriteriaLoadingTest {

    @TempDir static Path tmp;
    static Path model;

    @BeforeAll
    static void convert() throws Exception {
        model = TestModels.convertTiny(tmp.resolve("tiny-official"));
    }

    @Test
    void inputOutputByPathWithNoArguments() throws Exception {
        Criteria<Input, Output> criteria =
                Criteria.builder().setTypes(Input.class, Output.class).optModelPath(model).build();
        try (ZooModel<Input, Output> zoo = criteria.loadModel();
                Predictor<Input, Output> p = zoo.newPredictor()) {
            assertTrue(zoo.getBlock() instanceof TttStreamingBlock);
            Input plain = new Input();
            plain.add("Once upon a time");
            JsonObject out = json(p.predict(plain));
            assertFalse(out.get("generated_text").getAsString().isEmpty(), out.toString());

            Input request = new Input();
            request.add(
                    "{\"inputs\": \"Once upon a time\", \"parameters\": {\"max_new_tokens\": 3,"
                            + " \"do_sample\": false}}");
            JsonObject greedy = json(p.predict(request));
            assertEquals("length", greedy.get("finish_reason").getAsString());
            assertEquals(greedy, json(p.predict(request)), "greedy decoding is deterministic");
        }
    }

    @Test
    void stringByPathWithTheTranslatorFactory() throws Exception {
        Criteria<String, String> criteria =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optModelPath(model)
                        .optTranslatorFactory(new TttTranslatorFactory())
                        .build();
        try (ZooModel<String, String> zoo = criteria.loadModel();
                Predictor<String, String> p = zoo.newPredictor()) {
            String text = p.predict("Once upon a time");
            assertFalse(text.isEmpty());
            assertEquals(text, p.predict("Once upon a time"), "same seed, same text");
        }
    }

    @Test
    void stringByUrlWithTheTranslatorFactoryInTheQuery() throws Exception {
        Criteria<String, String> criteria =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optModelUrls(
                                model.toUri()
                                        + "?translatorFactory="
                                        + TttTranslatorFactory.class.getName())
                        .build();
        try (ZooModel<String, String> zoo = criteria.loadModel();
                Predictor<String, String> p = zoo.newPredictor()) {
            assertFalse(p.predict("Once upon a time").isEmpty());
        }
    }

    @Test
    void stringByZooIdWithNoOtherArgument() throws Exception {
        Criteria<String, String> criteria =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optGroupId("ai.ttt")
                        .optArtifactId(TttModelZoo.DEFAULT_MODEL)
                        .build();
        try (ZooModel<String, String> zoo = criteria.loadModel();
                Predictor<String, String> p = zoo.newPredictor()) {
            String text = p.predict("Once upon a time");
            assertFalse(text.isEmpty());
        }
    }

    @Test
    void folderModelsByZooIdFromTheSystemProperty() throws Exception {
        System.setProperty(TttModelZoo.MODEL_DIR_PROPERTY, tmp.toString());
        try {
            Criteria<String, String> criteria =
                    Criteria.builder()
                            .setTypes(String.class, String.class)
                            .optArtifactId("ai.ttt:tiny-official")
                            .build();
            try (ZooModel<String, String> zoo = criteria.loadModel();
                    Predictor<String, String> p = zoo.newPredictor()) {
                assertEquals(model.toAbsolutePath(), zoo.getModelPath().toAbsolutePath());
                assertFalse(p.predict("Once upon a time").isEmpty());
            }
        } finally {
            System.clearProperty(TttModelZoo.MODEL_DIR_PROPERTY);
        }
        Criteria<String, String> gone =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optGroupId("ai.ttt")
                        .optArtifactId("tiny-official")
                        .build();
        assertThrows(ModelNotFoundException.class, gone::loadModel);
    }

    @Test
    void scoringThroughCriteriaWithAndWithoutTestTimeTraining() throws Exception {
        String passage = "The quick brown fox jumps over the lazy dog. ".repeat(6);
        ScoreResult withTtt = score(passage, true);
        ScoreResult withoutTtt = score(passage, false);
        // BOS is prepended, so every byte of the text is scored (byte tokenizer: 1 token a byte).
        assertEquals(passage.getBytes(StandardCharsets.UTF_8).length, withTtt.size());
        assertTrue(withTtt.testTimeTraining());
        assertFalse(withoutTtt.testTimeTraining());
        for (float v : withTtt.tokenNll()) {
            assertTrue(Float.isFinite(v) && v > 0, "NLL " + v);
        }
        assertEquals(Math.exp(withTtt.meanNll()), withTtt.perplexity(), 1e-9);
        // The first mini-batch (16 tokens, BOS included) is read at W0 either way; later tokens
        // are predicted with fast weights that learned the text.
        assertEquals(withoutTtt.tokenNll()[0], withTtt.tokenNll()[0], 1e-5);
        assertNotEquals(withoutTtt.meanNll(), withTtt.meanNll());
    }

    private static ScoreResult score(String text, boolean ttt) throws Exception {
        Criteria<String, ScoreResult> criteria =
                Criteria.builder()
                        .setTypes(String.class, ScoreResult.class)
                        .optGroupId("ai.ttt")
                        .optArtifactId(TttModelZoo.DEFAULT_MODEL)
                        .optArgument("ttt", ttt)
                        .build();
        try (ZooModel<String, ScoreResult> zoo = criteria.loadModel();
                Predictor<String, ScoreResult> p = zoo.newPredictor()) {
            return p.predict(text);
        }
    }

    @Test
    void generationArgumentsAreAppliedAndValidated() throws Exception {
        Criteria<String, String> forced =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optModelPath(model)
                        .optTranslatorFactory(new TttTranslatorFactory())
                        .optArgument("tokenSelector", TestModels.forcing("abc###def"))
                        .optArgument("stop", List.of("###"))
                        .build();
        try (ZooModel<String, String> zoo = forced.loadModel();
                Predictor<String, String> p = zoo.newPredictor()) {
            assertEquals("abc", p.predict("x"), "the text ends before the stop string");
        }
        Criteria<String, String> eos =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optModelPath(model)
                        .optTranslatorFactory(new TttTranslatorFactory())
                        .optArgument("tokenSelector", TestModels.forcing("ab"))
                        .optArgument("eosIds", "256")
                        .build();
        try (ZooModel<String, String> zoo = eos.loadModel();
                Predictor<String, String> p = zoo.newPredictor()) {
            assertEquals("ab", p.predict("x"), "EOS ends the text and is not part of it");
        }
        Criteria<String, String> bad =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optModelPath(model)
                        .optTranslatorFactory(new TttTranslatorFactory())
                        .optArgument("topP", "2")
                        .build();
        Exception e = assertThrows(Exception.class, bad::loadModel);
        assertTrue(messages(e).contains("topP must be in (0, 1]"), messages(e));
    }

    @Test
    void batchPredictWithPromptsOfDifferentLengths() throws Exception {
        Criteria<String, String> criteria =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optGroupId("ai.ttt")
                        .optArtifactId(TttModelZoo.DEFAULT_MODEL)
                        .optArgument("maxNewTokens", 12)
                        .build();
        List<String> prompts =
                List.of("a", "A much longer prompt that spans more than one mini-batch.", "");
        try (ZooModel<String, String> zoo = criteria.loadModel();
                Predictor<String, String> p = zoo.newPredictor()) {
            List<String> batch = p.batchPredict(prompts);
            for (int i = 0; i < prompts.size(); i++) {
                assertEquals(p.predict(prompts.get(i)), batch.get(i), "prompt " + i);
            }
        }
    }

    @Test
    void streamingTypeLoadsByZooId() throws Exception {
        Criteria<String, TextStream> criteria =
                Criteria.builder()
                        .setTypes(String.class, TextStream.class)
                        .optGroupId("ai.ttt")
                        .optArtifactId(TttModelZoo.DEFAULT_MODEL)
                        .build();
        try (ZooModel<String, TextStream> zoo = criteria.loadModel();
                Predictor<String, TextStream> p = zoo.newPredictor()) {
            assertTrue(p.supportsStreaming());
            assertFalse(p.streamingPredict("Hi").getIterativeOutput().readAll().isEmpty());
        }
    }

    static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append(" | ");
        }
        return sb.toString();
    }

    private static JsonObject json(Output out) {
        return JsonParser.parseString(out.getData().getAsString()).getAsJsonObject();
    }
}
