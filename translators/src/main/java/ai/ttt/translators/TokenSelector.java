package ai.ttt.translators;

/**
 * Chooses the next token in place of the {@link Sampler}: a hook for constrained or forced
 * decoding. Pass an instance as the Criteria argument {@value GenerationOptions#TOKEN_SELECTOR} or
 * through {@link GenerationOptions#withTokenSelector}.
 *
 * <p>The same instance serves every generation of a translator, possibly on several threads; an
 * implementation that keeps per-sequence state must handle that itself.
 */
@FunctionalInterface
public interface TokenSelector {

    /**
     * Picks the next token.
     *
     * @param logits the model's logits for the next position (one per id of the model's
     *     vocabulary); do not modify
     * @param previousIds the ids seen so far in this generation (prompt, then generated)
     * @param allowed which ids the tokenizer can decode; the result must be one of them
     * @return the chosen id
     */
    int select(float[] logits, long[] previousIds, boolean[] allowed);
}
