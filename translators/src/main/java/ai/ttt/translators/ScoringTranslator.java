package ai.ttt.translators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import ai.ttt.block.nn.TttLanguageModel;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * Scoring, String → {@link ScoreResult}: the negative log-likelihood of every token of a text, read
 * with test-time training (argument {@value #TTT} = true, the default) or with the fast weights
 * kept at W0 ({@code false}). BOS is prepended when the model defines one.
 *
 * <p>Each call reads the text with its own sequence state, closed before returning; memory does not
 * grow with the text's length beyond the per-token results. Prompts of a batch are scored one after
 * the other.
 */
public class ScoringTranslator implements NoBatchifyTranslator<String, ScoreResult> {

    /** Argument name: test-time training on (default) or off. */
    public static final String TTT = GenerationOptions.TTT;

    private static final String IDS = "ai.ttt.scoring.ids";

    private final TttTokenizer tokenizer;
    private final boolean testTimeTraining;

    /**
     * Creates the translator.
     *
     * @param tokenizer the model's tokenizer (not closed by the translator)
     * @param testTimeTraining whether to learn while reading
     */
    public ScoringTranslator(TttTokenizer tokenizer, boolean testTimeTraining) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.testTimeTraining = testTimeTraining;
    }

    /**
     * Creates the translator from DJL arguments ({@value #TTT}, default true).
     *
     * @param tokenizer the model's tokenizer
     * @param arguments Criteria arguments
     * @return the translator
     */
    public static ScoringTranslator fromArguments(
            TttTokenizer tokenizer, Map<String, ?> arguments) {
        Object v = Arguments.first(arguments, TTT);
        return new ScoringTranslator(tokenizer, v == null || Arguments.bool(v, TTT));
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, String input) {
        if (input == null) {
            throw new IllegalArgumentException("the text is null");
        }
        TttLanguageModel lm = TttModels.languageModel(ctx.getBlock());
        long[] ids = TttModels.encodeStart(tokenizer, lm.config(), input);
        if (ids.length < 2) {
            throw new IllegalArgumentException(
                    "need at least 2 tokens to score (BOS counts), got " + ids.length);
        }
        ctx.setAttachment(IDS, ids);
        NDManager m = ctx.getNDManager();
        NDArray tokens = m.create(ids, new Shape(1, ids.length));
        tokens.setName(TttStreamingBlock.TOKENS);
        NDArray score = m.create(true);
        score.setName(TttStreamingBlock.SCORE);
        NDArray ttt = m.create(testTimeTraining);
        ttt.setName(TttStreamingBlock.TTT);
        return new NDList(tokens, score, ttt); // the block's forward reads and scores the text
    }

    /** {@inheritDoc} */
    @Override
    public ScoreResult processOutput(TranslatorContext ctx, NDList list) {
        long[] ids = (long[]) ctx.getAttachment(IDS);
        float[] nll = TttModels.toFloats(list.singletonOrThrow());
        return new ScoreResult(Arrays.copyOfRange(ids, 1, ids.length), nll, testTimeTraining);
    }

    /**
     * Reads a token sequence from the start with a {@link SequenceReader} (as sessions and {@code
     * ttt score} do, so all three agree bitwise) and returns each token's NLL: the forward pass of
     * {@link TttStreamingBlock} for a scoring request.
     *
     * @param lm the model
     * @param tokens {@code [1, n]} int64, BOS included if wanted; the result is created on its
     *     manager
     * @param testTimeTraining whether to learn while reading
     * @return {@code [nll [1, n − 1]]}: the NLL of tokens 1 … n−1
     */
    static NDList score(TttLanguageModel lm, NDArray tokens, boolean testTimeTraining) {
        try (SequenceReader reader = SequenceReader.create(lm, testTimeTraining)) {
            float[] nll = reader.read(tokens.toLongArray(), null);
            return new NDList(tokens.getManager().create(nll, new Shape(1, nll.length)));
        }
    }
}
