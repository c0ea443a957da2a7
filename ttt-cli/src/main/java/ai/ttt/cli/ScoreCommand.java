package ai.ttt.cli;

import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;
import ai.ttt.block.TttConfig;
import ai.ttt.block.io.AtomicWriter;
import ai.ttt.block.io.TextFiles;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.translators.SequenceReader;
import ai.ttt.translators.TttModels;
import ai.ttt.translators.TttTokenizer;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ttt score}: per-token negative log-likelihood of a token sequence, with or without
 * test-time training.
 *
 * <p>The JSON: {@code tokens}, the number of scored tokens (every token read but the first, which
 * has no prediction: BOS for {@code --text} when the model has one, else the first id), equal to
 * the length of {@code token_nll} and to {@link ai.ttt.translators.ScoreResult#size()} for the same
 * text; {@code token_nll}, −log p of each scored token in nats; {@code mean_nll}, their mean;
 * {@code chunk_loss}, the mean NLL of each mini-batch's targets (BOS targets excluded, as in the
 * inner loss); {@code test_time_training}; {@code mini_batch_size}.
 */
@Command(
        name = "score",
        mixinStandardHelpOptions = true,
        description = "Score a token sequence: per-token NLL, mini-batch losses, mean NLL (JSON).")
public final class ScoreCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;

    @ArgGroup(multiplicity = "1")
    Input input;

    /** Exactly one input. */
    static final class Input {
        @Option(
                names = "--token-ids",
                paramLabel = "FILE",
                description = "Whitespace-separated integer ids; the first is the first input.")
        Path tokenIds;

        @Option(
                names = "--text",
                paramLabel = "FILE",
                description =
                        "UTF-8 text, tokenised with the model's tokenizer (BOS prepended when the model has one).")
        Path text;
    }

    @Option(
            names = "--no-ttt",
            description = "Keep the fast weights at W0 (no test-time training).")
    boolean noTtt;

    @Option(
            names = "--output",
            paramLabel = "OUT.json",
            description = "Where to write the JSON (default: standard output).")
    Path output;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        JsonObject result;
        // NDList → NDList: --token-ids needs no tokenizer; --text loads the model's own.
        try (ZooModel<NDList, NDList> zoo =
                ModelLoading.load(modelOptions, NDList.class, NDList.class, Map.of())) {
            TttLanguageModel model = TttModels.languageModel(zoo.getBlock());
            TttConfig config = model.config();
            long[] ids =
                    input.tokenIds != null
                            ? readIds(input.tokenIds, config)
                            : tokenize(TttModels.loadTokenizer(zoo), config, input.text);
            if (ids.length < 2) {
                throw new UserException("need at least 2 tokens to score, got " + ids.length);
            }
            result = score(model, ids, !noTtt);
        }
        String json = new GsonBuilder().setPrettyPrinting().create().toJson(result) + "\n";
        if (output == null) {
            System.out.print(json);
        } else {
            AtomicWriter.writeString(output, json);
        }
        return 0;
    }

    /**
     * Scores a sequence with a {@link SequenceReader} (in pieces, so a progress bar can follow long
     * inputs; the same numbers as the Java API and ttt-spark give for the same ids).
     *
     * @param model the model
     * @param ids the tokens
     * @param ttt whether to train the fast weights while reading
     * @return the JSON result
     */
    static JsonObject score(TttLanguageModel model, long[] ids, boolean ttt) {
        TttConfig c = model.config();
        int b = c.miniBatchSize();
        float[] nll;
        try (SequenceReader reader = SequenceReader.create(model, ttt);
                Progress progress = Progress.tokens("scoring", ids.length)) {
            nll = reader.read(ids, (done, total) -> progress.stepTo(done));
        }
        requireFinite(nll);
        JsonObject o = new JsonObject();
        // "tokens" is the number of scored tokens, as in ScoreResult.size() and ttt-spark's
        // score.tokens: the first token read (BOS, or the first id given) has no prediction.
        o.addProperty("tokens", nll.length);
        o.addProperty("test_time_training", ttt);
        o.addProperty("mini_batch_size", b);
        JsonArray tokenNll = new JsonArray();
        double sum = 0;
        for (float v : nll) {
            tokenNll.add(v);
            sum += v;
        }
        JsonArray chunkLoss = new JsonArray();
        int bos = c.bosTokenId().orElse(-1);
        for (int s = 0; s < nll.length; s += b) {
            double total = 0;
            int count = 0;
            for (int t = s; t < Math.min(nll.length, s + b); t++) {
                if (ids[t + 1] != bos) {
                    total += nll[t];
                    count++;
                }
            }
            chunkLoss.add(count == 0 ? 0.0 : total / count);
        }
        o.addProperty("mean_nll", sum / nll.length);
        o.add("chunk_loss", chunkLoss);
        o.add("token_nll", tokenNll);
        return o;
    }

    /**
     * Refuses a non-finite NLL, as generation refuses non-finite logits: NaN or infinity is no
     * result, and JSON has no way to write it.
     *
     * @param nll the NLL of target t at index t
     * @throws UserException naming the first target whose NLL is not finite
     */
    static void requireFinite(float[] nll) {
        for (int t = 0; t < nll.length; t++) {
            if (!Float.isFinite(nll[t])) {
                throw new UserException(
                        "the NLL of token "
                                + (t + 2)
                                + " is "
                                + nll[t]
                                + ": the model's computation overflowed (its weights or"
                                + " precision cannot score this text); no result written");
            }
        }
    }

    private static long[] readIds(Path file, TttConfig config) throws IOException {
        String text = TextFiles.readUtf8(file).trim();
        if (text.isEmpty()) {
            throw new UserException(file + ": no token ids");
        }
        String[] parts = text.split("\\s+");
        long[] ids = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Long.parseLong(parts[i]);
            } catch (NumberFormatException e) {
                throw new UserException(
                        file + ": token " + (i + 1) + " \"" + parts[i] + "\" is not an integer");
            }
            if (ids[i] < 0 || ids[i] >= config.vocabSize()) {
                throw new UserException(
                        file
                                + ": token "
                                + (i + 1)
                                + " id "
                                + ids[i]
                                + " is outside the vocabulary [0, "
                                + config.vocabSize()
                                + ")");
            }
        }
        return ids;
    }

    /**
     * Reads a text file and tokenises it as the start of a sequence (BOS first when the model has
     * one).
     *
     * @param tokenizer the model's tokenizer
     * @param config the model's config
     * @param file the UTF-8 text
     * @return the ids
     * @throws IOException if the file cannot be read
     */
    static long[] tokenize(TttTokenizer tokenizer, TttConfig config, Path file) throws IOException {
        String text = TextFiles.readUtf8(file);
        if (text.isEmpty()) {
            throw new UserException(file + ": empty text");
        }
        return TttModels.encodeStart(tokenizer, config, text);
    }
}
