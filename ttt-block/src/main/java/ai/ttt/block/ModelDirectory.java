package ai.ttt.block;

import ai.djl.ndarray.NDManager;
import ai.ttt.block.nn.AttentionKernel;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.Checkpoint;
import ai.ttt.block.safetensors.DType;
import ai.ttt.block.safetensors.SafetensorsWriter;
import ai.ttt.block.safetensors.TensorInfo;
import ai.ttt.block.safetensors.TensorSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads and writes model directories (docs/MODEL_FORMAT.md): the one class that knows the files.
 *
 * <p>Reading validates the config and that the checkpoint holds exactly the expected tensors with
 * the expected shapes. Writing builds the whole directory next to the target and moves it into
 * place, so a failed conversion never leaves a half-written model.
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
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : checkpoint.names()) {
            if (!expected.containsKey(name)) {
                unexpected.add(name);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !misshapen.isEmpty()) {
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
                    config, checkpoint::toNDArray, manager, precision, kernel);
        }
    }

    /**
     * Writes a model directory. The directory is assembled beside {@code dir} and moved into place;
     * {@code dir} must not exist or be empty.
     *
     * @param dir the target directory
     * @param config the config (its expected tensors must be exactly {@code tensors})
     * @param tensors every tensor by name
     * @param dtype F32 or F16
     * @param metadata safetensors {@code __metadata__} entries
     * @param extraFiles files copied into the directory under their own names (tokenizer files)
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
        Path target = dir.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) {
                throw new FileAlreadyExistsException(target.toString(), null, "not a directory");
            }
            try (Stream<Path> s = Files.list(target)) {
                if (s.findAny().isPresent()) {
                    throw new DirectoryNotEmptyException(target.toString());
                }
            }
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path staging = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp-");
        try {
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
                        TensorSource.of(length, out -> encode(t, dtype, count).writeTo(out)));
            }
            if (bytes > SHARD_BYTES) {
                writer.writeSharded(staging, SHARD_BYTES);
            } else {
                writer.write(staging.resolve(Checkpoint.SINGLE_FILE_NAME));
            }
            Files.writeString(
                    staging.resolve(CONFIG), config.toJsonString(), StandardCharsets.UTF_8);
            Files.writeString(
                    staging.resolve(SERVING_PROPERTIES),
                    servingProperties(),
                    StandardCharsets.UTF_8);
            for (Path f : extraFiles) {
                Files.copy(f, staging.resolve(f.getFileName().toString()));
            }
            if (Files.exists(target)) {
                Files.delete(target);
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            FileTrees.deleteQuietly(staging);
            throw e;
        }
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
