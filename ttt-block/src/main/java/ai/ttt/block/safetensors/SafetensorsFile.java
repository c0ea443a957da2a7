package ai.ttt.block.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.StrictJson;
import com.google.gson.JsonParseException;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file, opened and validated, with its tensors readable by name.
 *
 * <p>{@link #open} reads and checks the whole header: every defect (truncation, bad header length,
 * invalid JSON, missing or mistyped fields, unknown dtypes, negative dimensions, offsets outside
 * the data section, overlapping tensors, bytes that belong to no tensor between them or after the
 * last one, a byte length that disagrees with shape and dtype, a malformed {@code __metadata__}) is
 * a {@link SafetensorsException} naming the file, the defect and the tensor. All offsets are
 * 64-bit, so files and tensors over 2 GiB work.
 *
 * <p>Tensor data is read through memory mappings made with {@code MapMode.PRIVATE} (copy-on-write:
 * writing into a returned buffer never changes the file, and an engine array made from it may be
 * modified in place safely). Java only allows private mappings of files it can open for writing; a
 * file this process cannot write is mapped read-only for internal reads, and {@link #bytes}/{@link
 * #rows} then return heap copies instead of mappings (see there). Mappings do not count against
 * {@code -XX:MaxDirectMemorySize} or the Java heap.
 *
 * <p>Instances are safe for concurrent reads from several threads. The file must not be modified
 * while open. Buffers returned earlier stay valid after {@link #close()}.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Largest header accepted (as in the reference implementation): 100 MiB. */
    static final long MAX_HEADER_BYTES = 100L << 20;

    /** Default size of one mapped block when a tensor is read piecewise: 1 GiB. */
    static final long DEFAULT_BLOCK_BYTES = 1L << 30;

    /** Largest direct staging buffer (counts against MaxDirectMemorySize): 64 MiB. */
    static final long MAX_STAGING_BYTES = 64L << 20;

    private static final String METADATA_KEY = "__metadata__";

    private final Path file;
    private final FileChannel channel;
    private final boolean privateMapping;
    private final long blockBytes;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> tensors;
    private volatile boolean closed;

    private SafetensorsFile(
            Path file,
            FileChannel channel,
            boolean privateMapping,
            long blockBytes,
            Map<String, String> metadata,
            Map<String, TensorInfo> tensors) {
        this.file = file;
        this.channel = channel;
        this.privateMapping = privateMapping;
        this.blockBytes = blockBytes;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /**
     * Opens a safetensors file and validates its header.
     *
     * @param file the {@code .safetensors} file
     * @return the open file; close it to release the file handle
     * @throws SafetensorsException if the file does not exist or its header has any defect, naming
     *     the file and the defect
     * @throws IOException if reading fails
     */
    public static SafetensorsFile open(Path file) throws IOException {
        return open(file, DEFAULT_BLOCK_BYTES, true);
    }

    /**
     * Opens a file with explicit knobs (tests).
     *
     * @param blockBytes bytes per mapped block when a tensor is read piecewise; tensors larger than
     *     this (and all BF16 or misaligned tensors) take the block path of {@link #toNDArray}
     * @param allowPrivateMapping false forces the read-only fallback used for unwritable files
     */
    static SafetensorsFile open(Path file, long blockBytes, boolean allowPrivateMapping)
            throws IOException {
        if (blockBytes < 8) {
            throw new IllegalArgumentException("blockBytes must be at least 8: " + blockBytes);
        }
        if (!Files.exists(file)) {
            throw new SafetensorsException(file, "file does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new SafetensorsException(file, "not a regular file");
        }
        FileChannel channel = null;
        boolean privateMapping = false;
        if (allowPrivateMapping && Files.isWritable(file)) {
            try {
                // MapMode.PRIVATE requires a channel opened for writing; nothing is ever written.
                channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                privateMapping = true;
            } catch (IOException e) {
                channel = null; // e.g. a read-only file system: fall back to reading only
            }
        }
        if (channel == null) {
            try {
                channel = FileChannel.open(file, StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                throw new SafetensorsException(file, "file does not exist", e);
            }
        }
        try {
            HeaderParser parsed = new HeaderParser(file, channel);
            return new SafetensorsFile(
                    file, channel, privateMapping, blockBytes, parsed.metadata, parsed.tensors);
        } catch (IOException | RuntimeException e) {
            try {
                channel.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Returns the path this file was opened from.
     *
     * @return the file
     */
    public Path path() {
        return file;
    }

    /**
     * Returns the header's {@code __metadata__} entries.
     *
     * @return an unmodifiable map in header order (empty if the header has none)
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Returns every tensor in header order.
     *
     * @return an unmodifiable list
     */
    public List<TensorInfo> tensors() {
        return List.copyOf(tensors.values());
    }

    /**
     * Returns every tensor name in header order.
     *
     * @return an unmodifiable list
     */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /**
     * Tells whether the file holds a tensor.
     *
     * @param name the tensor name
     * @return whether the header has an entry of that name
     */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * Returns where a tensor lives.
     *
     * @param name the tensor name
     * @return its dtype, shape and absolute byte range
     * @throws SafetensorsException if the file has no such tensor, naming the file and the tensor
     */
    public TensorInfo info(String name) throws SafetensorsException {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new SafetensorsException(file, "no tensor named '" + name + "'");
        }
        return info;
    }

    /**
     * Returns one tensor's raw little-endian bytes as a memory-mapped view.
     *
     * <p>The buffer is a {@code MapMode.PRIVATE} mapping of exactly {@link TensorInfo#byteLength()}
     * bytes (position 0, order {@link ByteOrder#LITTLE_ENDIAN}); writes to it stay private. If the
     * file is not writable by this process (a private mapping is then impossible in Java), the
     * result is a heap copy instead, so that no engine array can alias read-only memory.
     *
     * @param name the tensor name
     * @return the tensor's bytes
     * @throws SafetensorsException if there is no such tensor, or it is 2 GiB or larger (read it in
     *     parts with {@link #rows} or load it with {@link #toNDArray})
     * @throws IOException if mapping fails
     */
    public ByteBuffer bytes(String name) throws IOException {
        TensorInfo info = info(name);
        if (info.byteLength() > Integer.MAX_VALUE) {
            throw new SafetensorsException(
                    file,
                    "tensor '"
                            + name
                            + "' is "
                            + info.byteLength()
                            + " bytes, too large for one ByteBuffer (limit 2 GiB - 1 byte);"
                            + " read it in parts with rows(name, firstRow, rowCount)"
                            + " or load it with toNDArray");
        }
        return view(info.dataOffset(), info.byteLength());
    }

    /**
     * Returns the raw bytes of a range of rows (slices along dimension 0) of a tensor.
     *
     * <p>Row {@code r} of a tensor with shape {@code [d0, d1, ...]} is the {@code d1 * d2 * ...}
     * elements starting at element {@code r * d1 * d2 * ...}. The buffer is a mapping (or a heap
     * copy) like the one of {@link #bytes}; this is the way to read parts of tensors of 2 GiB or
     * more.
     *
     * @param name the tensor name
     * @param firstRow index of the first row, {@code 0 <= firstRow <= shape[0]}
     * @param rowCount number of rows, {@code firstRow + rowCount <= shape[0]}
     * @return {@code rowCount * rowBytes} little-endian bytes
     * @throws SafetensorsException if there is no such tensor, or the range is 2 GiB or larger
     * @throws IllegalArgumentException if the tensor is a scalar
     * @throws IndexOutOfBoundsException if the rows are outside the tensor
     * @throws IOException if mapping fails
     */
    public ByteBuffer rows(String name, long firstRow, long rowCount) throws IOException {
        TensorInfo info = info(name);
        long[] shape = info.shape();
        if (shape.length == 0) {
            throw new IllegalArgumentException(
                    file + ": tensor '" + name + "' is a scalar and has no rows");
        }
        if (firstRow < 0 || rowCount < 0 || firstRow > shape[0] - rowCount) {
            throw new IndexOutOfBoundsException(
                    file
                            + ": tensor '"
                            + name
                            + "' has "
                            + shape[0]
                            + " rows; cannot read "
                            + rowCount
                            + " from row "
                            + firstRow);
        }
        long rowBytes = shape[0] == 0 ? 0 : info.byteLength() / shape[0];
        long length = rowBytes * rowCount; // <= byteLength, no overflow
        if (length > Integer.MAX_VALUE) {
            throw new SafetensorsException(
                    file,
                    "tensor '"
                            + name
                            + "': "
                            + rowCount
                            + " rows are "
                            + length
                            + " bytes, too large for one ByteBuffer (limit 2 GiB - 1 byte);"
                            + " read fewer rows at a time");
        }
        return view(info.dataOffset() + firstRow * rowBytes, length);
    }

    /**
     * Reads a floating-point tensor into a {@code float[]} in row-major order.
     *
     * <p>F32 is copied, F16 and BF16 are decoded exactly ({@link HalfFloats}), F64 is rounded to
     * the nearest float. Tensors of 2 GiB or more are read block by block; the only large
     * allocation is the returned array.
     *
     * @param name the tensor name
     * @return {@code numElements()} floats
     * @throws SafetensorsException if there is no such tensor, its dtype is not F32, F16, BF16 or
     *     F64, or it has more elements than a Java array can hold
     * @throws IOException if mapping fails
     */
    public float[] readFloats(String name) throws IOException {
        TensorInfo info = info(name);
        DType dtype = info.dtype();
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16 && dtype != DType.F64) {
            throw new SafetensorsException(
                    file,
                    "tensor '"
                            + name
                            + "' has dtype "
                            + dtype
                            + "; readFloats reads only F32, F16, BF16 and F64"
                            + " (use bytes or toNDArray)");
        }
        long count = info.numElements();
        if (count > Integer.MAX_VALUE - 8) {
            throw new SafetensorsException(
                    file,
                    "tensor '"
                            + name
                            + "' has "
                            + count
                            + " elements, more than a Java float[] can hold;"
                            + " use toNDArray or rows");
        }
        float[] out = new float[(int) count];
        long perBlock = elementsPerBlock(blockBytes, dtype.byteSize());
        for (long start = 0; start < count; start += perBlock) {
            int n = (int) Math.min(perBlock, count - start);
            ByteBuffer block =
                    map(info.dataOffset() + start * dtype.byteSize(), (long) n * dtype.byteSize());
            decodeFloats(dtype, block, out, (int) start, n);
        }
        return out;
    }

    /**
     * Loads a tensor into an engine-owned array.
     *
     * <p>The array has the tensor's shape and {@link DType#engineType()}: FLOAT32 for F32 and BF16
     * (BF16 is widened in Java and never reaches the engine as BF16), and the stored type for F16,
     * F64, I64, I32, I8, U8 and BOOL. It is named after the tensor and attached to {@code manager}.
     *
     * <p>Memory: the result is the engine's own copy (it does not alias the file, a mapping or any
     * Java buffer), so it stays valid after this file is closed and may be modified in place.
     * Tensors under the block size (1 GiB) with no conversion are copied straight from a mapping (a
     * zero-copy view of the mapping is duplicated, then closed). Larger tensors, tensors over 2 GiB
     * or {@code Integer.MAX_VALUE} elements, BF16 tensors and tensors whose data is not aligned to
     * their element size are read in blocks of at most 1 GiB of consecutive elements (whole rows
     * along dimension 0 and parts of rows alike) into a preallocated engine array. Peak memory is
     * therefore the engine array plus one block: the blocks are file mappings, which count neither
     * against the Java heap nor against {@code -XX:MaxDirectMemorySize} (and live in the page
     * cache, reclaimable); only BF16 and misaligned tensors additionally use one direct staging
     * buffer of at most 64 MiB. No {@code -XX:MaxDirectMemorySize} setting is needed for large
     * models. (Mapped pages that were read count in the process's resident set size until the
     * mapping is garbage-collected; they are file cache, reclaimable by the OS, not heap or engine
     * memory.)
     *
     * <p>Caution for arrays with 2^31 or more elements: DJL 0.35.1's PyTorch JNI truncates a single
     * fixed index to 32 bits, so {@code array.get(i)} or {@code getFloat(i)} with {@code i >= 2^31}
     * silently return another element; index such arrays with slices ({@code new
     * NDIndex().addSliceDim(i, i + 1)}), which take 64-bit bounds.
     *
     * @param name the tensor name
     * @param manager the manager that will own the array
     * @return the tensor as an engine array
     * @throws SafetensorsException if there is no such tensor, its dtype (I16) has no engine type,
     *     or a BOOL element is a byte other than 0 and 1
     * @throws IOException if mapping fails
     */
    public NDArray toNDArray(String name, NDManager manager) throws IOException {
        TensorInfo info = info(name);
        DataType type;
        try {
            type = info.dtype().engineType();
        } catch (UnsupportedOperationException e) {
            throw new SafetensorsException(
                    file,
                    "tensor '"
                            + name
                            + "' has dtype "
                            + info.dtype()
                            + ", which DJL's PyTorch engine cannot hold; read it with bytes()",
                    e);
        }
        if (info.dtype() == DType.BOOL) {
            checkBooleans(info);
        }
        Shape shape = info.djlShape();
        NDArray result;
        if (info.numElements() == 0) {
            result = manager.create(shape, type);
        } else if (info.dtype() != DType.BF16
                && isAligned(info)
                && info.byteLength() <= Math.min(blockBytes, Integer.MAX_VALUE)) {
            ByteBuffer mapped = map(info.dataOffset(), info.byteLength());
            try (NDArray aliasing = manager.create(mapped, shape, type)) {
                result = aliasing.duplicate(); // engine-owned copy; the alias is closed here
            }
        } else {
            result = readInBlocks(info, type, shape, manager);
        }
        result.setName(name);
        return result;
    }

    /**
     * Refuses BOOL bytes other than 0 and 1: the engine would read any other byte as true, and the
     * array would then not hold what the file says.
     */
    private void checkBooleans(TensorInfo info) throws IOException {
        long count = info.numElements();
        long perBlock = elementsPerBlock(blockBytes, 1);
        for (long start = 0; start < count; start += perBlock) {
            int n = (int) Math.min(perBlock, count - start);
            ByteBuffer block = map(info.dataOffset() + start, n);
            for (int i = 0; i < n; i++) {
                int value = block.get(i) & 0xff;
                if (value > 1) {
                    throw new SafetensorsException(
                            file,
                            "tensor '"
                                    + info.name()
                                    + "': BOOL element "
                                    + (start + i)
                                    + " is byte "
                                    + value
                                    + ", not 0 or 1");
                }
            }
        }
    }

    /**
     * Closes the file handle. Buffers and arrays returned earlier stay valid.
     *
     * @throws IOException if closing fails
     */
    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
    }

    /** Describes the file for logs. */
    @Override
    public String toString() {
        return "SafetensorsFile[" + file + ", " + tensors.size() + " tensors]";
    }

    private NDArray readInBlocks(TensorInfo info, DataType type, Shape shape, NDManager manager)
            throws IOException {
        DType dtype = info.dtype();
        boolean widenBf16 = dtype == DType.BF16;
        boolean staged = widenBf16 || !isAligned(info);
        int engineBytes = type.getNumOfBytes();
        long perBlock =
                staged
                        ? elementsPerBlock(Math.min(blockBytes, MAX_STAGING_BYTES), engineBytes)
                        : elementsPerBlock(blockBytes, dtype.byteSize());
        long count = info.numElements();
        NDArray result = manager.create(shape, type); // uninitialized; every element set below
        try (NDArray flat = result.reshape(count)) { // a view of result's storage
            ByteBuffer staging =
                    staged
                            ? ByteBuffer.allocateDirect(
                                            (int) (Math.min(perBlock, count) * engineBytes))
                                    .order(ByteOrder.LITTLE_ENDIAN)
                            : null;
            for (long start = 0; start < count; start += perBlock) {
                int n = (int) Math.min(perBlock, count - start);
                ByteBuffer block =
                        map(
                                info.dataOffset() + start * dtype.byteSize(),
                                (long) n * dtype.byteSize());
                if (staged) {
                    staging.clear();
                    if (widenBf16) {
                        ShortBuffer source = block.asShortBuffer();
                        IntBuffer target = staging.asIntBuffer();
                        for (int i = 0; i < n; i++) {
                            target.put(i, (source.get(i) & 0xffff) << 16);
                        }
                        staging.limit(n * engineBytes);
                    } else {
                        staging.put(block).flip();
                    }
                    block = staging;
                }
                try (NDArray part = manager.create(block, new Shape(n), type)) {
                    flat.set(new NDIndex().addSliceDim(start, start + n), part);
                }
            }
        } catch (IOException | RuntimeException e) {
            result.close();
            throw e;
        }
        return result;
    }

    private static long elementsPerBlock(long blockBytes, int elementBytes) {
        long perBlock = Math.max(1, blockBytes / elementBytes);
        return Math.min(perBlock, Integer.MAX_VALUE / elementBytes);
    }

    private static boolean isAligned(TensorInfo info) {
        // a mapping starts at (page-aligned address) + (offset % page size)
        return info.dataOffset() % info.dtype().byteSize() == 0;
    }

    private static void decodeFloats(DType dtype, ByteBuffer block, float[] out, int at, int n) {
        switch (dtype) {
            case F32:
                FloatBuffer floats = block.asFloatBuffer();
                floats.get(out, at, n);
                break;
            case F16:
                ShortBuffer halves = block.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    out[at + i] = HalfFloats.f16ToFloat(halves.get(i));
                }
                break;
            case BF16:
                ShortBuffer brains = block.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    out[at + i] = HalfFloats.bf16ToFloat(brains.get(i));
                }
                break;
            case F64:
                DoubleBuffer doubles = block.asDoubleBuffer();
                for (int i = 0; i < n; i++) {
                    out[at + i] = (float) doubles.get(i);
                }
                break;
            default:
                throw new IllegalStateException("not a float dtype: " + dtype);
        }
    }

    /** A mapping for internal reads (PRIVATE, or READ_ONLY for an unwritable file). */
    private ByteBuffer map(long offset, long length) throws IOException {
        ensureOpen();
        FileChannel.MapMode mode =
                privateMapping ? FileChannel.MapMode.PRIVATE : FileChannel.MapMode.READ_ONLY;
        return channel.map(mode, offset, length).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A buffer handed to callers: a PRIVATE mapping, or a heap copy if that is impossible. */
    private ByteBuffer view(long offset, long length) throws IOException {
        if (privateMapping) {
            return map(offset, length);
        }
        ensureOpen();
        ByteBuffer copy = ByteBuffer.allocate((int) length);
        readFully(channel, copy, offset, file);
        return copy.flip().order(ByteOrder.LITTLE_ENDIAN);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(file + ": file is closed");
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer target, long offset, Path file)
            throws IOException {
        long position = offset;
        while (target.hasRemaining()) {
            int read = channel.read(target, position);
            if (read < 0) {
                throw new SafetensorsException(file, "unexpected end of file at byte " + position);
            }
            position += read;
        }
    }

    /** Reads and validates the header of one file. */
    private static final class HeaderParser {
        private final Path file;
        private final Map<String, String> metadata;
        private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        private long dataStart;
        private long dataLength;

        HeaderParser(Path file, FileChannel channel) throws IOException {
            this.file = file;
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new SafetensorsException(
                        file,
                        "truncated: the file is "
                                + fileSize
                                + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0, file);
            long headerLength = lengthBytes.getLong(0); // u64; negative means >= 2^63
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw new SafetensorsException(
                        file,
                        "header length "
                                + Long.toUnsignedString(headerLength)
                                + " is absurd (limit "
                                + MAX_HEADER_BYTES
                                + " bytes); not a safetensors file?");
            }
            if (headerLength > fileSize - 8) {
                throw new SafetensorsException(
                        file,
                        "header length "
                                + headerLength
                                + " runs past the end of the file ("
                                + fileSize
                                + " bytes); truncated?");
            }
            if (headerLength == 0) {
                throw new SafetensorsException(file, "header is empty (header length 0)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8, file);
            String json = JsonSupport.decodeUtf8(headerBytes.array(), file, "header");
            dataStart = 8 + headerLength;
            dataLength = fileSize - dataStart;
            Map<String, String> parsedMetadata;
            try {
                parsedMetadata = parse(json);
            } catch (SafetensorsException e) {
                throw e;
            } catch (IOException | IllegalStateException | JsonParseException e) {
                throw new SafetensorsException(
                        file, "header is not valid JSON: " + StrictJson.firstLine(e), e);
            }
            metadata = parsedMetadata;
            checkOverlaps();
            checkLayout();
        }

        private Map<String, String> parse(String json) throws IOException {
            JsonReader reader = JsonSupport.strictReader(json);
            JsonSupport.expect(
                    reader, JsonToken.BEGIN_OBJECT, file, "header must be a JSON object");
            Map<String, String> parsedMetadata = null;
            reader.beginObject();
            while (reader.hasNext()) {
                String name = reader.nextName();
                if (METADATA_KEY.equals(name)) {
                    if (parsedMetadata != null) {
                        throw new SafetensorsException(
                                file, "header has " + METADATA_KEY + " twice");
                    }
                    parsedMetadata = JsonSupport.nextStringMap(reader, file, METADATA_KEY);
                } else {
                    if (tensors.containsKey(name)) {
                        throw new SafetensorsException(
                                file, "header has tensor '" + name + "' twice");
                    }
                    tensors.put(name, parseEntry(reader, name));
                }
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new SafetensorsException(
                        file, "header has data after the JSON object (only spaces may follow)");
            }
            return parsedMetadata == null ? new LinkedHashMap<>() : parsedMetadata;
        }

        private TensorInfo parseEntry(JsonReader reader, String name) throws IOException {
            String what = "tensor '" + name + "'";
            JsonSupport.expect(
                    reader, JsonToken.BEGIN_OBJECT, file, what + ": entry must be a JSON object");
            String dtypeName = null;
            long[] shape = null;
            long[] offsets = null;
            reader.beginObject();
            while (reader.hasNext()) {
                String key = reader.nextName();
                switch (key) {
                    case "dtype":
                        checkOnce(dtypeName, what, key);
                        JsonSupport.expect(
                                reader,
                                JsonToken.STRING,
                                file,
                                what + ": \"dtype\" must be a string");
                        dtypeName = reader.nextString();
                        break;
                    case "shape":
                        checkOnce(shape, what, key);
                        shape = nextLongArray(reader, what + ": shape");
                        break;
                    case "data_offsets":
                        checkOnce(offsets, what, key);
                        offsets = nextLongArray(reader, what + ": data_offsets");
                        break;
                    default:
                        reader.skipValue(); // unknown keys are tolerated, as by the reference
                }
            }
            reader.endObject();
            if (dtypeName == null) {
                throw new SafetensorsException(file, what + ": entry has no \"dtype\"");
            }
            if (shape == null) {
                throw new SafetensorsException(file, what + ": entry has no \"shape\"");
            }
            if (offsets == null) {
                throw new SafetensorsException(file, what + ": entry has no \"data_offsets\"");
            }
            DType dtype = DType.parse(dtypeName, file, name);
            for (long dim : shape) {
                if (dim < 0) {
                    throw new SafetensorsException(
                            file,
                            what
                                    + ": shape "
                                    + Arrays.toString(shape)
                                    + " has a negative dimension "
                                    + dim);
                }
            }
            if (offsets.length != 2) {
                throw new SafetensorsException(
                        file,
                        what
                                + ": data_offsets must be [begin, end], found "
                                + offsets.length
                                + " values");
            }
            long begin = offsets[0];
            long end = offsets[1];
            String range = "data_offsets [" + begin + ", " + end + "]";
            if (begin < 0 || end < 0) {
                throw new SafetensorsException(file, what + ": negative " + range);
            }
            if (end < begin) {
                throw new SafetensorsException(file, what + ": " + range + " end before begin");
            }
            if (end > dataLength) {
                throw new SafetensorsException(
                        file,
                        what
                                + ": "
                                + range
                                + " run past the end of the data section ("
                                + dataLength
                                + " bytes); truncated?");
            }
            long required = TensorInfo.requiredBytes(dtype, shape);
            if (required < 0) {
                throw new SafetensorsException(
                        file,
                        what
                                + ": "
                                + dtype
                                + " "
                                + Arrays.toString(shape)
                                + " needs more than 2^63 bytes (overflow)");
            }
            if (end - begin != required) {
                throw new SafetensorsException(
                        file,
                        what
                                + ": "
                                + range
                                + " hold "
                                + (end - begin)
                                + " bytes but "
                                + dtype
                                + " "
                                + Arrays.toString(shape)
                                + " needs "
                                + required);
            }
            return new TensorInfo(name, dtype, shape, dataStart + begin, end - begin, file);
        }

        private void checkOnce(Object previous, String what, String key)
                throws SafetensorsException {
            if (previous != null) {
                throw new SafetensorsException(file, what + ": entry has \"" + key + "\" twice");
            }
        }

        private long[] nextLongArray(JsonReader reader, String what) throws IOException {
            JsonSupport.expect(
                    reader, JsonToken.BEGIN_ARRAY, file, what + " must be an array of integers");
            List<Long> values = new ArrayList<>();
            reader.beginArray();
            while (reader.hasNext()) {
                values.add(JsonSupport.nextLong(reader, file, what + "[" + values.size() + "]"));
            }
            reader.endArray();
            return values.stream().mapToLong(Long::longValue).toArray();
        }

        /**
         * Checks that the tensors tile the data section exactly, as the reference implementation
         * does: no two overlap, no bytes between them belong to no tensor, and nothing follows the
         * last one (junk appended to a file, or a header whose offsets were cut short, would
         * otherwise load as if nothing were wrong).
         */
        private void checkLayout() throws SafetensorsException {
            List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
            byOffset.removeIf(info -> info.byteLength() == 0);
            byOffset.sort(Comparator.comparingLong(TensorInfo::dataOffset));
            long covered = dataStart;
            for (TensorInfo info : byOffset) {
                if (info.dataOffset() > covered) {
                    throw new SafetensorsException(
                            file,
                            "bytes ["
                                    + (covered - dataStart)
                                    + ", "
                                    + (info.dataOffset() - dataStart)
                                    + ") of the data section belong to no tensor (before '"
                                    + info.name()
                                    + "')");
                }
                covered = Math.max(covered, info.dataOffset() + info.byteLength());
            }
            if (covered < dataStart + dataLength) {
                throw new SafetensorsException(
                        file,
                        (dataStart + dataLength - covered)
                                + " bytes follow the last tensor's data (the data section is "
                                + dataLength
                                + " bytes, the tensors end at "
                                + (covered - dataStart)
                                + "); junk appended to the file?");
            }
        }

        private void checkOverlaps() throws SafetensorsException {
            List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
            byOffset.removeIf(info -> info.byteLength() == 0);
            byOffset.sort(Comparator.comparingLong(TensorInfo::dataOffset));
            TensorInfo previous = null;
            for (TensorInfo info : byOffset) {
                if (previous != null
                        && info.dataOffset() < previous.dataOffset() + previous.byteLength()) {
                    throw new SafetensorsException(
                            file,
                            "tensors '"
                                    + previous.name()
                                    + "' "
                                    + relativeRange(previous)
                                    + " and '"
                                    + info.name()
                                    + "' "
                                    + relativeRange(info)
                                    + " overlap");
                }
                if (previous == null
                        || info.dataOffset() + info.byteLength()
                                > previous.dataOffset() + previous.byteLength()) {
                    previous = info;
                }
            }
        }

        private String relativeRange(TensorInfo info) {
            long begin = info.dataOffset() - dataStart;
            return "[" + begin + ", " + (begin + info.byteLength()) + ")";
        }
    }
}
