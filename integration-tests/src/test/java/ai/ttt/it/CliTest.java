package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.ttt.block.Fixtures;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 6: the {@code ttt} command as a user runs it, {@code java -jar ttt-cli/target/ttt.jar}
 * in a separate process (so the shaded jar's merged service files are tested too). The jar is built
 * by {@code mvn verify} (or {@code mvn package}) before this module's tests run.
 */
class CliTest {

    @TempDir static Path tmp;

    /** What a run printed and returned. */
    private record Run(int exit, String out, String err) {
        String all() {
            return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    @BeforeAll
    static void findJar() {
        TttJar.jar();
    }

    static Run ttt(String stdin, String... args) throws Exception {
        TttJar.Run r = TttJar.run(tmp, stdin, 180, args);
        return new Run(r.exit(), r.out(), r.err());
    }

    private static void assertNoStackTrace(Run r) {
        assertFalse(r.err().contains("\tat "), "stack trace on a user error:\n" + r.all());
        assertFalse(r.err().contains("Exception"), "exception name on a user error:\n" + r.all());
    }

    @Test
    void generateWithTheEmbeddedModelStreamingAndNot() throws Exception {
        Run plain =
                ttt(null, "generate", "--prompt", "Hello", "--max-new-tokens", "12", "--seed", "3");
        assertEquals(0, plain.exit(), plain.all());
        assertFalse(plain.out().strip().isEmpty(), plain.all());
        Run streamed =
                ttt(
                        null,
                        "generate",
                        "--prompt",
                        "Hello",
                        "--max-new-tokens",
                        "12",
                        "--seed",
                        "3",
                        "--stream");
        assertEquals(0, streamed.exit(), streamed.all());
        assertEquals(plain.out(), streamed.out(), "same seed, same text, streamed or not");
        for (Run r : List.of(plain, streamed)) {
            // libtorch writes its warnings straight to stderr (e.g. the deprecated
            // AutoNonVariableTypeMode that DJL's NDArray.set(Buffer) enters).
            assertFalse(r.err().contains("Warning:"), "no libtorch warning\n" + r.all());
        }
    }

    @Test
    void convertInfoScoreAndGenerateOnAConvertedModel() throws Exception {
        Path model = tmp.resolve("converted");
        Run convert =
                ttt(
                        null,
                        "convert",
                        "--from",
                        "official",
                        "--input",
                        Fixtures.get("official/tiny-L4-S1").toString(),
                        "--output",
                        model.toString());
        assertEquals(0, convert.exit(), convert.all());
        assertTrue(convert.out().contains("converted"), convert.all());
        assertTrue(Files.isRegularFile(model.resolve("serving.properties")));
        Files.copy(Fixtures.get("tokenizers/byte/tokenizer.json"), model.resolve("tokenizer.json"));

        Run info = ttt(null, "info", "--model", model.toString());
        assertEquals(0, info.exit(), info.all());
        assertTrue(info.out().contains("4 (last 1 with fast weights)"), info.all());
        assertTrue(info.out().contains("fast weights"), info.all());

        Path text = tmp.resolve("text.txt");
        Files.writeString(text, "The quick brown fox jumps over the lazy dog. ".repeat(4));
        Run score = ttt(null, "score", "--model", model.toString(), "--text", text.toString());
        assertEquals(0, score.exit(), score.all());
        JsonObject json = JsonParser.parseString(score.out()).getAsJsonObject();
        assertEquals(180, json.get("tokens").getAsInt(), "180 bytes scored (BOS read, not scored)");
        assertTrue(json.get("mean_nll").getAsDouble() > 0);

        Path prompt = tmp.resolve("prompt.txt");
        Files.writeString(prompt, "Once upon a time");
        Run generate =
                ttt(
                        null,
                        "generate",
                        "--model",
                        model.toString(),
                        "--prompt-file",
                        prompt.toString(),
                        "--max-new-tokens",
                        "6",
                        "--temperature",
                        "0");
        assertEquals(0, generate.exit(), generate.all());
        assertFalse(generate.out().strip().isEmpty(), generate.all());
    }

    @Test
    void chatKeepsASessionThatCanBeSavedAndLoaded() throws Exception {
        Run chat =
                ttt(
                        "hello there\n/save saved-session\n/load saved-session\n/bogus\nand"
                                + " again\n/quit\nnever read\n",
                        "chat",
                        "--max-new-tokens",
                        "4");
        assertEquals(0, chat.exit(), chat.all());
        assertTrue(Files.isRegularFile(tmp.resolve("saved-session/session.safetensors")));
        assertTrue(chat.err().contains("(saved to saved-session ("), chat.all());
        assertTrue(chat.err().contains("(loaded saved-session ("), chat.all());
        assertTrue(chat.err().contains("error: unknown command /bogus"), chat.all());
        assertEquals(2, chat.out().split("\n", -1).length - 1, "two replies:\n" + chat.all());
    }

    @Test
    void badInputGivesAMessageAndANonZeroExitCodeNeverAStackTrace() throws Exception {
        Run missingModel =
                ttt(
                        null,
                        "generate",
                        "--model",
                        tmp.resolve("no-such-model").toString(),
                        "--prompt",
                        "hi");
        assertEquals(1, missingModel.exit(), missingModel.all());
        assertTrue(
                missingModel.err().contains("not found: ")
                        && missingModel.err().contains("no-such-model (model directory not found)"),
                missingModel.all());
        assertNoStackTrace(missingModel);

        Run unknownFlag = ttt(null, "generate", "--prompt", "hi", "--tempreature", "0.5");
        assertEquals(2, unknownFlag.exit(), unknownFlag.all());
        assertTrue(
                unknownFlag.err().contains("Unknown options: '--tempreature'"), unknownFlag.all());
        assertTrue(
                unknownFlag.err().contains("Possible solutions: --temperature"), unknownFlag.all());
        assertNoStackTrace(unknownFlag);

        Run negative = ttt(null, "generate", "--prompt", "hi", "--max-new-tokens", "-5");
        assertEquals(1, negative.exit(), negative.all());
        assertTrue(
                negative.err().contains("generate: --max-new-tokens must be >= 0, got -5"),
                negative.all());
        assertNoStackTrace(negative);

        Run empty = ttt(null, "generate", "--prompt", "");
        assertEquals(1, empty.exit(), empty.all());
        assertTrue(empty.err().contains("generate: empty prompt"), empty.all());
        assertNoStackTrace(empty);

        Run unreadable = ttt(null, "score", "--text", tmp.resolve("missing.txt").toString());
        assertEquals(1, unreadable.exit(), unreadable.all());
        assertTrue(unreadable.err().contains("not found: "), unreadable.all());
        assertTrue(unreadable.err().contains("missing.txt"), unreadable.all());
        assertNoStackTrace(unreadable);
    }
}
