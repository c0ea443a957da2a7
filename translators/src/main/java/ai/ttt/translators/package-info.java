/**
 * The text side of TTT-E2E models in DJL: tokenizer ({@link ai.ttt.translators.TttTokenizer}),
 * sampling ({@link ai.ttt.translators.Sampler}), UTF-8-safe streaming decoding ({@link
 * ai.ttt.translators.IncrementalDecoder}), the DJL translators and long-lived sessions ({@link
 * ai.ttt.translators.TttSession}).
 *
 * <h2>How generation runs in DJL</h2>
 *
 * <p>Autoregressive decoding with test-time training is not one forward pass, so the pieces are
 * split this way:
 *
 * <ul>
 *   <li>The model's block is a {@link ai.ttt.translators.TttStreamingBlock} around the {@code
 *       TttLanguageModel}. For a generation request ({@code [tokens, next]}) its {@code
 *       forwardStream} yields {@link ai.ttt.translators.DecodeSteps}: one {@code SequenceState} per
 *       call; the first element is the logits after reading the prompt, each later element the
 *       logits after the ids the consumer wrote into {@code next}.
 *   <li>The translator encodes the prompt (BOS first when the model has one), and for each element
 *       reads one row of logits to the host (the only host synchronisation per token), samples
 *       among the ids the tokenizer can decode, writes the id into {@code next}, and turns ids into
 *       text with the incremental decoder and the stop strings.
 *   <li>{@code Predictor.streamingPredict} drives this through the block's stream ({@link
 *       ai.ttt.translators.StreamingTextGenerationTranslator}, {@link
 *       ai.ttt.translators.TttServingTranslator}); a plain {@code predict} runs the very same loop
 *       inside {@code processOutput} (the block passes the request through unchanged), so both give
 *       the same text for the same seed.
 * </ul>
 *
 * <p>Every call creates its own sequence state and closes it, so translators are safe to share
 * between predictors and threads, and predictions leave no native arrays behind.
 */
package ai.ttt.translators;
