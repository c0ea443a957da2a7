package ai.ttt.block.safetensors;

import ai.djl.ndarray.NDArray;
import ai.ttt.block.io.AtomicWriter;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Collects tensors and writes them as one safetensors file or as a sharded checkpoint.
 *
 * <p>Output is deterministic: header entries sorted by tensor name ({@link String#compareTo}),
 * {@code __metadata__} first (sorted by key; omitted when empty), compact JSON padded with spaces
 * to a multiple of 8 bytes so the data section starts 8-byte aligned, tensor data laid out
 * contiguously in the same sorted order. Every file is written to a temporary file in the target's
 * directory, forced to disk and then atomically renamed over the target: a reader never sees a
 * half-written file (and a reader that has the old file mapped keeps reading the old file). On
 * failure the temporary file is deleted and the target is left as it was.
 *
 * <p>Sources are read at write time; a writer can write several times. Not thread-safe.
 */
public final class SafetensorsWriter {

    /** Default maximum data bytes per shard for {@link #writeSharded(Path)}: 2 GiB. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 2L << 30;

    private static final Gson GSON =
            new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create();

    private final Map<String, Entry> entries = new TreeMap<>();
    private final Map<String, String> metadata = new TreeMap<>();

    /** Creates an empty writer. */
    public SafetensorsWriter() {}

    /** One tensor to write; {@code byteLength} is the size validated at {@code add}. */
    private record Entry(
            String name, DType dtype, long[] shape, TensorSource data, long byteLength) {}

    /**
     * Adds a tensor.
     *
     * @param name the tensor name (not empty, not {@code __metadata__}, not added before)
     * @param dtype the element type written to the header
     * @param shape the dimensions, outermost first (empty for a scalar); copied
     * @param data exactly {@code product(shape) * dtype.byteSize()} bytes
     * @return this writer
     * @throws IllegalArgumentException if the name is empty, reserved or a duplicate, a dimension
     *     is negative, the size overflows, the source's byte length disagrees with dtype and shape,
     *     or the source declares another dtype
     */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, TensorSource data) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(data, "data");
        long[] dims = shape.clone();
        if (name.isEmpty()) {
            throw new IllegalArgumentException("tensor name must not be empty");
        }
        if ("__metadata__".equals(name)) {
            throw new IllegalArgumentException(
                    "tensor name '__metadata__' is reserved for the header metadata");
        }
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' was already added");
        }
        long required = TensorInfo.requiredBytes(dtype, dims);
        if (required < 0) {
            throw new IllegalArgumentException(
                    "tensor '"
                            + name
                            + "': shape "
                            + Arrays.toString(dims)
                            + " has a negative dimension or overflows");
        }
        if (data.byteLength() != required) {
            throw new IllegalArgumentException(
                    "tensor '"
                            + name
                            + "': the source has "
                            + data.byteLength()
                            + " bytes but "
                            + dtype
                            + " "
                            + Arrays.toString(dims)
                            + " needs "
                            + required);
        }
        if (data.dtype().isPresent() && data.dtype().get() != dtype) {
            throw new IllegalArgumentException(
                    "tensor '"
                            + name
                            + "' is declared "
                            + dtype
                            + " but its source holds "
                            + data.dtype().get());
        }
        entries.put(name, new Entry(name, dtype, dims, data, required));
        return this;
    }

    /**
     * Adds an engine array in its own data type and shape (read at write time; keep it open).
     *
     * @param name the tensor name
     * @param array a dense array of a type safetensors can hold (not BF16, INT16, UINT*, STRING)
     * @return this writer
     * @throws IllegalArgumentException as {@link #add(String, DType, long[], TensorSource)}, or if
     *     the array's type has no safetensors dtype
     */
    public SafetensorsWriter add(String name, NDArray array) {
        TensorSource source = TensorSource.of(array);
        return add(name, source.dtype().orElseThrow(), array.getShape().getShape(), source);
    }

    /**
     * Sets a {@code __metadata__} entry (replacing an earlier value of the key).
     *
     * @param key the key
     * @param value the value
     * @return this writer
     */
    public SafetensorsWriter putMetadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * Returns the names added so far.
     *
     * @return the names in write order (sorted)
     */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    /**
     * Writes every tensor to one file, atomically.
     *
     * @param target the file to create or replace; missing parent directories are created
     * @throws SafetensorsException if a source writes a wrong number of bytes (naming the tensor)
     *     or the header would be too large
     * @throws IOException if writing fails; the target is then unchanged
     */
    public void write(Path target) throws IOException {
        writeFile(target, new ArrayList<>(entries.values()), metadata);
    }

    /**
     * Writes a sharded checkpoint with shards of at most 2 GiB of data.
     *
     * @param directory the checkpoint directory (created if missing)
     * @throws IOException if writing fails
     * @see #writeSharded(Path, long)
     */
    public void writeSharded(Path directory) throws IOException {
        writeSharded(directory, DEFAULT_MAX_SHARD_BYTES);
    }

    /**
     * Writes a sharded checkpoint: {@code model-00001-of-0000N.safetensors} ... plus {@value
     * Checkpoint#INDEX_FILE_NAME}.
     *
     * <p>Tensors are taken in name order and packed greedily: a shard is closed when the next
     * tensor would take it over {@code maxShardBytes} of data; a tensor larger than that gets a
     * shard of its own. Every shard carries this writer's metadata. The index has {@code
     * {"metadata": {"total_size": <data bytes>, ...this writer's metadata}, "weight_map": {name:
     * shard}}} with sorted names. Each file is written atomically, the index last; shards of an
     * earlier write with another shard count, and a {@value Checkpoint#SINGLE_FILE_NAME}, are not
     * deleted.
     *
     * @param directory the checkpoint directory (created if missing)
     * @param maxShardBytes maximum data bytes per shard (positive)
     * @throws IllegalArgumentException if {@code maxShardBytes} is not positive, the metadata has a
     *     {@code total_size} key, or more than 99999 shards would be needed
     * @throws IOException if writing fails
     */
    public void writeSharded(Path directory, long maxShardBytes) throws IOException {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive: " + maxShardBytes);
        }
        if (metadata.containsKey("total_size")) {
            throw new IllegalArgumentException(
                    "metadata key 'total_size' is reserved for the index of a sharded checkpoint");
        }
        List<List<Entry>> shards = new ArrayList<>();
        List<Entry> current = new ArrayList<>();
        long currentBytes = 0;
        long totalBytes = 0;
        for (Entry entry : entries.values()) {
            long length = entry.byteLength;
            if (!current.isEmpty() && currentBytes + length > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(entry);
            currentBytes += length;
            totalBytes += length;
        }
        shards.add(current);
        if (shards.size() > 99_999) {
            throw new IllegalArgumentException(
                    shards.size() + " shards needed; at most 99999 can be named");
        }
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String shardName =
                    String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            writeFile(directory.resolve(shardName), shards.get(i), metadata);
            for (Entry entry : shards.get(i)) {
                weightMap.put(entry.name, shardName);
            }
        }
        JsonObject indexMetadata = new JsonObject();
        indexMetadata.addProperty("total_size", totalBytes);
        metadata.forEach(indexMetadata::addProperty);
        JsonObject index = new JsonObject();
        index.add("metadata", indexMetadata);
        index.add("weight_map", GSON.toJsonTree(weightMap));
        byte[] indexBytes = (GSON.toJson(index) + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicWriter.writeFile(
                directory.resolve(Checkpoint.INDEX_FILE_NAME),
                channel -> TensorSources.writeFully(channel, ByteBuffer.wrap(indexBytes)));
    }

    private static void writeFile(Path target, List<Entry> tensors, Map<String, String> metadata)
            throws IOException {
        byte[] header = header(tensors, metadata);
        if (header.length > SafetensorsFile.MAX_HEADER_BYTES) {
            throw new SafetensorsException(
                    target,
                    "header would be "
                            + header.length
                            + " bytes, over the readers' limit of "
                            + SafetensorsFile.MAX_HEADER_BYTES);
        }
        AtomicWriter.writeFile(
                target,
                channel -> {
                    ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                    length.putLong(0, header.length);
                    TensorSources.writeFully(channel, length);
                    TensorSources.writeFully(channel, ByteBuffer.wrap(header));
                    for (Entry entry : tensors) {
                        writeData(channel, entry, target);
                    }
                });
    }

    private static void writeData(FileChannel channel, Entry entry, Path target)
            throws IOException {
        CountingChannel counting = new CountingChannel(channel);
        entry.data.writeTo(counting);
        long expected = entry.byteLength;
        if (counting.count != expected) {
            throw new SafetensorsException(
                    target,
                    "tensor '"
                            + entry.name
                            + "': its source wrote "
                            + counting.count
                            + " bytes, expected "
                            + expected);
        }
    }

    /** The header JSON, padded with spaces to a multiple of 8 bytes. */
    private static byte[] header(List<Entry> tensors, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            json.append("\"__metadata__\":{");
            String separator = "";
            for (Map.Entry<String, String> item : metadata.entrySet()) {
                json.append(separator)
                        .append(quote(item.getKey()))
                        .append(':')
                        .append(quote(item.getValue()));
                separator = ",";
            }
            json.append('}');
        }
        long offset = 0;
        String separator = metadata.isEmpty() ? "" : ",";
        for (Entry entry : tensors) {
            long end = offset + entry.byteLength;
            json.append(separator)
                    .append(quote(entry.name))
                    .append(":{\"dtype\":\"")
                    .append(entry.dtype.safetensorsName())
                    .append("\",\"shape\":[");
            for (int i = 0; i < entry.shape.length; i++) {
                json.append(i == 0 ? "" : ",").append(entry.shape[i]);
            }
            json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
            separator = ",";
        }
        json.append('}');
        byte[] raw = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (raw.length + 7) & ~7;
        byte[] header = Arrays.copyOf(raw, padded);
        Arrays.fill(header, raw.length, padded, (byte) ' ');
        return header;
    }

    private static String quote(String text) {
        return GSON.toJson(text);
    }

    /** Counts what a source writes, and keeps it from closing the file. */
    private static final class CountingChannel implements WritableByteChannel {
        private final FileChannel delegate;
        private long count;

        CountingChannel(FileChannel delegate) {
            this.delegate = delegate;
        }

        @Override
        public int write(ByteBuffer source) throws IOException {
            int written = delegate.write(source);
            count += written;
            return written;
        }

        @Override
        public boolean isOpen() {
            return delegate.isOpen();
        }

        @Override
        public void close() {
            // the writer owns the file
        }
    }
}
