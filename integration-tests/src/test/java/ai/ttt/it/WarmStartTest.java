package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.ttt.block.Fixtures;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.TttConfig;
import ai.ttt.cli.TttCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Warm start (issue 6): a Hugging Face checkpoint converted to TTT-E2E trains with {@code ttt train
 * --init}, the loss curve is written, the run resumes (here with {@code --recompute}), and the
 * result is a loadable model directory.
 */
class WarmStartTest {

    @Test
    void trainFromAConvertedLlama(@TempDir Path tmp) throws Exception {
        Path converted = tmp.resolve("llama-ttt");
        assertEquals(
                0,
                TttCommand.execute(
                        "convert",
                        "--from",
                        "hf",
                        "--input",
                        Fixtures.get("hf/llama-tiny").toString(),
                        "--output",
                        converted.toString(),
                        "--window",
                        "16",
                        "--mini-batch",
                        "8"));
        Path data = tmp.resolve("data.txt");
        Files.writeString(
                data, "In the beginning was the word, and the word was with God. ".repeat(12));
        Path run = tmp.resolve("run");
        String[] args = {
            "train",
            "--init",
            converted.toString(),
            "--tokenizer",
            Fixtures.get("tokenizers/byte/tokenizer.json").toString(),
            "--data",
            data.toString(),
            "--output",
            run.toString(),
            "--steps",
            "4",
            "--batch-size",
            "2",
            "--seq-len",
            "32"
        };
        // Two steps, stop; then the same command resumes and finishes, recomputing per mini-batch
        // (the same gradient, so a run may switch).
        String[] firstHalf = java.util.Arrays.copyOf(args, args.length + 2);
        firstHalf[args.length] = "--stop-after";
        firstHalf[args.length + 1] = "2";
        assertEquals(0, TttCommand.execute(firstHalf));
        assertTrue(!Files.exists(run.resolve("model")), "no final model after a stop");
        assertEquals(3, Files.readAllLines(run.resolve("loss.csv")).size());
        String[] secondHalf = java.util.Arrays.copyOf(args, args.length + 3);
        secondHalf[args.length] = "--recompute";
        secondHalf[args.length + 1] = "--device";
        secondHalf[args.length + 2] = "cpu";
        assertEquals(0, TttCommand.execute(secondHalf));
        List<String> curve = Files.readAllLines(run.resolve("loss.csv"));
        assertEquals(5, curve.size(), String.join("\n", curve));
        assertTrue(Files.size(run.resolve("loss.png")) > 1000);
        TttConfig c = ModelDirectory.readConfig(run.resolve("model"));
        assertEquals(1, c.numPrimeLayers());
        assertEquals(
                0,
                TttCommand.execute(
                        "score",
                        "--model",
                        run.resolve("model").toString(),
                        "--text",
                        data.toString(),
                        "--output",
                        tmp.resolve("score.json").toString()));
    }
}
