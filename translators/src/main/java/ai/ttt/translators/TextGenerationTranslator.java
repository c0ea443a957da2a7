package ai.ttt.translators;

import ai.djl.ndarray.NDList;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.util.Objects;

/**
 * Text generation, String → String: the prompt in, the generated continuation out (without the
 * prompt; without a final EOS token or stop string).
 *
 * <p>The prompt is encoded with the model's tokenizer, BOS first when the model defines one, and
 * read with test-time training; then tokens are sampled one at a time ({@link Sampler}, restricted
 * to ids the tokenizer can decode) until an EOS id, a stop string or {@link
 * GenerationOptions#maxNewTokens()}. The only host synchronisation per token is reading one row of
 * logits.
 *
 * <p>{@code batchPredict} with prompts of different lengths works: each prompt gets its own
 * sequence state and is generated on its own, one after the other (there is no padding, so nothing
 * padded can leak into attention or the inner loss). Every call creates its state and closes it
 * before returning, so predictions leave no native memory behind.
 *
 * <p>Options come from the Criteria arguments ({@link GenerationOptions#fromArguments}); a
 * translator is safe to share between predictors and threads.
 */
public class TextGenerationTranslator implements NoBatchifyTranslator<String, String> {

    private final TttTokenizer tokenizer;
    private final GenerationOptions options;

    /**
     * Creates the translator.
     *
     * @param tokenizer the model's tokenizer (not closed by the translator)
     * @param options what to generate
     */
    public TextGenerationTranslator(TttTokenizer tokenizer, GenerationOptions options) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * Returns the options.
     *
     * @return the generation options
     */
    public GenerationOptions options() {
        return options;
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, String input) {
        return Generations.prepare(ctx, tokenizer, input, options);
    }

    /** {@inheritDoc} */
    @Override
    public String processOutput(TranslatorContext ctx, NDList list) {
        return Generations.result(ctx).text();
    }
}
