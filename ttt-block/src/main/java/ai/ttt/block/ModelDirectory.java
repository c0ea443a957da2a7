package ai.ttt.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.ttt.block.io.AtomicWriter;
import ai.ttt.block.io.InvalidFileException;
import ai.ttt.block.io.OwnedFiles;
import ai.ttt.block.nn.AttentionKernel;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.Checkpoint;
import ai.ttt.block.safetensors.DType;
import ai.ttt.block.safetensors.SafetensorsWriter;
import ai.ttt.block.safetensors.TensorInfo;
import ai.ttt.block.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads and writes model directories (docs/MODEL_FORMAT.md): the one class that knows the files.
 *
 * <p>Reading validates the config and that the checkpoint holds exactly the expected tensors with
 * the expected shapes, in a floating-point dtype (F32, F16 or BF16), with finite values. Writing
 * goes through {@link AtomicWriter}: the whole directory is built in a staging directory and put in
 * place, so a failed conversion never leaves a half-written model, and an existing output is used
 * only when it is empty.
 */
public final class ModelDirectory {

    /** The config file. */
    public static final String CONFIG = "config.json";

    /** DJL Serving's model properties. */
    public static final String SERVING_PROPERTIES = "serving.properties";

    /** Files copied along with a model when present (tokenizer and generation settings). */
    public static final List<String> TOKENIZER_FILES =
            List.of(
                    "tokenizer.json",
                    "tokenizer_config.json",
                    "special_tokens_map.json",
                    "generation_config.json");

    /** The dtypes model weights may be stored in (docs/MODEL_FORMAT.md). */
    public static final Set<DType> WEIGHT_DTYPES = Set.of(DType.F32, DType.F16, DType.BF16);

    /** The files of a model directory: what a conversion may find in its output and replace. */
    public static final OwnedFiles MODEL_FILES =
            new OwnedFiles(
                    "a model directory",
                    Pattern.compile(
                            Stream.concat(
                                                    Stream.of(
                                                            CONFIG,
                                                            SERVING_PROPERTIES,
                                                            Checkpoint.SINGLE_FILE_NAME,
                                                            Checkpoint.INDEX_FILE_NAME),
                                                    TOKENIZER_FILES.stream())
                                            .map(Pattern::quote)
                                            .collect(Collectors.joining("|"))
                                    + "|model-\\d{5}-of-\\d{5}\\.safetensors"),
                    null);

    /** Above this many bytes of weights the checkpoint is sharded. */
    public static final long SHARD_BYTES = SafetensorsWriter.DEFAULT_MAX_SHARD_BYTES;

    private ModelDirectory() {}

    /** A tensor to write: its shape and a producer of its values in row-major order. */
    public record Tensor(long[] shape, FloatProducer values) {}

    /** Produces a tensor's values when the writer gets to it (so only one is in memory). */
    @FunctionalInterface
    public interface FloatProducer {
        /**
         * Produces the values.
         *
         * @return the elements in row-major order
         * @throws IOException if the source cannot be read
         */
        float[] get() throws IOException;
    }

