package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.ttt.translators.ScoreResult;
import ai.ttt.translators.TttModels;
import ai.ttt.translators.TttSession;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code "tokens"} has one meaning: the number of scored tokens (BOS is read, not scored), the same
 * in {@code ttt score}'s JSON, the length of its {@code token_nll} and {@link ScoreResult#size()}.
 */
class ScoreTokensTest {

    private static final String TEXT = "And God said, Let there be light: and there was light.";

    @TempDir Path tmp;

    @Test
    void ttScoreCountsScoredTokensAsScoreResultDoes() throws Exception {
        Path file = Files.writeString(tmp.resolve("text.txt"), TEXT);
        InProcessCli r = InProcessCli.run("score", "--text", file.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();

        Criteria<String, ScoreResult> criteria = TestModels.defaultScorer();
        ScoreResult score;
        try (ZooModel<String, ScoreResult> model = criteria.loadModel();
                Predictor<String, ScoreResult> p = model.newPredictor()) {
            score = p.predict(TEXT);
        }
        int bytes = TEXT.getBytes(StandardCharsets.UTF_8).length; // byte tokenizer, BOS prepended
        assertEquals(bytes, score.size());
        assertEquals(score.size(), json.get("tokens").getAsInt());
        assertEquals(score.size(), json.getAsJsonArray("token_nll").size());
        assertEquals(score.meanNll(), json.get("mean_nll").getAsDouble(), 1e-6);
    }

    /**
     * One reader: the Java API, a session and {@code ttt score} read a text longer than one piece
     * (8 mini-batches of 128 bytes) the same way, so their NLLs are equal to the last bit.
     */
    @Test
    void theTranslatorASessionAndTttScoreAgreeBitwise() throws Exception {
        String text = (TEXT + " ").repeat(30); // 1,650 bytes: two pieces
        Path file = Files.writeString(tmp.resolve("long.txt"), text);
        InProcessCli r = InProcessCli.run("score", "--text", file.toString());
        assertEquals(0, r.code(), r.err());
        JsonArray cli =
                JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("token_nll");
        Criteria<String, ScoreResult> criteria = TestModels.defaultScorer();
        try (ZooModel<String, ScoreResult> model = criteria.loadModel();
                Predictor<String, ScoreResult> p = model.newPredictor();
                TttSession session =
                        TttSession.create(
                                TttModels.languageModel(model.getBlock()),
                                TttModels.loadTokenizer(model))) {
            float[] api = p.predict(text).tokenNll();
            float[] read = session.score(text).tokenNll();
            assertEquals(cli.size(), api.length);
            for (int t = 0; t < api.length; t++) {
                assertEquals(cli.get(t).getAsFloat(), api[t], 0f, "token " + t + " (ttt score)");
                assertEquals(read[t], api[t], 0f, "token " + t + " (session)");
            }
        }
    }

    @Test
    void tokenIdsCountEveryIdButTheFirst() throws Exception {
        Path ids = Files.writeString(tmp.resolve("ids.txt"), "256 65 110 100 32 71 111 100");
        InProcessCli r = InProcessCli.run("score", "--token-ids", ids.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(7, json.get("tokens").getAsInt());
        assertEquals(7, json.getAsJsonArray("token_nll").size());
    }
}
