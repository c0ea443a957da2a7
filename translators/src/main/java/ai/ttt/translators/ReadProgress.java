package ai.ttt.translators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.ttt.block.engine.FeedResult;
import ai.ttt.block.engine.SequenceState;

/**
 * Progress of long reads that happen deep inside a DJL call (a prompt read before generating,
 * through a {@code Predictor}), reported to a listener the caller sets for its own thread.
 *
 * <p>A 10 KB prompt takes seconds on a CPU with a large window; a program (the CLI) that wants to
 * show that it is alive wraps its call in {@link #reporting}, and the read is then fed in pieces
 * with a report after each. Without a listener the read is one feed, as before. DJL runs {@code
 * predict} and a stream's elements on the calling thread, so the listener reaches them.
 */
public final class ReadProgress {

    private static final ThreadLocal<TttSession.ProgressListener> LISTENER = new ThreadLocal<>();

    private ReadProgress() {}

    /** Work that may throw a checked exception. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        /**
         * Does the work.
         *
         * @return the result
         * @throws E if it fails
         */
        T run() throws E;
    }

    /**
     * Runs work with a listener for the long reads it makes on this thread.
     *
     * @param listener receives (tokens read, tokens to read) after each piece
     * @param work the work, e.g. {@code () -> predictor.predict(prompt)}
     * @param <T> the result type
     * @param <E> the exception the work may throw
     * @return the work's result
     * @throws E if the work fails
     */
    public static <T, E extends Exception> T reporting(
            TttSession.ProgressListener listener, Work<T, E> work) throws E {
        TttSession.ProgressListener previous = LISTENER.get();
        LISTENER.set(listener);
        try {
            return work.run();
        } finally {
            if (previous == null) {
                LISTENER.remove();
            } else {
                LISTENER.set(previous);
            }
        }
    }

    /**
     * Feeds a prompt, in pieces of 8 mini-batches with a report after each when this thread has a
     * listener (the same result as one feed: pieces end at mini-batch boundaries).
     *
     * @param state the state
     * @param tokens {@code [B, n]} int64
     * @param out owns the results
     * @return what one feed of all the tokens returns, but only the last logits and the target NLLs
     *     of the last piece
     */
    static FeedResult feed(SequenceState state, NDArray tokens, NDManager out) {
        TttSession.ProgressListener listener = LISTENER.get();
        long n = tokens.getShape().get(1);
        long piece = 8L * state.model().config().miniBatchSize();
        if (listener == null || n <= piece) {
            return state.feed(tokens, out, false);
        }
        FeedResult last = null;
        for (long start = 0; start < n; start += piece) {
            long end = Math.min(n, start + piece);
            try (NDArray part = tokens.get(new NDIndex(":, {}:{}", start, end))) {
                last = state.feed(part, out, false); // earlier pieces' results go with out
            }
            listener.progress(end, n);
        }
        return last;
    }
}
