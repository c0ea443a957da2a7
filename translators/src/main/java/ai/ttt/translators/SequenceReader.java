package ai.ttt.translators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.engine.FeedResult;
import ai.ttt.block.engine.SequenceState;
import ai.ttt.block.engine.StateOptions;
import ai.ttt.block.nn.TttLanguageModel;
import java.util.Arrays;
import java.util.Objects;

/**
 * The one reader of the engine, over {@link SequenceState}'s public API: sessions, the scoring path
 * of {@link TttStreamingBlock}, {@code ttt score} and {@code ttt evaluate} all read text through
 * it, so a text gets the same numbers whichever of them reads it.
 *
 * <p>A read feeds the ids in pieces of {@value #PIECE_MINI_BATCHES} mini-batches (a progress
 * listener sees each piece; memory for the per-token results stays one piece's), collects the NLL
 * of every id that had a prediction (all of them, except the very first id of a sequence), and
 * keeps the logits after the last id read, from which decoding continues ({@link
 * DecodeSteps#resume}). Not thread-safe: one reader per sequence (batch size 1).
 */
public final class SequenceReader implements AutoCloseable {

    /**
     * Mini-batches per piece of a read. The boundary matters for the last bits: at a piece boundary
     * the last, open mini-batch waits for its next target and is re-run, so every reader of a text
     * must cut it the same way to agree bitwise (ttt-spark rows equal {@code ttt score}).
     */
    public static final int PIECE_MINI_BATCHES = 8;

    /** Reports how far a read has got. */
    @FunctionalInterface
    public interface ProgressListener {
        /**
         * Called after each piece is read.
         *
         * @param done ids read so far of this call
         * @param total ids of this call
         */
        void progress(long done, long total);
    }

    private final TttLanguageModel model;
    private final boolean testTimeTraining;
    private final NDManager manager;
    private SequenceState state;
    private NDArray lastLogits;

    private SequenceReader(TttLanguageModel model, SequenceState state, boolean testTimeTraining) {
        this.model = model;
        this.state = state;
        this.testTimeTraining = testTimeTraining;
        this.manager = model.manager().newSubManager();
    }

    /**
     * Returns the state options of an inference read: with test-time training, or with the fast
     * weights kept at W0.
     *
     * @param testTimeTraining whether the fast weights learn while reading
     * @return the options
     */
    public static StateOptions stateOptions(boolean testTimeTraining) {
        return testTimeTraining ? StateOptions.inference() : StateOptions.withoutTtt();
    }

    /**
     * Starts an empty sequence.
     *
     * @param model the model (shared, never modified)
     * @param testTimeTraining whether the fast weights learn while reading
     * @return the reader; close it to free the state
     */
    public static SequenceReader create(TttLanguageModel model, boolean testTimeTraining) {
        Objects.requireNonNull(model, "model");
        return new SequenceReader(
                model,
                SequenceState.create(model, 1, stateOptions(testTimeTraining)),
                testTimeTraining);
    }

    /**
     * Continues a restored state (the reader owns it from now on).
     *
     * @param model the model of the state
     * @param state the state, batch size 1
     * @param testTimeTraining whether it learns while reading
     * @param lastLogits {@code [1, V]} logits after what the state has read, or {@code null}; the
     *     reader takes ownership
     * @return the reader
     */
    static SequenceReader restored(
            TttLanguageModel model,
            SequenceState state,
            boolean testTimeTraining,
            NDArray lastLogits) {
        SequenceReader r = new SequenceReader(model, state, testTimeTraining);
        if (lastLogits != null) {
            lastLogits.attach(r.manager);
            r.lastLogits = lastLogits;
        }
        return r;
    }

    /**
     * Reads ids, learning them when test-time training is on.
     *
     * @param ids the ids (BOS first at the start of a sequence, if wanted)
     * @param listener called after each piece, or {@code null}
     * @return −log p of each id that had a prediction, in order: {@code ids.length} values, or one
     *     fewer when the sequence starts with this read
     */
    public float[] read(long[] ids, ProgressListener listener) {
        float[] nll = new float[ids.length];
        int filled = 0;
        int piece = PIECE_MINI_BATCHES * model.config().miniBatchSize();
        for (int start = 0; start < ids.length; start += piece) {
            int end = Math.min(ids.length, start + piece);
            try (NDManager scratch = manager.newSubManager()) {
                NDArray tokens =
                        scratch.create(
                                Arrays.copyOfRange(ids, start, end), new Shape(1, end - start));
                FeedResult r = state.feed(tokens, scratch, false);
                if (r.targetNll() != null) {
                    float[] part = TttModels.toFloats(r.targetNll());
                    System.arraycopy(part, 0, nll, filled, part.length);
                    filled += part.length;
                }
                keepLastLogits(r.lastLogits());
            }
            if (listener != null) {
                listener.progress(end, ids.length);
            }
        }
        return filled == nll.length ? nll : Arrays.copyOf(nll, filled);
    }

    /**
     * Keeps a copy of the logits after the last id read (the reader's own copy).
     *
     * @param logits {@code [1, V]}
     */
    void keepLastLogits(NDArray logits) {
        NDArray kept = logits.duplicate();
        kept.attach(manager);
        if (lastLogits != null) {
            lastLogits.close();
        }
        lastLogits = kept;
    }

    /**
     * Returns the logits after the last id read.
     *
     * @return {@code [1, V]}, or {@code null} before anything was read
     */
    public NDArray lastLogits() {
        return lastLogits;
    }

    /**
     * Returns the state being read into.
     *
     * @return the state
     */
    public SequenceState state() {
        return state;
    }

    /**
     * Returns how many ids the sequence has read.
     *
     * @return the position of the next id
     */
    public long position() {
        return state.position();
    }

    /**
     * Returns whether the reader learns while reading.
     *
     * @return the test-time-training setting
     */
    public boolean testTimeTraining() {
        return testTimeTraining;
    }

    /** Forgets everything: a fresh state (fast weights at W0), no last logits. */
    public void reset() {
        SequenceState fresh = SequenceState.create(model, 1, stateOptions(testTimeTraining));
        state.close();
        state = fresh;
        if (lastLogits != null) {
            lastLogits.close();
            lastLogits = null;
        }
    }

    /** Frees the state and the last logits. Closing twice is fine. */
    @Override
    public void close() {
        state.close();
        manager.close();
    }
}
