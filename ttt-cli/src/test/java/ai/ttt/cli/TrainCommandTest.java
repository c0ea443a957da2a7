package ai.ttt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.ttt.train.TrainPresets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Argument checks of {@code ttt train} that fail before any data is read or any file written. */
class TrainCommandTest {

    @Test
    void presetWithConfigAndPrimeLayersIsAnInputError(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, TrainPresets.defaultModel(0).toJsonString());
        String err =
                inputError(
                        "train",
                        "--preset",
                        "default",
                        "--config",
                        config.toString(),
                        "--prime-layers",
                        "0",
                        "--output",
                        dir.resolve("run").toString());
        assertTrue(err.contains("--config or --prime-layers, not both"), err);
    }

    @Test
    void unknownPresetIsAnInputError(@TempDir Path dir) {
        String err =
                inputError("train", "--preset", "large", "--output", dir.resolve("run").toString());
        assertTrue(err.contains("--preset large is not known"), err);
    }

    @Test
    void unknownDeviceIsAnInputError(@TempDir Path dir) {
        String err = defaultPresetError(dir, "--device", "tpu");
        assertTrue(err.contains("--device tpu must be cpu or gpu"), err);
    }

    @Test
    void gpuWithoutCudaIsAnInputError(@TempDir Path dir) {
        assumeTrue(
                Engine.getEngine("PyTorch").getGpuCount() == 0, "this machine has a CUDA device");
        String err = defaultPresetError(dir, "--device", "GPU");
        assertTrue(err.contains("--device gpu: no CUDA device visible"), err);
    }

    @Test
    void anUnknownExecutionIsAnInputError(@TempDir Path dir) {
        String unknown = defaultPresetError(dir, "--execution", "fast");
        assertTrue(unknown.contains("--execution fast must be program or plain"), unknown);
    }

    @Test
    void aTimeOrStepLimitThatAllowsNoStepIsAnInputError(@TempDir Path dir) {
        // Found by hand: such a run trained nothing and then failed on the missing loss.csv.
        for (String[] limit :
                new String[][] {
                    {"--max-minutes", "-1", "--max-minutes -1.0 must be positive"},
                    {"--max-minutes", "0", "--max-minutes 0.0 must be positive"},
                    {"--max-minutes", "NaN", "--max-minutes NaN must be positive"},
                    {"--stop-after", "0", "--stop-after 0 must be at least 1"}
                }) {
            String err = defaultPresetError(dir, limit[0], limit[1]);
            assertTrue(err.contains(limit[2]), err);
            assertTrue(!Files.exists(dir.resolve("run")), "nothing written");
        }
    }

    /** {@code ttt train --preset default OPTION VALUE --output DIR/run}: its input error. */
    private static String defaultPresetError(Path dir, String option, String value) {
        return inputError(
                "train",
                "--preset",
                "default",
                option,
                value,
                "--output",
                dir.resolve("run").toString());
    }

    /** Runs the command, expects exit code 1, and returns what it wrote to stderr. */
    private static String inputError(String... args) {
        try {
            return StdErr.capture(
                    () -> assertEquals(TttCommand.EXIT_INPUT, TttCommand.execute(args)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
