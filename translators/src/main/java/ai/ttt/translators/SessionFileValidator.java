package ai.ttt.translators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.ttt.block.TttConfig;
import ai.ttt.block.engine.SequenceState;
import ai.ttt.block.io.InvalidFileException;
import ai.ttt.block.io.StrictMetadata;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.DType;
import ai.ttt.block.safetensors.SafetensorsFile;
import ai.ttt.block.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/**
 * The rules the session file of a saved {@link TttSession} ({@code session.safetensors}) must
 * satisfy, checked against the model and the session's restored state (whose own file is checked by
 * {@link SequenceState#restore}) before the session is used:
 *
 * <ul>
 *   <li>metadata: exactly the known keys; the version; {@code position} (canonical decimal) equal
 *       to the state's; {@code test_time_training} ({@code true} or {@code false}) equal to the
 *       state file's; {@code text_tail} at most {@value TttSession#TAIL_CHARS} characters; 0 ≤
 *       {@code tail_count} ≤ min({@value TttSession#TAIL_TOKENS}, position);
 *   <li>the state holds one sequence;
 *   <li>tensors: {@code tail_ids} I64 {@code [max(1, tail_count)]}, every id in [0, V) (the single
 *       placeholder of an empty tail is −1); {@code last_logits} exactly when position &gt; 0, in
 *       the model's stream type, {@code [1, V]}, finite; nothing else.
 * </ul>
 */
final class SessionFileValidator {

    static final String VERSION = "ttt_session_version";
    static final String POSITION = "position";
    static final String TEST_TIME_TRAINING = "test_time_training";
    static final String TEXT_TAIL = "text_tail";
    static final String TAIL_COUNT = "tail_count";
    static final String TAIL_IDS = "tail_ids";
    static final String LAST_LOGITS = "last_logits";

    private static final Set<String> KEYS =
            Set.of(VERSION, POSITION, TEST_TIME_TRAINING, TEXT_TAIL, TAIL_COUNT);

    /**
     * What a valid session file says.
     *
     * @param testTimeTraining whether the session learns while reading
     * @param tail the most recent ids
     * @param textTail the most recent text
     */
    record Session(boolean testTimeTraining, long[] tail, String textTail) {}

    private final Path file;
    private final TttLanguageModel model;
    private final TttConfig config;

    SessionFileValidator(Path file, TttLanguageModel model) {
        this.file = file;
        this.model = model;
        this.config = model.config();
    }

    /**
     * Checks the session file against the restored state.
     *
     * @param f the open session file
     * @param state the session's state, restored from {@code stateFile}
     * @param stateFile the state's file (its {@code test_time_training} must match)
     * @return what the file says
     * @throws InvalidFileException naming the field and value of the first rule broken
     * @throws IOException if a file cannot be read
     */
    Session check(SafetensorsFile f, SequenceState state, Path stateFile) throws IOException {
        StrictMetadata meta = new StrictMetadata(file, f.metadata());
        meta.version(VERSION, TttSession.SESSION_VERSION, "a TTT-E2E session");
        meta.onlyKeys(KEYS);
        long position = meta.nonNegativeLong(POSITION);
        if (position != state.position()) {
            throw refuse(
                    "position "
                            + position
                            + " does not match the state's "
                            + state.position()
                            + " ("
                            + stateFile.getFileName()
                            + ")");
        }
        if (state.batchSize() != 1) {
            throw new InvalidFileException(
                    stateFile, "batch " + state.batchSize() + " must be 1 for a session");
        }
        boolean ttt = meta.bool(TEST_TIME_TRAINING);
        String stateTtt;
        try (SafetensorsFile s = SafetensorsFile.open(stateFile)) {
            stateTtt = s.metadata().get(TEST_TIME_TRAINING);
        }
        if (!Boolean.toString(ttt).equals(stateTtt)) {
            throw refuse(
                    TEST_TIME_TRAINING
                            + " "
                            + ttt
                            + " does not match the state's "
                            + stateTtt
                            + " ("
                            + stateFile.getFileName()
                            + ")");
        }
        String text = meta.require(TEXT_TAIL);
        if (text.length() > TttSession.TAIL_CHARS) {
            throw refuse(
                    TEXT_TAIL
                            + " has "
                            + text.length()
                            + " characters, more than "
                            + TttSession.TAIL_CHARS);
        }
        long count = meta.nonNegativeLong(TAIL_COUNT);
        long most = Math.min(TttSession.TAIL_TOKENS, position);
        if (count > most) {
            throw refuse(
                    TAIL_COUNT
                            + " "
                            + count
                            + " must be at most "
                            + most
                            + " (the session keeps "
                            + TttSession.TAIL_TOKENS
                            + " ids, and has read "
                            + position
                            + ")");
        }
        for (String name : f.names()) {
            if (!name.equals(TAIL_IDS) && !name.equals(LAST_LOGITS)) {
                throw refuse("unexpected tensor " + quoted(name));
            }
        }
        long[] tail = tailIds(f, (int) count);
        boolean hasLogits = f.contains(LAST_LOGITS);
        if (hasLogits != position > 0) {
            throw refuse(
                    (hasLogits ? "unexpected" : "missing")
                            + " tensor "
                            + quoted(LAST_LOGITS)
                            + " at position "
                            + position);
        }
        if (hasLogits) {
            expect(
                    f.info(LAST_LOGITS),
                    DType.fromEngineType(model.precision().stream()),
                    new long[] {1, config.vocabSize()});
        }
        return new Session(ttt, tail, text);
    }

