package ai.ttt.cli;

import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import ai.ttt.block.io.TextFiles;
import ai.ttt.translators.ReadProgress;
import ai.ttt.translators.TextStream;
import ai.ttt.zoo.TttModelZoo;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ttt generate}: continues a prompt. Goes through DJL exactly as a user's program would:
 * {@code Criteria} (by path with the TTT translator factory, or the embedded default by zoo id),
 * then a {@code Predictor} ({@code streamingPredict} with {@code --stream}).
 */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = {
            "Continue a prompt. Without --model, uses the embedded default model "
                    + TttModelZoo.DEFAULT_MODEL_DESCRIPTION
                    + ".",
            "Prints the generated text (not the prompt) to standard output."
        })
public final class GenerateCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;

    @Mixin GenerationFlags flags;

    @ArgGroup(multiplicity = "1")
    Prompt prompt;

    /** Exactly one prompt source. */
    static final class Prompt {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt.")
        String text;

        @Option(
                names = "--prompt-file",
                paramLabel = "FILE",
                description = "Read the prompt from a UTF-8 file.")
        Path file;
    }

    @Option(names = "--stream", description = "Print the text as it is generated.")
    boolean stream;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException, TranslateException {
        try {
            return run();
        } catch (TranslateException e) {
            // The first input problem in the chain (its own cause may be a native exception).
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof IllegalArgumentException) {
                    throw new UserException(c.getMessage());
                }
            }
            throw e;
        }
    }

    private Integer run() throws IOException, TranslateException {
        String text = prompt.file != null ? TextFiles.readUtf8(prompt.file) : prompt.text;
        if (text.isEmpty()) {
            throw new UserException(
                    (prompt.file != null ? prompt.file + ": " : "") + "empty prompt");
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        // A long prompt takes a while to read: show it, and end the display before any output.
        try (Progress reading = Progress.tokens("reading the prompt", 0)) {
            return ReadProgress.reporting(
                    (done, total) -> {
                        reading.stepTo(done, total);
                        if (done == total) {
                            reading.close();
                        }
                    },
                    () -> {
                        try {
                            return generate(text, out);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
        }
    }

    private Integer generate(String text, PrintStream out) throws IOException, TranslateException {
        if (stream) {
            try (ZooModel<String, TextStream> model =
                            ModelLoading.load(
                                    modelOptions,
                                    String.class,
                                    TextStream.class,
                                    flags.arguments());
                    Predictor<String, TextStream> predictor = model.newPredictor();
                    TextStream pieces = predictor.streamingPredict(text).getIterativeOutput()) {
                for (String piece : pieces) {
                    out.print(piece);
                    out.flush();
                }
                out.println();
            }
        } else {
            try (ZooModel<String, String> model =
                            ModelLoading.load(
                                    modelOptions, String.class, String.class, flags.arguments());
                    Predictor<String, String> predictor = model.newPredictor()) {
                out.println(predictor.predict(text));
            }
        }
        return 0;
    }
}
