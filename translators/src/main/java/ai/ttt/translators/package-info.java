/**
 * The text side of TTT-E2E generation: the tokenizer wrapper ({@link
 * ai.ttt.translators.TttTokenizer}), UTF-8-safe streaming decoding ({@link
 * ai.ttt.translators.IncrementalDecoder}) and token sampling ({@link ai.ttt.translators.Sampler},
 * configured by {@link ai.ttt.translators.SamplingOptions}).
 *
 * <p>Everything here is plain Java on the host: the decode loop copies one row of logits per step
 * from the model and hands it to the sampler; ids go back to the model and, through the incremental
 * decoder, out to the caller as text.
 */
package ai.ttt.translators;
