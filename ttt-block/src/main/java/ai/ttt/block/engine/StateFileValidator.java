package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.TttConfig;
import ai.ttt.block.io.InvalidFileException;
import ai.ttt.block.io.StrictMetadata;
import ai.ttt.block.nn.DecoderBlock;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.DType;
import ai.ttt.block.safetensors.SafetensorsFile;
import ai.ttt.block.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules a state file ({@link SequenceState#save}) must satisfy to be restored into a model.
 * Everything is checked before the state is used, so a damaged or hand-edited file is refused with
 * one line naming the file, the field and the value, instead of failing later inside the engine
 * (or, worse, reading on silently with a different state).
 *
 * <p>In order, each step before anything larger than the file is allocated:
 *
 * <ol>
 *   <li>{@link #header}: the metadata holds exactly the known keys, in canonical form; the version,
 *       config and precision are the model's; {@code batch} ≥ 1; 0 ≤ {@code position} &lt;
 *       2<sup>40</sup>; {@code open_count} is what the position implies (with test-time training:
 *       position mod b, or b when a whole decoded mini-batch waits for its step; else 0);
 *   <li>{@link #checkLayout}: exactly the expected tensors (the last logits exactly when position
 *       &gt; 0), each with the dtype and shape the model and batch size imply;
 *   <li>{@link #checkValues}, on the loaded arrays: fast weights, caches, the open mini-batch and
 *       the last logits are finite; the open mini-batch's ids are in [0, V); each ring of slot
 *       positions is exactly the last min(position, C) positions at their slots (position mod C); 0
 *       ≤ skipped updates ≤ the steps taken (position / b).
 * </ol>
 */
final class StateFileValidator {

    /** Positions stay below the magnitude that marks an empty cache slot. */
    static final long MAX_POSITION = -CacheGroup.EMPTY;

    static final String VERSION = "ttt_state_version";
    static final String CONFIG = "config";
    static final String BATCH = "batch";
    static final String POSITION = "position";
    static final String OPEN_COUNT = "open_count";
    static final String TEST_TIME_TRAINING = "test_time_training";
    static final String PRECISION = "precision";

    private static final Set<String> KEYS =
            Set.of(VERSION, CONFIG, BATCH, POSITION, OPEN_COUNT, TEST_TIME_TRAINING, PRECISION);

    /**
     * What a valid state file's metadata says.
     *
     * @param batch B
     * @param position tokens read
     * @param openCount inputs of the open mini-batch
     * @param testTimeTraining whether the state learns while reading
     */
    record Header(int batch, long position, int openCount, boolean testTimeTraining) {}

    /**
     * The dtype and shape one tensor of the file must have.
     *
     * @param type the engine type
     * @param shape the shape
     */
    record Expected(DataType type, Shape shape) {}

    private final Path file;
    private final TttLanguageModel model;
    private final TttConfig config;

    StateFileValidator(Path file, TttLanguageModel model) {
        this.file = file;
        this.model = model;
        this.config = model.config();
    }

    /**
     * Checks the metadata.
     *
     * @param meta the file's {@code __metadata__}
     * @return what it says
     * @throws InvalidFileException naming the key and value of the first rule broken
     */
    Header header(Map<String, String> entries) throws InvalidFileException {
        StrictMetadata meta = new StrictMetadata(file, entries);
        meta.version(VERSION, SequenceState.STATE_VERSION, "a TTT-E2E state file");
        meta.onlyKeys(KEYS);
        if (!config.toJson().toString().equals(meta.get(CONFIG))) {
            throw refuse("the state was saved with a different model config");
        }
        String precision = meta.require(PRECISION);
        if (!model.precision().name().equals(precision)) {
            throw refuse(
                    "the state was saved in precision "
                            + quoted(precision)
                            + ", the model runs "
                            + model.precision().name());
        }
        long batch = meta.nonNegativeLong(BATCH);
        if (batch < 1 || batch > Integer.MAX_VALUE) {
            throw refuse("batch " + batch + " must be between 1 and " + Integer.MAX_VALUE);
        }
        long position = meta.nonNegativeLong(POSITION);
        if (position >= MAX_POSITION) {
            throw refuse(
                    "position " + position + " is beyond the engine's limit of " + MAX_POSITION);
        }
        long openCount = meta.nonNegativeLong(OPEN_COUNT);
        boolean testTimeTraining = meta.bool(TEST_TIME_TRAINING);
        int b = config.miniBatchSize();
        boolean keepsOpen = testTimeTraining && config.numPrimeLayers() > 0;
        long expected = keepsOpen ? position % b : 0;
        boolean wholeWaiting = keepsOpen && expected == 0 && position >= b && openCount == b;
        if (openCount != expected && !wholeWaiting) {
            throw refuse(
                    OPEN_COUNT
                            + " "
                            + openCount
                            + " does not fit position "
                            + position
                            + (keepsOpen
                                    ? " and mini-batch "
                                            + b
                                            + " (expected "
                                            + expected
                                            + (expected == 0 && position >= b ? " or " + b : "")
                                            + ")"
                                    : " (expected 0: no mini-batch is kept without test-time"
                                            + " training)"));
        }
        return new Header((int) batch, position, (int) openCount, testTimeTraining);
    }

    /**
     * Returns the tensors a state of this model and header consists of, by name, with their dtypes
     * and shapes (the layout {@link SequenceState#save} writes).
     *
     * @param h the header
     * @return name → dtype and shape
     */
    Map<String, Expected> layout(Header h) {
        Map<String, Expected> m = new LinkedHashMap<>();
        long batch = h.batch();
        int fast = 0;
        for (DecoderBlock layer : model.layers()) {
            if (layer.hasPrime()) {
                for (NDArray w0 :
                        List.of(layer.prime().w13().getArray(), layer.prime().w2().getArray())) {
                    m.put(
                            "fast." + fast++,
                            new Expected(w0.getDataType(), batched(batch, w0.getShape())));
                }
            }
        }
        long capacity = capacity();
        DataType matmul = model.precision().matmul();
        Shape cache = new Shape(batch, config.numKvHeads(), capacity, config.headDim());
        int[] groupSizes = {config.numPrefixLayers(), config.numPrimeLayers()};
        String[] groups = {"prefix", "suffix"};
        for (int g = 0; g < 2; g++) {
            m.put("slots." + groups[g], new Expected(DataType.INT64, new Shape(capacity)));
            for (int l = 0; l < groupSizes[g]; l++) {
                m.put("cache." + groups[g] + "." + l + ".k", new Expected(matmul, cache));
                m.put("cache." + groups[g] + "." + l + ".v", new Expected(matmul, cache));
            }
        }
        if (h.testTimeTraining() && config.numPrimeLayers() > 0) {
            m.put(
                    "open.hidden",
                    new Expected(
                            model.precision().stream(),
                            new Shape(batch, config.miniBatchSize(), config.hiddenSize())));
            m.put(
                    "open.tokens",
                    new Expected(DataType.INT64, new Shape(batch, config.miniBatchSize() + 1)));
        }
        m.put("skipped", new Expected(DataType.INT64, new Shape(batch)));
        if (h.position() > 0) {
            m.put(
                    SequenceState.LAST_LOGITS,
                    new Expected(model.precision().stream(), new Shape(batch, config.vocabSize())));
        }
        return m;
    }

    /**
     * Checks that the file holds exactly the tensors of {@link #layout}, with their dtypes and
     * shapes (before anything is loaded or allocated).
     *
     * @param f the open file
     * @param layout the expected tensors
     * @throws InvalidFileException naming the first unexpected, missing or mistyped tensor
     * @throws IOException if the file cannot be read
     */
    void checkLayout(SafetensorsFile f, Map<String, Expected> layout) throws IOException {
        for (String name : f.names()) {
            if (!layout.containsKey(name)) {
                throw refuse("unexpected tensor " + quoted(name));
            }
        }
        for (Map.Entry<String, Expected> e : layout.entrySet()) {
            String name = e.getKey();
            if (!f.contains(name)) {
                throw refuse("missing tensor " + quoted(name));
            }
            TensorInfo info = f.info(name);
            Expected want = e.getValue();
            DType stored = DType.fromEngineType(want.type());
            if (info.dtype() != stored) {
                throw refuse(
                        "tensor "
                                + quoted(name)
                                + " has dtype "
                                + info.dtype()
                                + ", expected "
                                + stored);
            }
            if (!info.djlShape().equals(want.shape())) {
                throw refuse(
                        "tensor "
                                + quoted(name)
                                + " has shape "
                                + Arrays.toString(info.shape())
                                + ", expected "
                                + want.shape());
            }
        }
    }

    /**
     * Checks the values of the loaded tensors.
     *
     * @param loaded every tensor of the file, loaded
     * @param h the header
     * @throws InvalidFileException naming the tensor and the first bad value found
     */
    void checkValues(Map<String, NDArray> loaded, Header h) throws InvalidFileException {
        for (Map.Entry<String, NDArray> e : loaded.entrySet()) {
            String name = e.getKey();
            NDArray a = e.getValue();
            if (name.startsWith("fast.")
                    || name.startsWith("cache.")
                    || name.equals("open.hidden")
                    || name.equals(SequenceState.LAST_LOGITS)) {
                checkFinite(name, a);
            } else if (name.equals("open.tokens")) {
                checkRange(name, a, 0, config.vocabSize() - 1, "a token id of the model");
            } else if (name.equals("skipped")) {
                checkRange(
                        name,
                        a,
                        0,
                        h.position() / config.miniBatchSize(),
                        "a count of skipped steps at position " + h.position());
            } else if (name.startsWith("slots.")) {
                checkSlots(name, a, h.position());
            }
        }
    }

    private void checkFinite(String name, NDArray a) throws InvalidFileException {
        try (NDManager scratch = a.getManager().newSubManager()) {
            NDArray bad = a.isNaN().logicalOr(a.isInfinite());
            bad.attach(scratch);
            NDArray any = bad.any();
            any.attach(scratch);
            if (!any.getBoolean()) {
                return;
            }
            // Only on the way to a refusal: find the first bad value on the host.
            NDArray wide = a.toType(DataType.FLOAT64, false);
            wide.attach(scratch);
            double[] values = wide.toDoubleArray();
            int index = 0;
            while (Double.isFinite(values[index])) {
                index++;
            }
            throw refuse(
                    "tensor "
                            + quoted(name)
                            + " holds "
                            + values[index]
                            + " at flat index "
                            + index
                            + "; a state holds only finite values");
        }
    }

    private void checkRange(String name, NDArray a, long min, long max, String what)
            throws InvalidFileException {
        long[] values = a.toLongArray();
        for (int i = 0; i < values.length; i++) {
            if (values[i] < min || values[i] > max) {
                throw refuse(
                        "tensor "
                                + quoted(name)
                                + " holds "
                                + values[i]
                                + " at flat index "
                                + i
                                + ", not "
                                + what
                                + " ["
                                + min
                                + ", "
                                + max
                                + "]");
            }
        }
    }

    /**
     * The ring holds the last min(position, C) positions, position p at slot p mod C; every other
     * slot is empty. The slot positions are therefore implied by the position, and any other value
     * would make attention see the wrong keys.
     */
    private void checkSlots(String name, NDArray a, long position) throws InvalidFileException {
        long[] slots = a.toLongArray();
        long capacity = slots.length;
        for (int s = 0; s < slots.length; s++) {
            long latest = position - 1 - Math.floorMod(position - 1 - s, capacity);
            long want = latest < 0 ? CacheGroup.EMPTY : latest;
            if (slots[s] != want) {
                throw refuse(
                        "tensor "
                                + quoted(name)
                                + " holds position "
                                + slots[s]
                                + " at slot "
                                + s
                                + ", but at position "
                                + position
                                + " that slot holds "
                                + (want == CacheGroup.EMPTY ? "nothing (" + want + ")" : want));
            }
        }
    }

    private long capacity() {
        return (long) config.slidingWindow() - 1 + config.miniBatchSize();
    }

    private static Shape batched(long batch, Shape perSequence) {
        long[] dims = new long[perSequence.dimension() + 1];
        dims[0] = batch;
        System.arraycopy(perSequence.getShape(), 0, dims, 1, perSequence.dimension());
        return new Shape(dims);
    }

    private static String quoted(String s) {
        return StrictMetadata.quoted(s);
    }

    private InvalidFileException refuse(String problem) {
        return new InvalidFileException(file, problem);
    }
}
