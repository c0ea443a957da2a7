package ai.ttt.block.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.ttt.block.StrictJson;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's weights: one safetensors file, or several shards listed by a Hugging Face style index.
 *
 * <p>{@link #open} accepts:
 *
 * <ul>
 *   <li>a directory holding {@value #INDEX_FILE_NAME} ({@code {"metadata": {...}, "weight_map":
 *       {tensor: shardFile}}}): sharded;
 *   <li>a directory holding {@value #SINGLE_FILE_NAME}: a single file;
 *   <li>an index file itself (a name ending in {@code .index.json}): sharded;
 *   <li>any other file: a single safetensors file.
 * </ul>
 *
 * <p>A directory holding both an index and {@value #SINGLE_FILE_NAME} is rejected as ambiguous. The
 * index is validated against the shards: a missing shard file, a tensor listed in the index but
 * absent from its shard, a tensor in a shard that the index does not list (or lists in another
 * shard) and a tensor present in two shards are each a {@link SafetensorsException}. Shards not
 * named by the index are ignored.
 *
 * <p>Every read method takes a tensor name and behaves as the one of {@link SafetensorsFile} on the
 * shard holding it. Instances are safe for concurrent reads.
 */
public final class Checkpoint implements AutoCloseable {

    /** The single-file name in a model directory. */
    public static final String SINGLE_FILE_NAME = "model.safetensors";

    /** The index file name of a sharded model directory. */
    public static final String INDEX_FILE_NAME = "model.safetensors.index.json";

    private final Path location;
    private final boolean sharded;
    private final Map<String, String> metadata;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> fileByTensor;

    private Checkpoint(
            Path location,
            boolean sharded,
            Map<String, String> metadata,
            List<SafetensorsFile> files,
            Map<String, SafetensorsFile> fileByTensor) {
        this.location = location;
        this.sharded = sharded;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.files = List.copyOf(files);
        this.fileByTensor = Collections.unmodifiableMap(fileByTensor);
    }

    /**
     * Opens a single-file or sharded checkpoint and validates it.
     *
     * @param fileOrDirectory a model directory, an index file or a safetensors file
     * @return the open checkpoint; close it to release the files
     * @throws SafetensorsException if the location holds no checkpoint, the index is malformed or
     *     disagrees with the shards, or any file is defective (each naming the file and defect)
     * @throws IOException if reading fails
     */
    public static Checkpoint open(Path fileOrDirectory) throws IOException {
        if (Files.isDirectory(fileOrDirectory)) {
            Path index = fileOrDirectory.resolve(INDEX_FILE_NAME);
            Path single = fileOrDirectory.resolve(SINGLE_FILE_NAME);
            boolean hasIndex = Files.exists(index);
            boolean hasSingle = Files.exists(single);
            if (hasIndex && hasSingle) {
                throw new SafetensorsException(
                        fileOrDirectory,
                        "ambiguous checkpoint: both "
                                + SINGLE_FILE_NAME
                                + " and "
                                + INDEX_FILE_NAME
                                + " are present");
            }
            if (hasIndex) {
                return openSharded(index);
            }
            if (hasSingle) {
                return openSingle(single);
            }
            throw new SafetensorsException(
                    fileOrDirectory,
                    "no checkpoint: neither " + SINGLE_FILE_NAME + " nor " + INDEX_FILE_NAME);
        }
        if (!Files.exists(fileOrDirectory)) {
            throw new SafetensorsException(fileOrDirectory, "file does not exist");
        }
        Path name = fileOrDirectory.getFileName();
        if (name != null && name.toString().endsWith(".index.json")) {
            return openSharded(fileOrDirectory);
        }
        return openSingle(fileOrDirectory);
    }

    private static Checkpoint openSingle(Path file) throws IOException {
        SafetensorsFile single = SafetensorsFile.open(file);
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        for (String name : single.names()) {
            byTensor.put(name, single);
        }
        return new Checkpoint(file, false, single.metadata(), List.of(single), byTensor);
    }

    private static Checkpoint openSharded(Path indexFile) throws IOException {
        Index index = Index.read(indexFile);
        Path directory = indexFile.toAbsolutePath().normalize().getParent();
        Map<String, SafetensorsFile> shardByName = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> entry : index.weightMap.entrySet()) {
                String shardName = entry.getValue();
                if (shardByName.containsKey(shardName)) {
                    continue;
                }
                Path shardPath = directory.resolve(shardName).normalize();
                if (!shardPath.startsWith(directory) || shardPath.equals(directory)) {
                    throw new SafetensorsException(
                            indexFile,
                            "tensor '"
                                    + entry.getKey()
                                    + "' is mapped to shard '"
                                    + shardName
                                    + "', which is outside the checkpoint directory");
                }
                if (!Files.isRegularFile(shardPath)) {
                    throw new SafetensorsException(
                            indexFile,
                            "shard file '"
                                    + shardName
                                    + "' (holding tensor '"
                                    + entry.getKey()
                                    + "') does not exist");
                }
                shardByName.put(shardName, SafetensorsFile.open(shardPath));
            }
            Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
            Map<String, String> shardOfTensor = new LinkedHashMap<>();
            for (Map.Entry<String, SafetensorsFile> shard : shardByName.entrySet()) {
                for (String tensor : shard.getValue().names()) {
                    String first = shardOfTensor.putIfAbsent(tensor, shard.getKey());
                    if (first != null) {
                        throw new SafetensorsException(
                                indexFile,
                                "tensor '"
                                        + tensor
                                        + "' is present in two shards: '"
                                        + first
                                        + "' and '"
                                        + shard.getKey()
                                        + "'");
                    }
                    String listed = index.weightMap.get(tensor);
                    if (listed == null) {
                        throw new SafetensorsException(
                                indexFile,
                                "tensor '"
                                        + tensor
                                        + "' is present in shard '"
                                        + shard.getKey()
                                        + "' but not listed in the index");
                    }
                    if (!listed.equals(shard.getKey())) {
                        throw new SafetensorsException(
                                indexFile,
                                "tensor '"
                                        + tensor
                                        + "' is present in shard '"
                                        + shard.getKey()
                                        + "' but the index lists it in '"
                                        + listed
                                        + "'");
                    }
                }
            }
            for (Map.Entry<String, String> entry : index.weightMap.entrySet()) {
                SafetensorsFile shard = shardByName.get(entry.getValue());
                if (!shard.contains(entry.getKey())) {
                    throw new SafetensorsException(
                            indexFile,
                            "tensor '"
                                    + entry.getKey()
                                    + "' is listed in the index but missing from shard '"
                                    + entry.getValue()
                                    + "'");
                }
                byTensor.put(entry.getKey(), shard);
            }
            return new Checkpoint(
                    indexFile,
                    true,
                    index.metadata,
                    new ArrayList<>(shardByName.values()),
                    byTensor);
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile shard : shardByName.values()) {
                try {
                    shard.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * Returns what was opened: the single safetensors file or the index file.
     *
     * @return the file
     */
    public Path location() {
        return location;
    }

    /**
     * Tells whether the checkpoint is sharded.
     *
     * @return true if it was opened through an index
     */
    public boolean isSharded() {
        return sharded;
    }

    /**
     * Returns the checkpoint metadata.
     *
     * <p>Single file: its {@code __metadata__}. Sharded: the index's {@code metadata} object,
     * strings as they are and other values as JSON text (e.g. {@code total_size} as {@code
     * "1234"}).
     *
     * @return an unmodifiable map
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Returns the files of the checkpoint.
     *
     * @return the single file, or the shards in index order
     */
    public List<Path> files() {
        return files.stream().map(SafetensorsFile::path).toList();
    }

    /**
     * Returns every tensor name: header order for a single file, index order when sharded.
     *
     * @return an unmodifiable list
     */
    public List<String> names() {
        return List.copyOf(fileByTensor.keySet());
    }

    /**
     * Returns every tensor, in the order of {@link #names()}.
     *
     * @return an unmodifiable list; {@link TensorInfo#file()} names the shard
     */
    public List<TensorInfo> tensors() {
        List<TensorInfo> infos = new ArrayList<>(fileByTensor.size());
        for (Map.Entry<String, SafetensorsFile> entry : fileByTensor.entrySet()) {
            try {
                infos.add(entry.getValue().info(entry.getKey()));
            } catch (SafetensorsException e) {
                throw new IllegalStateException("validated at open", e);
            }
        }
        return Collections.unmodifiableList(infos);
    }

    /**
     * Tells whether the checkpoint holds a tensor.
     *
     * @param name the tensor name
     * @return whether any shard holds it
     */
    public boolean contains(String name) {
        return fileByTensor.containsKey(name);
    }

    /**
     * Returns where a tensor lives.
     *
     * @param name the tensor name
     * @return its dtype, shape, shard and absolute byte range
     * @throws SafetensorsException if there is no such tensor, naming the checkpoint and tensor
     */
    public TensorInfo info(String name) throws SafetensorsException {
        return fileOf(name).info(name);
    }

    /**
     * Returns one tensor's little-endian bytes, as {@link SafetensorsFile#bytes}.
     *
     * @param name the tensor name
     * @return a private mapping of the tensor (a heap copy if the shard is not writable)
     * @throws SafetensorsException if there is no such tensor or it is 2 GiB or larger
     * @throws IOException if mapping fails
     */
    public ByteBuffer bytes(String name) throws IOException {
        return fileOf(name).bytes(name);
    }

    /**
     * Returns the bytes of rows {@code [firstRow, firstRow + rowCount)} along dimension 0, as
     * {@link SafetensorsFile#rows}.
     *
     * @param name the tensor name
     * @param firstRow the first row
     * @param rowCount the number of rows
     * @return the rows' little-endian bytes
     * @throws SafetensorsException if there is no such tensor or the range is 2 GiB or larger
     * @throws IOException if mapping fails
     */
    public ByteBuffer rows(String name, long firstRow, long rowCount) throws IOException {
        return fileOf(name).rows(name, firstRow, rowCount);
    }

    /**
     * Reads an F32, F16, BF16 or F64 tensor into floats, as {@link SafetensorsFile#readFloats}.
     *
     * @param name the tensor name
     * @return the elements in row-major order
     * @throws SafetensorsException if there is no such tensor or it is not floating point
     * @throws IOException if mapping fails
     */
    public float[] readFloats(String name) throws IOException {
        return fileOf(name).readFloats(name);
    }

    /**
     * Loads a tensor into an engine-owned array, as {@link SafetensorsFile#toNDArray} (BF16 becomes
     * FLOAT32).
     *
     * @param name the tensor name
     * @param manager the manager that will own the array
     * @return the tensor as an engine array
     * @throws SafetensorsException if there is no such tensor or its dtype has no engine type
     * @throws IOException if mapping fails
     */
    public NDArray toNDArray(String name, NDManager manager) throws IOException {
        return fileOf(name).toNDArray(name, manager);
    }

    /**
     * Closes every file. Arrays and buffers returned earlier stay valid.
     *
     * @throws IOException if closing a file fails
     */
    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (SafetensorsFile file : files) {
            try {
                file.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Describes the checkpoint for logs. */
    @Override
    public String toString() {
        return "Checkpoint["
                + location
                + ", "
                + fileByTensor.size()
                + " tensors in "
                + files.size()
                + " file(s)]";
    }

    private SafetensorsFile fileOf(String name) throws SafetensorsException {
        SafetensorsFile file = fileByTensor.get(name);
        if (file == null) {
            throw new SafetensorsException(location, "no tensor named '" + name + "'");
        }
        return file;
    }

    /** The parsed index file. */
    private static final class Index {
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private Map<String, String> weightMap;

        static Index read(Path indexFile) throws IOException {
            String json = JsonSupport.decodeUtf8(Files.readAllBytes(indexFile), indexFile, "index");
            Index index = new Index();
            try {
                index.parse(JsonSupport.strictReader(json), indexFile);
            } catch (SafetensorsException e) {
                throw e;
            } catch (IOException | IllegalStateException | JsonParseException e) {
                throw new SafetensorsException(
                        indexFile, "index is not valid JSON: " + StrictJson.firstLine(e), e);
            }
            if (index.weightMap == null) {
                throw new SafetensorsException(indexFile, "index has no \"weight_map\"");
            }
            return index;
        }

        private void parse(JsonReader reader, Path indexFile) throws IOException {
            JsonSupport.expect(
                    reader, JsonToken.BEGIN_OBJECT, indexFile, "index must be a JSON object");
            boolean sawMetadata = false;
            reader.beginObject();
            while (reader.hasNext()) {
                String key = reader.nextName();
                if ("weight_map".equals(key)) {
                    if (weightMap != null) {
                        throw new SafetensorsException(indexFile, "index has \"weight_map\" twice");
                    }
                    weightMap = JsonSupport.nextStringMap(reader, indexFile, "weight_map");
                } else if ("metadata".equals(key)) {
                    if (sawMetadata) {
                        throw new SafetensorsException(indexFile, "index has \"metadata\" twice");
                    }
                    sawMetadata = true;
                    readMetadata(reader, indexFile);
                } else {
                    reader.skipValue();
                }
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new SafetensorsException(indexFile, "index has data after the JSON object");
            }
        }

        private void readMetadata(JsonReader reader, Path indexFile) throws IOException {
            JsonSupport.expect(
                    reader,
                    JsonToken.BEGIN_OBJECT,
                    indexFile,
                    "index \"metadata\" must be a JSON object");
            reader.beginObject();
            while (reader.hasNext()) {
                String key = reader.nextName();
                String value;
                if (reader.peek() == JsonToken.STRING) {
                    value = reader.nextString();
                } else {
                    value = JsonParser.parseReader(reader).toString();
                }
                if (metadata.put(key, value) != null) {
                    throw new SafetensorsException(
                            indexFile, "index \"metadata\" has duplicate key '" + key + "'");
                }
            }
            reader.endObject();
        }
    }
}