    /**
     * Checks the loaded last logits.
     *
     * @param logits {@code [1, V]}
     * @throws InvalidFileException if a value is not finite
     */
    void checkLastLogits(NDArray logits) throws InvalidFileException {
        // An fp64 session's logits are float64 already, and toType to the same type returns the
        // array itself: converting only other types keeps them from being closed with the copy.
        double[] values;
        if (logits.getDataType() == DataType.FLOAT64) {
            values = logits.toDoubleArray();
        } else {
            try (NDArray wide = logits.toType(DataType.FLOAT64, false)) {
                values = wide.toDoubleArray();
            }
        }
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw refuse(
                        "tensor "
                                + quoted(LAST_LOGITS)
                                + " holds "
                                + values[i]
                                + " at flat index "
                                + i
                                + "; a session holds only finite values");
            }
        }
    }

    private long[] tailIds(SafetensorsFile f, int count) throws IOException {
        if (!f.contains(TAIL_IDS)) {
            throw refuse("missing tensor " + quoted(TAIL_IDS));
        }
        expect(f.info(TAIL_IDS), DType.I64, new long[] {Math.max(1, count)});
        long[] ids = new long[Math.max(1, count)];
        f.bytes(TAIL_IDS).asLongBuffer().get(ids);
        if (count == 0) {
            if (ids[0] != -1) {
                throw refuse(
                        "tensor "
                                + quoted(TAIL_IDS)
                                + " holds "
                                + ids[0]
                                + " as the placeholder of an empty tail, not -1");
            }
            return new long[0];
        }
        for (int i = 0; i < count; i++) {
            if (ids[i] < 0 || ids[i] >= config.vocabSize()) {
                throw refuse(
                        "tensor "
                                + quoted(TAIL_IDS)
                                + " holds "
                                + ids[i]
                                + " at index "
                                + i
                                + ", not a token id of the model [0, "
                                + (config.vocabSize() - 1)
                                + "]");
            }
        }
        return ids;
    }

    private void expect(TensorInfo info, DType dtype, long[] shape) throws InvalidFileException {
        if (info.dtype() != dtype) {
            throw refuse(
                    "tensor "
                            + quoted(info.name())
                            + " has dtype "
                            + info.dtype()
                            + ", expected "
                            + dtype);
        }
        if (!Arrays.equals(info.shape(), shape)) {
            throw refuse(
                    "tensor "
                            + quoted(info.name())
                            + " has shape "
                            + Arrays.toString(info.shape())
                            + ", expected "
                            + Arrays.toString(shape));
        }
    }

    private static String quoted(String s) {
        return StrictMetadata.quoted(s);
    }

    private InvalidFileException refuse(String problem) {
        return new InvalidFileException(file, problem);
    }
}
