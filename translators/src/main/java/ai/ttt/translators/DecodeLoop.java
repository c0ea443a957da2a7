package ai.ttt.translators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Set;

/**
 * The host side of autoregressive decoding, shared by every generation path (translators, streaming
 * and sessions): per token, read one row of logits (the only host sync), choose the next id, write
 * it into the {@code next} array, and turn ids into text with the {@link IncrementalDecoder} and
 * the stop strings. Not thread-safe: one loop per generated sequence (batch size 1).
 */
final class DecodeLoop {

    private static final NDIndex ALL = new NDIndex("...");

    private final TttTokenizer tokenizer;
    private final boolean[] allowed;
    private final GenerationOptions options;
    private final Set<Long> eos;
    private final Iterator<NDList> steps;
    private final NDArray next;
    private final Sampler sampler;
    private final IncrementalDecoder decoder;
    private final StopMatcher stops;
    private final boolean needHistory;
    private long[] history;
    private int historySize;
    private long[] generated = new long[16];
    private int generatedCount;
    private FinishReason finish;
    private boolean pending;
    private boolean flushed;

    /**
     * Creates the loop.
     *
     * @param tokenizer decodes the generated ids
     * @param allowed ids that may be chosen (decodable ones)
     * @param options what to generate
     * @param eos ids that end generation
     * @param context ids read before (prompt), for the repetition penalty and the decoder's context
     * @param steps the model's steps (first element: logits after the prompt)
     * @param next where chosen ids are written before the following step
     */
    DecodeLoop(
            TttTokenizer tokenizer,
            boolean[] allowed,
            GenerationOptions options,
            Set<Long> eos,
            long[] context,
            Iterator<NDList> steps,
            NDArray next) {
        this.tokenizer = tokenizer;
        this.allowed = allowed;
        this.options = options;
        this.eos = eos;
        this.steps = steps;
        this.next = next;
        this.sampler = new Sampler(options.sampling());
        this.decoder = new IncrementalDecoder(tokenizer, true, context);
        this.stops = new StopMatcher(options.stop());
        this.needHistory =
                options.tokenSelector() != null || options.sampling().repetitionPenalty() != 1.0;
        if (needHistory) {
            history = Arrays.copyOf(context, Math.max(16, context.length + 16));
            historySize = context.length;
        }
        if (options.maxNewTokens() == 0) {
            finish = FinishReason.LENGTH;
        }
    }

    /**
     * Generates until some text is complete, or to the end.
     *
     * @return the next piece of text (never empty, never half a character), or {@code null} when
     *     the generation has ended
     */
    String nextPiece() {
        while (finish == null) {
            if (generatedCount > 0) {
                writeNext(generated[generatedCount - 1]);
            }
            float[] logits = TttModels.toFloats(steps.next().singletonOrThrow());
            int id = choose(logits);
            add(id);
            if (eos.contains((long) id)) {
                finish = FinishReason.EOS;
                pending = false;
                break;
            }
            pending = true;
            String piece = stops.push(decoder.push(id));
            if (stops.stopped()) {
                finish = FinishReason.STOP;
            } else if (generatedCount >= options.maxNewTokens()) {
                finish = FinishReason.LENGTH;
            }
            if (!piece.isEmpty()) {
                return piece;
            }
        }
        if (!flushed) {
            flushed = true;
            String rest = finish == FinishReason.STOP ? "" : stops.push(decoder.flush());
            rest = rest + stops.flush();
            if (!rest.isEmpty()) {
                return rest;
            }
        }
        return null;
    }

    private int choose(float[] logits) {
        long[] previous = needHistory ? Arrays.copyOf(history, historySize) : null;
        if (options.tokenSelector() == null) {
            return sampler.sample(logits, previous, allowed);
        }
        int id = options.tokenSelector().select(logits, previous, allowed);
        if (id < 0 || id >= allowed.length || !allowed[id]) {
            throw new IllegalStateException(
                    "the token selector chose id "
                            + id
                            + ", which the tokenizer cannot decode or the model cannot produce");
        }
        return id;
    }

    private void add(int id) {
        if (generatedCount == generated.length) {
            generated = Arrays.copyOf(generated, generated.length * 2);
        }
        generated[generatedCount++] = id;
        if (needHistory) {
            if (historySize == history.length) {
                history = Arrays.copyOf(history, history.length * 2);
            }
            history[historySize++] = id;
        }
    }

    /**
     * Writes the last generated id into {@code next}, so that one more step reads it (sessions do
     * this so that their state has read everything generated).
     */
    void writePending() {
        writeNext(generated[generatedCount - 1]);
    }

    /**
     * Copies an id into {@code next}. Not {@code next.set(Buffer)}: DJL's JNI for it enters the
     * deprecated {@code AutoNonVariableTypeMode}, and libtorch prints a warning about that on
     * stderr, in the middle of the generated text.
     */
    private void writeNext(long id) {
        try (NDArray host = next.getManager().create(new long[] {id}, next.getShape())) {
            next.set(ALL, host);
        }
    }

    /**
     * Returns whether the last generated id was not read by the model yet (true unless the
     * generation ended with EOS or generated nothing).
     *
     * @return whether a step would still have to read it
     */
    boolean lastTokenPending() {
        return pending;
    }

    /**
     * Returns every generated id, EOS included.
     *
     * @return the ids
     */
    long[] generatedIds() {
        return Arrays.copyOf(generated, generatedCount);
    }

    /**
     * Returns why the generation ended.
     *
     * @return the reason, or {@code null} while it runs
     */
    FinishReason finishReason() {
        return finish;
    }

    TttTokenizer tokenizer() {
        return tokenizer;
    }
}
