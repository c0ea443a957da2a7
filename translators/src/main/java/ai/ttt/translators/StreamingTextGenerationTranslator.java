package ai.ttt.translators;

import ai.djl.inference.streaming.StreamingTranslator;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Streaming text generation, String → {@link TextStream}, for DJL's {@code
 * Predictor.streamingPredict}: the block ({@link TttStreamingBlock}) streams the logits of each
 * step, this translator samples, feeds the chosen id back and decodes UTF-8-safe pieces with the
 * {@link IncrementalDecoder}. Both of DJL's modes are supported (iterative and asynchronous).
 *
 * <p>With the same options and seed, the pieces concatenate to exactly the text the non-streaming
 * {@link TextGenerationTranslator} returns: both run the same decoding loop. A plain {@code
 * predict} returns an already complete stream.
 */
public class StreamingTextGenerationTranslator
        implements StreamingTranslator<String, TextStream>,
                NoBatchifyTranslator<String, TextStream> {

    private final TttTokenizer tokenizer;
    private final GenerationOptions options;

    /**
     * Creates the translator.
     *
     * @param tokenizer the model's tokenizer (not closed by the translator)
     * @param options what to generate
     */
    public StreamingTextGenerationTranslator(TttTokenizer tokenizer, GenerationOptions options) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.options = Objects.requireNonNull(options, "options");
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, String input) {
        return Generations.prepare(ctx, tokenizer, input, options);
    }

    /** {@inheritDoc} */
    @Override
    public TextStream processOutput(TranslatorContext ctx, NDList list) {
        Generations.Result r = Generations.result(ctx);
        return TextStream.of(r.pieces(), r.reason());
    }

    /** {@inheritDoc} */
    @Override
    public StreamOutput<TextStream> processStreamOutput(
            TranslatorContext ctx, Stream<NDList> list) {
        Generations.StreamSource source;
        try {
            source = new Generations.StreamSource(ctx, tokenizer, list);
        } catch (RuntimeException e) {
            list.close(); // frees the sequence state the block started
            throw e;
        }
        return new StreamOutput<>() {
            @Override
            protected TextStream buildAsyncOutput() {
                return TextStream.pushed();
            }

            @Override
            protected void computeAsyncOutputInternal(TextStream output) {
                try {
                    for (String p = source.next(); p != null; p = source.next()) {
                        if (output.isClosed()) {
                            break;
                        }
                        output.put(p);
                    }
                    output.end(source.finishReason());
                } catch (RuntimeException | Error e) {
                    output.fail(e);
                    throw e;
                } finally {
                    source.close();
                }
            }

            @Override
            public TextStream getIterativeOutputInternal() {
                TextStream s = TextStream.pulling(source);
                source.owner(s);
                return s;
            }
        };
    }

    /** {@inheritDoc} */
    @Override
    public Support getSupport() {
        return Support.BOTH;
    }
}
