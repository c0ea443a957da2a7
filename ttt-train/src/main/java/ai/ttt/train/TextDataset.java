package ai.ttt.train;

import ai.ttt.block.io.TextFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Training text, tokenised and packed into fixed-length sequences.
 *
 * <p>Packing: every document is tokenised and prefixed with BOS, and the documents are joined into
 * one stream. Training sequence i is {@code BOS} followed by tokens {@code [i·T, (i+1)·T)} of that
 * stream, T + 1 tokens in all, so every sequence starts with BOS. A document shorter than T shares
 * its sequence with the next ones (separated by BOS, whose targets the inner loss leaves out, as in
 * the official code); a long document spans several sequences, each starting over with fresh fast
 * weights. The tail of the stream that does not fill a sequence is dropped.
 */
public final class TextDataset {

    private final long[] stream;
    private final int sequenceLength;
    private final long bos;

    private TextDataset(long[] stream, int sequenceLength, long bos) {
        this.stream = stream;
        this.sequenceLength = sequenceLength;
        this.bos = bos;
    }

    /**
     * Tokenises documents in parallel and packs them.
     *
     * @param documents the documents' text, in order
     * @param tokenizer text → ids (thread-safe)
     * @param bos the BOS id
     * @param sequenceLength T, targets per sequence
     * @param threads tokenising threads
     * @return the dataset
     * @throws IOException if tokenising fails
     */
    public static TextDataset pack(
            List<String> documents,
            Function<String, long[]> tokenizer,
            long bos,
            int sequenceLength,
            int threads)
            throws IOException {
        List<long[]> tokens = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            List<Future<long[]>> futures = new ArrayList<>();
            for (String d : documents) {
                futures.add(pool.submit(() -> tokenizer.apply(d)));
            }
            for (Future<long[]> f : futures) {
                tokens.add(f.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while tokenising", e);
        } catch (ExecutionException e) {
            throw new IOException("tokenising failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdown();
        }
        int total = 0;
        for (long[] t : tokens) {
            total = Math.addExact(total, t.length + 1);
        }
        long[] stream = new long[total];
        int at = 0;
        for (long[] t : tokens) {
            stream[at++] = bos;
            System.arraycopy(t, 0, stream, at, t.length);
            at += t.length;
        }
        return new TextDataset(stream, sequenceLength, bos);
    }

    /**
     * Reads plain-text documents: a file is one document; a folder contributes every regular file
     * below it, in name order. Every file must be UTF-8 text.
     *
     * @param paths files or folders
     * @return the documents' text
     * @throws IOException naming a path that does not exist or cannot be read, or a file that is
     *     not UTF-8 (with the offset of its first invalid byte)
     */
    public static List<String> readDocuments(List<Path> paths) throws IOException {
        List<String> out = new ArrayList<>();
        for (Path p : paths) {
            if (!Files.exists(p)) {
                throw new NoSuchFileException(p.toString(), null, "training data not found");
            }
            if (Files.isDirectory(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
                        out.add(TextFiles.readUtf8(f));
                    }
                }
            } else {
                out.add(TextFiles.readUtf8(p));
            }
        }
        return out;
    }

    /**
     * Returns the number of whole sequences.
     *
     * @return the count
     */
    public int size() {
        return (stream.length) / sequenceLength;
    }

    /**
     * Returns the total number of tokens in the packed stream.
     *
     * @return the token count
     */
    public int tokens() {
        return stream.length;
    }

    /**
     * Returns sequence i: BOS then T tokens.
     *
     * @param i 0 … size − 1
     * @return T + 1 ids
     */
    public long[] sequence(int i) {
        long[] s = new long[sequenceLength + 1];
        s[0] = bos;
        System.arraycopy(stream, i * sequenceLength, s, 1, sequenceLength);
        return s;
    }

    /**
     * Returns the order in which an epoch visits the sequences: a permutation that depends only on
     * the seed and the epoch (so a resumed run sees the same data).
     *
     * @param seed the run's seed
     * @param epoch the epoch
     * @return a permutation of 0 … size − 1
     */
    public int[] order(long seed, int epoch) {
        int[] p = new int[size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = i;
        }
        Random r = new Random(seed * 1_000_003L + epoch);
        for (int i = p.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
