package ai.ttt.translators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.ttt.block.engine.FeedResult;
import ai.ttt.block.engine.SequenceState;
import ai.ttt.block.nn.TttLanguageModel;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * Drives a {@link SequenceState} one decoding step at a time, as the elements of a DJL stream.
 *
 * <p>The first {@link #next()} reads the prompt (learning from it, with test-time training) and
 * returns the logits of the position after it, {@code NDList[logits [B, V]]}. Every later {@link
 * #next()} reads the ids the consumer has written into the {@code next} array ({@code [B, 1]}
 * int64) in the meantime and returns the logits after them. So the consumer samples from one
 * element, writes the chosen ids, and asks for the next element; it must not ask for an element
 * (not even through an adapter's {@code hasNext()}) before writing the ids.
 *
 * <p>The arrays of an element live until the following {@link #next()} or {@link #close()}: copy
 * what must outlive them. Closing frees the per-step arrays and, when the steps own it, the
 * sequence state. Not thread-safe.
 */
public final class DecodeSteps implements Iterator<NDList>, AutoCloseable {

    private final SequenceState state;
    private final boolean ownsState;
    private final NDManager out;
    private final NDArray next;
    private NDArray first;
    private NDArray initialLogits;
    private NDManager step;
    private NDArray lastLogits;
    private boolean closed;

    private DecodeSteps(
            SequenceState state,
            boolean ownsState,
            NDArray first,
            NDArray initialLogits,
            NDArray next,
            NDManager out) {
        this.state = state;
        this.ownsState = ownsState;
        this.first = first;
        this.initialLogits = initialLogits;
        this.next = Objects.requireNonNull(next, "next");
        this.out = out;
    }

    /**
     * Starts new sequences: a fresh state per call, closed with these steps.
     *
     * @param model the language model
     * @param prompt {@code [B, n]} int64 ids on the model's device (n ≥ 1); per-step arrays are
     *     created under its manager
     * @param next {@code [B, 1]} int64: where the consumer writes the ids to feed next
     * @param testTimeTraining whether the fast weights learn while reading
     * @return the steps
     */
    public static DecodeSteps start(
            TttLanguageModel model, NDArray prompt, NDArray next, boolean testTimeTraining) {
        int batch = (int) prompt.getShape().get(0);
        SequenceState state =
                SequenceState.create(model, batch, SequenceReader.stateOptions(testTimeTraining));
        return new DecodeSteps(state, true, prompt, null, next, prompt.getManager());
    }

    /**
     * Continues an existing state (not closed by these steps).
     *
     * @param state the state
     * @param prompt ids to read first ({@code [B, n]}), or {@code null} to start from {@code
     *     initialLogits}
     * @param initialLogits the logits after what the state has read ({@code [B, V]}), used when
     *     there is no prompt
     * @param next {@code [B, 1]} int64: where the consumer writes the ids to feed next
     * @param out the manager under which per-step arrays are created
     * @return the steps
     */
    public static DecodeSteps resume(
            SequenceState state,
            NDArray prompt,
            NDArray initialLogits,
            NDArray next,
            NDManager out) {
        if (prompt == null && initialLogits == null) {
            throw new IllegalArgumentException("either a prompt or the initial logits are needed");
        }
        return new DecodeSteps(state, false, prompt, initialLogits, next, out);
    }

    /**
     * Returns whether more steps can be taken (until closed).
     *
     * @return {@code true} unless closed
     */
    @Override
    public boolean hasNext() {
        return !closed;
    }

    /**
     * Reads the prompt (first call) or the ids in {@code next}, and returns the logits after them.
     *
     * @return {@code NDList[logits [B, V]]}, valid until the next call
     */
    @Override
    public NDList next() {
        if (closed) {
            throw new NoSuchElementException("the decoding steps are closed");
        }
        if (step != null) {
            step.close();
        }
        step = out.newSubManager();
        if (first == null && initialLogits != null) {
            lastLogits = initialLogits.duplicate();
            lastLogits.attach(step);
            initialLogits = null;
            return new NDList(lastLogits);
        }
        boolean prompt = first != null;
        NDArray input = prompt ? first : next;
        first = null;
        initialLogits = null;
        FeedResult r =
                prompt ? ReadProgress.feed(state, input, step) : state.feed(input, step, false);
        lastLogits = r.lastLogits();
        return new NDList(lastLogits);
    }

    /**
     * Returns the logits of the last step (live until the next step or close).
     *
     * @return {@code [B, V]}, or {@code null} before the first step
     */
    public NDArray lastLogits() {
        return lastLogits;
    }

    /**
     * Returns the state being driven.
     *
     * @return the state
     */
    public SequenceState state() {
        return state;
    }

    /** Frees the per-step arrays and, if owned, the state. Closing twice is fine. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        lastLogits = null;
        if (step != null) {
            step.close();
            step = null;
        }
        if (ownsState) {
            state.close();
        }
    }
}
