package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.ttt.cli.TttCommand;
import ai.ttt.zoo.TttModelZoo;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --model} takes a model directory or a zoo id (the embedded models and the folder zoo's),
 * and every command reaches the model through {@code Criteria}.
 */
class CliModelIdTest {

    @TempDir static Path tmp;
    static Path text;
    static Path folder;

    @BeforeAll
    static void files() throws Exception {
        text = Files.writeString(tmp.resolve("text.txt"), "F");
        folder = tmp.resolve("models");
        TestModels.convertTiny(folder.resolve("mine"));
    }

    private static JsonObject json(InProcessCli r) {
        assertEquals(0, r.code(), r.err());
        return JsonParser.parseString(r.out()).getAsJsonObject();
    }

    @Test
    void scoreByTheDefaultModelsZooId() {
        JsonObject byId =
                json(
                        InProcessCli.run(
                                "score", "--model", "ai.ttt:kjv-5m", "--text", text.toString()));
        JsonObject byDefault = json(InProcessCli.run("score", "--text", text.toString()));
        assertEquals(1, byId.get("tokens").getAsInt());
        assertEquals(byDefault, byId);
    }

    @Test
    void generateByTheTinyModelsZooId() {
        InProcessCli r =
                InProcessCli.run(
                        "generate",
                        "--model",
                        "ai.ttt:tiny-random",
                        "--prompt",
                        "Once upon a time",
                        "--max-new-tokens",
                        "4",
                        "--stop",
                        "\u0000");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().isEmpty());
    }

    @Test
    void aDirectoryStillWorksAndEqualsItsFolderZooId() {
        Path dir = folder.resolve("mine");
        JsonObject byPath =
                json(
                        InProcessCli.run(
                                "score", "--model", dir.toString(), "--text", text.toString()));
        System.setProperty(TttModelZoo.MODEL_DIR_PROPERTY, folder.toString());
        try {
            JsonObject byId =
                    json(
                            InProcessCli.run(
                                    "score", "--model", "ai.ttt:mine", "--text", text.toString()));
            assertEquals(byPath, byId);
            InProcessCli info = InProcessCli.run("info", "--model", "ai.ttt:mine");
            assertEquals(0, info.code(), info.err());
            assertTrue(info.out().contains("layers"), info.out());
        } finally {
            System.clearProperty(TttModelZoo.MODEL_DIR_PROPERTY);
        }
        InProcessCli info = InProcessCli.run("info", "--model", dir.toString());
        assertEquals(0, info.code(), info.err());
    }

    @Test
    void anUnknownZooIdIsOneLineAndExitCode1() {
        InProcessCli r =
                InProcessCli.run(
                        "score", "--model", "ai.ttt:no-such-model", "--text", text.toString());
        assertEquals(TttCommand.EXIT_INPUT, r.code(), r.err());
        List<String> lines =
                r.err().strip().lines().filter(l -> !l.startsWith("[Finalizer]")).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).contains("ai.ttt:no-such-model"), r.err());
    }
}