    /**
     * Reads and validates the config of a model directory.
     *
     * @param dir the model directory
     * @return the config
     * @throws IOException naming the directory if it or its config.json is missing
     */
    public static TttConfig readConfig(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "model directory not found");
        }
        Path config = dir.resolve(CONFIG);
        if (!Files.isRegularFile(config)) {
            throw new NoSuchFileException(config.toString(), null, "model config not found");
        }
        return TttConfig.load(config);
    }

    /**
     * Checks that a checkpoint holds exactly the tensors the config expects, with their shapes.
     *
     * @param checkpoint the weights
     * @param config the config
     * @throws IOException listing every missing, unexpected and misshapen tensor by name
     */
    public static void validate(Checkpoint checkpoint, TttConfig config) throws IOException {
        Map<String, long[]> expected = TensorNames.expected(config);
        List<String> missing = new ArrayList<>();
        List<String> misshapen = new ArrayList<>();
        List<String> notFloat = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            if (!checkpoint.contains(e.getKey())) {
                missing.add(e.getKey());
                continue;
            }
            TensorInfo info = checkpoint.info(e.getKey());
            if (!Arrays.equals(info.shape(), e.getValue())) {
                misshapen.add(
                        e.getKey()
                                + " is "
                                + Arrays.toString(info.shape())
                                + ", expected "
                                + Arrays.toString(e.getValue()));
            }
            if (!WEIGHT_DTYPES.contains(info.dtype())) {
                // Integer or F64 weights would be converted to the compute type without a word,
                // and the model would then compute something other than what the file says.
                notFloat.add(
                        e.getKey()
                                + " is "
                                + info.dtype()
                                + (checkpoint.isSharded()
                                        ? " in " + info.file().getFileName()
                                        : ""));
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : checkpoint.names()) {
            if (!expected.containsKey(name)) {
                unexpected.add(name);
            }
        }
        if (!missing.isEmpty()
                || !unexpected.isEmpty()
                || !misshapen.isEmpty()
                || !notFloat.isEmpty()) {
            StringBuilder sb = new StringBuilder(checkpoint.location() + ": weights do not match ");
            sb.append(CONFIG);
            if (!missing.isEmpty()) {
                sb.append("; missing: ").append(missing);
            }
            if (!unexpected.isEmpty()) {
                sb.append("; unexpected: ").append(unexpected);
            }
            if (!misshapen.isEmpty()) {
                sb.append("; wrong shape: ").append(misshapen);
            }
            if (!notFloat.isEmpty()) {
                sb.append("; wrong dtype (weights must be F32, F16 or BF16): ").append(notFloat);
            }
            throw new IOException(sb.toString());
        }
    }

    /**
     * Loads a model directory onto a device.
     *
     * @param dir the model directory
     * @param manager owns the weights; its device is the model's device
     * @param precision compute formats
     * @param kernel attention kernel
     * @return the model
     * @throws IOException if a file is missing, invalid or does not match the config
     */
    public static TttLanguageModel load(
            Path dir, NDManager manager, Precision precision, AttentionKernel kernel)
            throws IOException {
        TttConfig config = readConfig(dir);
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            validate(checkpoint, config);
            return TttLanguageModel.build(
                    config,
                    (name, m) -> finite(checkpoint, name, checkpoint.toNDArray(name, m)),
                    manager,
                    precision,
                    kernel);
        }
    }

    /**
     * Refuses a weight holding NaN or an infinity: such a model cannot compute anything, and would
     * otherwise fail later (or report NaN as a result).
     */
    private static NDArray finite(Checkpoint checkpoint, String name, NDArray weight)
            throws IOException {
        boolean finite;
        try (NDArray nan = weight.isNaN();
                NDArray inf = weight.isInfinite();
                NDArray bad = nan.logicalOr(inf);
                NDArray any = bad.any()) {
            finite = !any.getBoolean();
        }
        if (!finite) {
            weight.close();
            throw new InvalidFileException(
                    checkpoint.info(name).file(),
                    "tensor '" + name + "' holds non-finite values (NaN or infinity)");
        }
        return weight;
    }

    /**
     * Writes a model directory through {@link AtomicWriter#writeDirectory}: {@code dir} must not
     * exist or be empty (a symbolic link to an empty directory and an empty mount point are used as
     * they are; new directories get the umask's mode).
     *
     * @param dir the target directory
     * @param config the config (its expected tensors must be exactly {@code tensors})
     * @param tensors every tensor by name
     * @param dtype F32 or F16
     * @param metadata safetensors {@code __metadata__} entries
     * @param extraFiles files copied into the directory under their own names (tokenizer files)
     * @throws java.nio.file.FileSystemException naming {@code dir} and what is in it if it is not
     *     empty
     * @throws IOException if writing fails, or the tensors do not match the config
     */
    public static void write(
            Path dir,
            TttConfig config,
            Map<String, Tensor> tensors,
            DType dtype,
            Map<String, String> metadata,
            List<Path> extraFiles)
            throws IOException {
        if (dtype != DType.F32 && dtype != DType.F16) {
            throw new IllegalArgumentException("output dtype " + dtype + " must be F32 or F16");
        }
        Map<String, long[]> expected = TensorNames.expected(config);
        List<String> missing = new ArrayList<>();
        for (String name : expected.keySet()) {
            if (!tensors.containsKey(name)) {
                missing.add(name);
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            long[] want = expected.get(e.getKey());
            if (want == null) {
                unexpected.add(e.getKey());
            } else if (!Arrays.equals(want, e.getValue().shape())) {
                throw new IllegalArgumentException(
                        e.getKey()
                                + " has shape "
                                + Arrays.toString(e.getValue().shape())
                                + ", expected "
                                + Arrays.toString(want));
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException(
                    "tensors do not match the config; missing: "
                            + missing
                            + "; unexpected: "
                            + unexpected);
        }
        AtomicWriter.writeDirectory(
                dir,
                MODEL_FILES,
                staging -> {
                    SafetensorsWriter writer = new SafetensorsWriter();
                    metadata.forEach(writer::putMetadata);
                    writer.putMetadata("format", "pt");
                    long bytes = 0;
                    for (Map.Entry<String, long[]> e : expected.entrySet()) {
                        Tensor t = tensors.get(e.getKey());
                        long count = Arrays.stream(t.shape()).reduce(1, Math::multiplyExact);
                        long length = count * dtype.byteSize();
                        bytes += length;
                        writer.add(
                                e.getKey(),
                                dtype,
                                t.shape(),
                                TensorSource.of(
                                        length, out -> encode(t, dtype, count).writeTo(out)));
                    }
                    if (bytes > SHARD_BYTES) {
                        writer.writeSharded(staging, SHARD_BYTES);
                    } else {
                        writer.write(staging.resolve(Checkpoint.SINGLE_FILE_NAME));
                    }
                    AtomicWriter.writeString(staging.resolve(CONFIG), config.toJsonString());
                    AtomicWriter.writeString(
                            staging.resolve(SERVING_PROPERTIES), servingProperties());
                    for (Path f : extraFiles) {
                        Files.copy(f, staging.resolve(f.getFileName().toString()));
                    }
                });
    }

    private static TensorSource encode(Tensor t, DType dtype, long count) throws IOException {
        float[] values = t.values().get();
        if (values.length != count) {
            throw new IOException(
                    "produced "
                            + values.length
                            + " values for shape "
                            + Arrays.toString(t.shape()));
        }
        return dtype == DType.F16
                ? TensorSource.ofFloatsAsF16(values)
                : TensorSource.ofFloats(values);
    }

    /**
     * Returns the serving.properties of a model directory: DJL finds the block and translator
     * factories there.
     *
     * @return the file content
     */
    public static String servingProperties() {
        return "engine=PyTorch\n"
                + "blockFactory=ai.ttt.zoo.TttBlockFactory\n"
                + "translatorFactory=ai.ttt.zoo.TttTranslatorFactory\n"
                + "option.hasParameter=false\n";
    }
}
