package ai.ttt.translators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.TttConfig;
import ai.ttt.block.engine.SequenceState;
import ai.ttt.block.io.AtomicWriter;
import ai.ttt.block.io.OwnedFiles;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.SafetensorsFile;
import ai.ttt.block.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A long-lived reading and writing session over one TTT-E2E model: documents are read into the fast
 * weights, and the session then answers, continuing from everything it has read.
 *
 * <p>Everything read (documents, prompts, generated text) goes through one {@link SequenceState}:
 * each mini-batch of tokens takes a test-time-training step, so what was read is learned into the
 * fast weights, while attention only looks back a fixed window. Memory therefore does not grow with
 * how much the session has read: the state holds the fast weights, the window's keys and values and
 * the open mini-batch, and the session itself keeps only a bounded tail of recent text and ids.
 *
 * <p>BOS (when the model defines one) is read once, at the very start of the session.
 *
 * <p>A session is not thread-safe. Many sessions may run at once on many threads over one model
 * (each has its own state; the model is never modified). Close a session to free its memory.
 */
public final class TttSession implements AutoCloseable {

    /** Version of the session directory layout written by {@link #save}. */
    public static final String SESSION_VERSION = "1";

    /** Most recent ids kept (repetition penalty, decoding context). */
    static final int TAIL_TOKENS = 256;

    /** Most recent characters of text kept ({@link #textTail()}). */
    static final int TAIL_CHARS = 4096;

    private static final String STATE_FILE = "state.safetensors";
    private static final String SESSION_FILE = "session.safetensors";

    /** What a saved session directory consists of (the writer replaces these and nothing else). */
    static final OwnedFiles SESSION_FILES =
            new OwnedFiles(
                    "a saved session",
                    Pattern.compile(Pattern.quote(STATE_FILE) + "|" + Pattern.quote(SESSION_FILE)),
                    SESSION_FILE);

    /** Reports how far reading a document has got (tokens read so far, tokens in it). */
    @FunctionalInterface
    public interface ProgressListener extends SequenceReader.ProgressListener {}

    private final TttLanguageModel model;
    private final TttTokenizer tokenizer;
    private final TttConfig config;
    private final boolean[] allowed;
    private final boolean testTimeTraining;
    private final NDManager manager;
    private final SequenceReader reader;
    private long[] tail = new long[0];
    private final StringBuilder textTail = new StringBuilder();

