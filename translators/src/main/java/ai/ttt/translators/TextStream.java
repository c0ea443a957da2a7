package ai.ttt.translators;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Generated text as it is produced: an {@link Iterable} of pieces, each a whole number of
 * characters (never half of one), whose concatenation is the generated text.
 *
 * <p>The output type of streaming generation ({@code Criteria.setTypes(String.class,
 * TextStream.class)}), in DJL's two streaming modes:
 *
 * <ul>
 *   <li>iterative ({@code streamingPredict(p).getIterativeOutput()}): each step of the iterator
 *       generates tokens on the caller's thread until a piece of text is complete;
 *   <li>asynchronous ({@code getAsyncOutput()} then {@code computeAsyncOutput()} on a worker
 *       thread): the worker produces, and any thread iterates, blocking until the next piece.
 * </ul>
 *
 * <p>A non-streaming {@code predict} returns a stream that is already complete. Iterate once.
 * Closing an unfinished stream stops the generation and frees its memory; a stream read to its end
 * closes itself.
 */
public final class TextStream implements Iterable<String>, AutoCloseable {

    /** Produces pieces on demand (iterative mode). */
    interface Source extends AutoCloseable {
        /** Returns the next piece, or {@code null} at the end. */
        String next() throws Exception;

        /** Frees what the generation holds. */
        @Override
        void close();
    }

    private static final Object END = new Object();

    private final Source source;
    private final BlockingQueue<Object> queue;
    private volatile boolean closed;
    private volatile FinishReason finishReason;
    private boolean iterated;

    private TextStream(Source source, BlockingQueue<Object> queue) {
        this.source = source;
        this.queue = queue;
    }

    /** A stream whose pieces are generated as the iterator is advanced. */
    static TextStream pulling(Source source) {
        return new TextStream(source, null);
    }

    /** A stream filled by a producer through {@link #put}, {@link #end} and {@link #fail}. */
    static TextStream pushed() {
        return new TextStream(null, new LinkedBlockingQueue<>());
    }

    /** A complete stream. */
    static TextStream of(List<String> pieces, FinishReason reason) {
        TextStream s = pushed();
        for (String p : pieces) {
            s.put(p);
        }
        s.end(reason);
        return s;
    }

    void put(String piece) {
        queue.add(piece);
    }

    void end(FinishReason reason) {
        finishReason = reason;
        queue.add(END);
    }

    void fail(Throwable error) {
        queue.add(error);
    }

    void finished(FinishReason reason) {
        finishReason = reason;
    }

    /**
     * Returns whether the consumer closed the stream before its end (producers stop then).
     *
     * @return {@code true} once {@link #close()} was called
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Returns why the generation ended.
     *
     * @return the reason, or {@code null} while it runs (or if it was closed early)
     */
    public FinishReason finishReason() {
        return finishReason;
    }

    /**
     * Returns the pieces; may be called once.
     *
     * @return an iterator over the pieces
     */
    @Override
    public synchronized Iterator<String> iterator() {
        if (iterated) {
            throw new IllegalStateException("a TextStream can be iterated only once");
        }
        iterated = true;
        return new Iterator<>() {
            private String nextPiece;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (nextPiece != null) {
                    return true;
                }
                if (done) {
                    return false;
                }
                nextPiece = fetch();
                if (nextPiece == null) {
                    done = true;
                    close();
                }
                return nextPiece != null;
            }

            @Override
            public String next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                String p = nextPiece;
                nextPiece = null;
                return p;
            }
        };
    }

    private String fetch() {
        if (closed) {
            return null;
        }
        if (source != null) {
            try {
                return source.next();
            } catch (RuntimeException e) {
                close();
                throw e;
            } catch (Exception e) {
                close();
                throw new IllegalStateException("generation failed: " + e.getMessage(), e);
            }
        }
        Object o;
        try {
            o = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for generated text", e);
        }
        if (o == END) {
            return null;
        }
        if (o instanceof Throwable) {
            Throwable t = (Throwable) o;
            throw new IllegalStateException("generation failed: " + t.getMessage(), t);
        }
        return (String) o;
    }

    /**
     * Reads the rest of the stream.
     *
     * @return the concatenated pieces not read yet
     */
    public String readAll() {
        StringBuilder sb = new StringBuilder();
        for (String p : this) {
            sb.append(p);
        }
        return sb.toString();
    }

    /**
     * Reads the rest of the stream as a list of pieces.
     *
     * @return the pieces not read yet
     */
    public List<String> readPieces() {
        List<String> pieces = new ArrayList<>();
        for (String p : this) {
            pieces.add(p);
        }
        return pieces;
    }

    /** Stops the generation if it still runs and frees its memory. */
    @Override
    public void close() {
        closed = true;
        if (source != null) {
            source.close();
        }
    }
}
