package ai.ttt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.ttt.cli.TttCommand;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code ttt} command run in this JVM ({@link TttCommand#execute}), as the reference the Spark
 * transformers must reproduce: the numbers of {@code ttt score --text FILE} and the text of {@code
 * ttt generate}, taken from what the command writes, not from any code the transformers share.
 */
final class Cli {

    private Cli() {}

    /**
     * What {@code ttt score} wrote.
     *
     * @param tokens the "tokens" field: the scored tokens (the document's ids, BOS read, not
     *     scored)
     * @param meanNll "mean_nll"
     * @param tokenNll "token_nll"
     */
    record Score(int tokens, double meanNll, float[] tokenNll) {}

    /**
     * Runs {@code ttt score --text FILE --output OUT [--no-ttt] [--model DIR]}.
     *
     * @param text the document, written to a file in {@code dir}
     * @param ttt whether to learn while reading
     * @param model a model directory, or {@code null} for the default model
     * @param dir a scratch directory
     * @return the scores
     * @throws IOException if the files cannot be written or read
     */
    static Score score(String text, boolean ttt, Path model, Path dir) throws IOException {
        Path input = Files.createTempFile(dir, "document", ".txt");
        Files.writeString(input, text, StandardCharsets.UTF_8);
        Path output = Files.createTempFile(dir, "score", ".json");
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "score",
                                "--text",
                                input.toString(),
                                "--output",
                                output.toString()));
        if (!ttt) {
            args.add("--no-ttt");
        }
        if (model != null) {
            args.add("--model");
            args.add(model.toString());
        }
        int exit = TttCommand.execute(args.toArray(String[]::new));
        assertEquals(0, exit, "ttt " + String.join(" ", args));
        JsonObject json = JsonParser.parseString(Files.readString(output)).getAsJsonObject();
        JsonArray values = json.getAsJsonArray("token_nll");
        float[] tokenNll = new float[values.size()];
        for (int i = 0; i < tokenNll.length; i++) {
            tokenNll[i] = values.get(i).getAsFloat();
        }
        return new Score(
                json.get("tokens").getAsInt(), json.get("mean_nll").getAsDouble(), tokenNll);
    }

    /**
     * Runs {@code ttt generate --prompt-file FILE ...} and returns the text it printed (without the
     * newline {@code println} adds).
     *
     * @param prompt the prompt, written to a file in {@code dir}
     * @param options further flags ({@code --seed}, {@code --max-new-tokens}, ...)
     * @param dir a scratch directory
     * @return the generated text
     * @throws IOException if the prompt file cannot be written
     */
    static synchronized String generate(String prompt, List<String> options, Path dir)
            throws IOException {
        Path input = Files.createTempFile(dir, "prompt", ".txt");
        Files.writeString(input, prompt, StandardCharsets.UTF_8);
        List<String> args = new ArrayList<>(List.of("generate", "--prompt-file", input.toString()));
        args.addAll(options);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int exit;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            exit = TttCommand.execute(args.toArray(String[]::new));
        } finally {
            System.setOut(saved);
        }
        assertEquals(0, exit, "ttt " + String.join(" ", args));
        String printed = out.toString(StandardCharsets.UTF_8);
        String newline = System.lineSeparator();
        assertEquals(true, printed.endsWith(newline), "ttt generate ends its text with a newline");
        return printed.substring(0, printed.length() - newline.length());
    }
}