    private TttSession(
            TttLanguageModel model,
            TttTokenizer tokenizer,
            SequenceReader reader,
            boolean testTimeTraining) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.config = model.config();
        this.allowed = tokenizer.decodableMask(config.vocabSize());
        this.testTimeTraining = testTimeTraining;
        this.manager = model.manager().newSubManager();
        this.reader = reader;
    }

    /**
     * Starts an empty session with test-time training.
     *
     * @param model the model (shared, never modified)
     * @param tokenizer its tokenizer (not closed by the session)
     * @return the session
     */
    public static TttSession create(TttLanguageModel model, TttTokenizer tokenizer) {
        return create(model, tokenizer, true);
    }

    /**
     * Starts an empty session.
     *
     * @param model the model (shared, never modified)
     * @param tokenizer its tokenizer (not closed by the session)
     * @param testTimeTraining whether the fast weights learn while reading (false: a plain
     *     sliding-window model that forgets what leaves the window)
     * @return the session
     */
    public static TttSession create(
            TttLanguageModel model, TttTokenizer tokenizer, boolean testTimeTraining) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        tokenizer.requireFits(model.config().vocabSize());
        return new TttSession(
                model, tokenizer, SequenceReader.create(model, testTimeTraining), testTimeTraining);
    }

    /**
     * Reads a document: its tokens are learned into the fast weights.
     *
     * @param text the text
     * @return the number of tokens read (BOS included at the start of a session)
     */
    public long ingest(String text) {
        return ingest(text, null);
    }

    /**
     * Reads a document, reporting progress.
     *
     * @param text the text
     * @param listener called after each piece, or {@code null}
     * @return the number of tokens read (BOS included at the start of a session)
     */
    public long ingest(String text, ProgressListener listener) {
        long[] ids = encode(text);
        read(ids, listener);
        appendText(text);
        return ids.length;
    }

    /**
     * Reads a text and returns how well the session predicted each of its tokens (then learns it).
     *
     * @param text the text
     * @return the NLL of every token of the text that had a prediction (all of them, unless the
     *     session is empty and the model has no BOS)
     */
    public ScoreResult score(String text) {
        long[] ids = encode(text);
        float[] nll = read(ids, null);
        appendText(text);
        long[] scored = Arrays.copyOfRange(ids, ids.length - nll.length, ids.length);
        return new ScoreResult(scored, nll, testTimeTraining);
    }

    /**
     * Returns the logits of the next token, given everything read so far.
     *
     * @return one logit per id of the model's vocabulary
     * @throws IllegalStateException if nothing has been read yet
     */
    public float[] nextTokenLogits() {
        if (reader.lastLogits() == null) {
            throw new IllegalStateException("the session has not read anything yet");
        }
        return TttModels.toFloats(reader.lastLogits());
    }

    /**
     * Returns −log p(id | everything read so far), without reading the token.
     *
     * @param id a token id
     * @return the negative log-likelihood in nats
     */
    public double nextTokenNll(long id) {
        float[] logits = nextTokenLogits();
        if (id < 0 || id >= logits.length) {
            throw new IllegalArgumentException(
                    "token id " + id + " is outside the vocabulary [0, " + logits.length + ")");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum) - logits[(int) id];
    }

    /**
     * Reads a prompt and generates a continuation, which the session also reads.
     *
     * @param prompt the prompt (may be empty to continue from what was read)
     * @param options what to generate
     * @return the generated text
     */
    public String generate(String prompt, GenerationOptions options) {
        return generate(prompt, options, null);
    }

    /**
     * Reads a prompt and generates a continuation, handing each piece of text to {@code onText} as
     * soon as it is complete. The session reads every generated token except a final EOS. Whether
     * it learns while reading is the session's own setting ({@link #testTimeTraining()}); {@link
     * GenerationOptions#testTimeTraining()} is not used here.
     *
     * @param prompt the prompt (may be empty to continue from what was read)
     * @param options what to generate
     * @param onText receives the pieces (whole characters), or {@code null}
     * @return the generated text
     */
    public String generate(String prompt, GenerationOptions options, Consumer<String> onText) {
        Objects.requireNonNull(options, "options");
        long[] ids = encode(prompt);
        if (ids.length == 0 && reader.lastLogits() == null) {
            throw new IllegalArgumentException(
                    "empty prompt: the session has read nothing and the model has no BOS token");
        }
        if (options.maxNewTokens() == 0) {
            read(ids, null);
            appendText(prompt);
            return "";
        }
        StringBuilder text = new StringBuilder();
        try (NDManager call = manager.newSubManager()) {
            NDArray promptArray =
                    ids.length == 0 ? null : call.create(ids, new Shape(1, ids.length));
            NDArray next = call.zeros(new Shape(1, 1), DataType.INT64);
            long[] context = concat(tail, ids);
            try (DecodeSteps steps =
                    DecodeSteps.resume(
                            reader.state(),
                            promptArray,
                            promptArray == null ? reader.lastLogits() : null,
                            next,
                            call)) {
                DecodeLoop loop =
                        new DecodeLoop(
                                tokenizer,
                                allowed,
                                options,
                                TttModels.eosIds(options, config),
                                context,
                                steps,
                                next);
                for (String p = loop.nextPiece(); p != null; p = loop.nextPiece()) {
                    text.append(p);
                    if (onText != null) {
                        onText.accept(p);
                    }
                }
                if (loop.lastTokenPending()) {
                    loop.writePending();
                    steps.next();
                }
                reader.keepLastLogits(steps.lastLogits());
                long[] generated = loop.generatedIds();
                if (!loop.lastTokenPending() && generated.length > 0) {
                    generated = Arrays.copyOf(generated, generated.length - 1); // EOS not read
                }
                appendIds(concat(ids, generated));
            }
        }
        appendText(prompt);
        appendText(text.toString());
        return text.toString();
    }

    /** Reads ids through the reader; returns the NLL of each that had a prediction. */
    private float[] read(long[] ids, ProgressListener listener) {
        if (ids.length == 0) {
            return new float[0];
        }
        float[] nll = reader.read(ids, listener);
        appendIds(ids);
        return nll;
    }

    private long[] encode(String text) {
        Objects.requireNonNull(text, "text");
        if (reader.position() == 0) {
            return TttModels.encodeStart(tokenizer, config, text);
        }
        return text.isEmpty() ? new long[0] : tokenizer.encode(text);
    }

    private void appendIds(long[] ids) {
        long[] all = concat(tail, ids);
        tail =
                all.length <= TAIL_TOKENS
                        ? all
                        : Arrays.copyOfRange(all, all.length - TAIL_TOKENS, all.length);
    }

    private void appendText(String text) {
        textTail.append(text);
        if (textTail.length() > TAIL_CHARS) {
            int cut = textTail.length() - TAIL_CHARS;
            if (Character.isLowSurrogate(textTail.charAt(cut))) {
                cut++;
            }
            textTail.delete(0, cut);
        }
    }

    private static long[] concat(long[] a, long[] b) {
        long[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /**
     * Returns how many tokens the session has read.
     *
     * @return the position of the next token
     */
    public long position() {
        return reader.position();
    }

    /**
     * Returns the end of the text read so far (at most {@value #TAIL_CHARS} characters).
     *
     * @return the text tail
     */
    public String textTail() {
        return textTail.toString();
    }

    /**
     * Returns whether the session learns while reading.
     *
     * @return the test-time-training setting
     */
    public boolean testTimeTraining() {
        return testTimeTraining;
    }

    /** Forgets everything: back to an empty session (fast weights at W0). */
    public void reset() {
        reader.reset();
        tail = new long[0];
        textTail.setLength(0);
    }

    /**
     * Saves the session into a directory ({@code state.safetensors}: the sequence state; {@code
     * session.safetensors}: the session's own part), through {@link AtomicWriter#writeDirectory}: a
     * new directory appears whole; an existing saved session is replaced file by file ({@code
     * session.safetensors} last); a directory holding anything else is refused, naming what is in
     * it, and nothing in it is touched.
     *
     * @param dir the directory to create, or a saved session to replace
     * @throws java.nio.file.FileSystemException naming {@code dir} and what is in the way if it is
     *     neither new, nor empty, nor a saved session
     * @throws IOException if writing fails
     */
    public void save(Path dir) throws IOException {
        AtomicWriter.writeDirectory(
                dir,
                SESSION_FILES,
                staging -> {
                    reader.state().save(staging.resolve(STATE_FILE));
                    SafetensorsWriter w = new SafetensorsWriter();
                    w.putMetadata(SessionFileValidator.VERSION, SESSION_VERSION);
                    w.putMetadata(SessionFileValidator.POSITION, Long.toString(reader.position()));
                    w.putMetadata(
                            SessionFileValidator.TEST_TIME_TRAINING,
                            Boolean.toString(testTimeTraining));
                    w.putMetadata(SessionFileValidator.TEXT_TAIL, textTail.toString());
                    try (NDManager scratch = manager.newSubManager()) {
                        w.add(
                                SessionFileValidator.TAIL_IDS,
                                scratch.create(tail.length == 0 ? new long[] {-1} : tail));
                        w.putMetadata(
                                SessionFileValidator.TAIL_COUNT, Integer.toString(tail.length));
                        if (reader.lastLogits() != null) {
                            w.add(SessionFileValidator.LAST_LOGITS, reader.lastLogits());
                        }
                        w.write(staging.resolve(SESSION_FILE));
                    }
                });
    }

    /**
     * Loads a session saved by {@link #save} for the same model. Both files are checked against the
     * model and each other before use (see {@link SessionFileValidator} and {@link
     * SequenceState#restore}); a file that breaks a rule is refused with a message naming it, the
     * field and the value.
     *
     * @param model the model the session was saved with (same config and precision)
     * @param tokenizer its tokenizer
     * @param dir the session directory
     * @return the session, continuing exactly where the saved one stopped
     * @throws IOException naming the file if it is missing or not a session of this model
     */
    public static TttSession load(TttLanguageModel model, TttTokenizer tokenizer, Path dir)
            throws IOException {
        tokenizer.requireFits(model.config().vocabSize());
        Path sessionFile = dir.resolve(SESSION_FILE);
        if (!Files.isRegularFile(sessionFile)) {
            throw new NoSuchFileException(
                    dir.toString(), null, "not a saved session (no " + SESSION_FILE + ")");
        }
        Path stateFile = dir.resolve(STATE_FILE);
        SequenceState state = SequenceState.restore(model, stateFile);
        NDArray logits = null;
        try (SafetensorsFile f = SafetensorsFile.open(sessionFile)) {
            SessionFileValidator rules = new SessionFileValidator(sessionFile, model);
            SessionFileValidator.Session saved = rules.check(f, state, stateFile);
            if (f.contains(SessionFileValidator.LAST_LOGITS)) {
                logits = f.toNDArray(SessionFileValidator.LAST_LOGITS, model.manager());
                rules.checkLastLogits(logits);
            }
            SequenceReader reader =
                    SequenceReader.restored(model, state, saved.testTimeTraining(), logits);
            TttSession s = new TttSession(model, tokenizer, reader, saved.testTimeTraining());
            s.tail = saved.tail();
            s.textTail.append(saved.textTail());
            return s;
        } catch (IOException | RuntimeException e) {
            if (logits != null) {
                logits.close();
            }
            state.close();
            throw e;
        }
    }

    /** Frees the session's state. Closing twice is fine. */
    @Override
    public void close() {
        reader.close();
        manager.close();
    }
}
