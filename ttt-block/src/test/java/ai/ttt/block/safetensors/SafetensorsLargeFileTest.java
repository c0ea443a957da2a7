package ai.ttt.block.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files and tensors over 2 GiB, built as sparse files (a few known bytes at known offsets, holes
 * elsewhere) so the tests cost neither disk nor time. The tests that load a > 2 GiB tensor into
 * memory need about 6 GB and run only with {@code -Dttt.test.large=true}.
 */
class SafetensorsLargeFileTest {

    /** {@code big}: U8, over 2^32 bytes. */
    private static final long BIG = 4_500_000_000L;

    /** {@code mid}: U8, over 2 GiB but small enough to load into the engine (opt-in test). */
    private static final long MID = 2_200_000_000L;

    private static final long[] KNOWN_BIG = {
        0, (1L << 31) - 1, 1L << 31, (1L << 31) + 1, (1L << 32) - 1, (1L << 32) + 5, BIG - 1
    };
    private static final long[] KNOWN_MID = {0, (1L << 31) - 1, 1L << 31, MID - 1};

    @TempDir Path dir;

    private static byte known(long position) {
        return (byte) (position % 251 + 1);
    }

    private static byte knownMid(long position) {
        return (byte) (position % 241 + 3);
    }

    /**
     * A sparse 6.7 GB file: {@code big} U8 [4.5e9], {@code mid} U8 [2.2e9], then {@code after} F32
     * [4] and {@code tail} BF16 [2], whose data start 6.7e9 bytes into the file.
     */
    private Path sparseFile() throws IOException {
        long afterBegin = BIG + MID;
        String json =
                "{\"__metadata__\":{\"kind\":\"sparse\"},"
                        + entry("big", "U8", BIG, 0, BIG)
                        + ","
                        + entry("mid", "U8", MID, BIG, BIG + MID)
                        + ","
                        + entry("after", "F32", 4, afterBegin, afterBegin + 16)
                        + ","
                        + entry("tail", "BF16", 2, afterBegin + 16, afterBegin + 20)
                        + "}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8;
        long dataStart = 8 + padded;
        Path file = dir.resolve("sparse.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataStart + afterBegin + 20); // sparse: no blocks allocated
            ByteBuffer prefix = ByteBuffer.allocate((int) dataStart).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(padded).put(header);
            while (prefix.hasRemaining()) {
                prefix.put((byte) ' ');
            }
            raf.write(prefix.array());
            for (long position : KNOWN_BIG) {
                raf.seek(dataStart + position);
                raf.write(known(position));
            }
            for (long position : KNOWN_MID) {
                raf.seek(dataStart + BIG + position);
                raf.write(knownMid(position));
            }
            raf.seek(dataStart + afterBegin);
            raf.write(RawFiles.floats(1.5f, -2f, 1e30f, 7f));
            raf.write(RawFiles.shorts(0x3f80, 0xc020));
        }
        return file;
    }

    private static String entry(String name, String dtype, long elements, long begin, long end) {
        return "\""
                + name
                + "\":{\"dtype\":\""
                + dtype
                + "\",\"shape\":["
                + elements
                + "],\"data_offsets\":["
                + begin
                + ","
                + end
                + "]}";
    }

    @Test
    void smallTensorsStoredPastTwoGibibytesReadCorrectly() throws IOException {
        Path file = sparseFile();
        try (SafetensorsFile st = SafetensorsFile.open(file);
                NDManager manager = NDManager.newBaseManager()) {
            assertEquals("sparse", st.metadata().get("kind"));
            TensorInfo after = st.info("after");
            assertTrue(after.dataOffset() > BIG + MID);
            assertEquals(BIG, st.info("big").byteLength());
            assertEquals(BIG, st.info("big").numElements());

            ByteBuffer bytes = st.bytes("after");
            assertEquals(-2f, bytes.getFloat(4));
            assertArrayEquals(new float[] {1.5f, -2f, 1e30f, 7f}, st.readFloats("after"));
            NDArray array = st.toNDArray("after", manager);
            assertArrayEquals(new float[] {1.5f, -2f, 1e30f, 7f}, array.toFloatArray());

            assertArrayEquals(new float[] {1f, -2.5f}, st.readFloats("tail"));
            NDArray tail = st.toNDArray("tail", manager);
            assertEquals(DataType.FLOAT32, tail.getDataType());
            assertArrayEquals(new float[] {1f, -2.5f}, tail.toFloatArray());
        }
        try (Checkpoint checkpoint = Checkpoint.open(file)) {
            assertArrayEquals(new float[] {1.5f, -2f, 1e30f, 7f}, checkpoint.readFloats("after"));
        }
    }

    @Test
    void tensorsOverTwoGibibytesAreReadByRows() throws IOException {
        Path file = sparseFile();
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            SafetensorsException tooBig =
                    assertThrows(SafetensorsException.class, () -> st.bytes("big"));
            assertTrue(tooBig.getMessage().startsWith(file + ": "));
            assertTrue(
                    tooBig.getMessage().contains("tensor 'big' is 4500000000 bytes")
                            && tooBig.getMessage().contains("rows(name, firstRow, rowCount)"),
                    tooBig.getMessage());
            for (long position : KNOWN_BIG) {
                ByteBuffer row = st.rows("big", position, 1);
                assertEquals(1, row.remaining());
                assertEquals(known(position), row.get(0), "byte " + position);
            }
            for (long position : KNOWN_MID) {
                assertEquals(knownMid(position), st.rows("mid", position, 1).get(0));
            }
            ByteBuffer across = st.rows("big", (1L << 31) - 1, 3); // spans the 2 GiB boundary
            assertEquals(known((1L << 31) - 1), across.get(0));
            assertEquals(known(1L << 31), across.get(1));
            assertEquals(known((1L << 31) + 1), across.get(2));
            assertEquals(0, st.rows("big", 12345, 1).get(0)); // a hole reads as zero
            SafetensorsException tooManyRows =
                    assertThrows(SafetensorsException.class, () -> st.rows("big", 0, 1L << 31));
            assertTrue(tooManyRows.getMessage().contains("read fewer rows"));
            SafetensorsException notFloat =
                    assertThrows(SafetensorsException.class, () -> st.readFloats("big"));
            assertTrue(notFloat.getMessage().contains("has dtype U8"));
        }
    }

    /** Loads the whole 2.2 GB tensor (needs 2.2 GB of engine memory plus page cache). */
    @Test
    @EnabledIfSystemProperty(named = "ttt.test.large", matches = "true")
    void tensorOverTwoGibibytesLoadsIntoTheEngine() throws IOException {
        Path file = sparseFile();
        try (SafetensorsFile st = SafetensorsFile.open(file);
                NDManager manager = NDManager.newBaseManager()) {
            long start = System.nanoTime();
            NDArray mid = st.toNDArray("mid", manager);
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.println("loaded a " + MID + "-byte tensor in " + millis + " ms");
            assertEquals(DataType.UINT8, mid.getDataType());
            assertEquals(new Shape(MID), mid.getShape());
            for (long position : KNOWN_MID) {
                assertEquals(knownMid(position), elementAt(mid, position), "at " + position);
            }
            assertEquals(0, elementAt(mid, 12345));
        }
    }

    /**
     * Reads one byte through a slice. Not {@code getUint8(position)}: DJL 0.35.1's PyTorch JNI
     * truncates a single fixed index to 32 bits, so {@code get(2^31)} silently returns element
     * {@code size - 2^31}; slices take 64-bit bounds and are correct.
     */
    private static byte elementAt(NDArray array, long position) {
        try (NDArray slice = array.get(new NDIndex().addSliceDim(position, position + 1))) {
            return slice.toByteBuffer().get(0);
        }
    }

    /** Writes a > 2 GiB file with a streamed source and reads it back (writes 2.2 GB to disk). */
    @Test
    @EnabledIfSystemProperty(named = "ttt.test.large", matches = "true")
    void writerHandlesFilesOverTwoGibibytes() throws IOException {
        long size = 2_200_000_000L;
        Path file = dir.resolve("written.safetensors");
        new SafetensorsWriter()
                .add(
                        "a.big",
                        DType.U8,
                        new long[] {size},
                        TensorSource.of(
                                size,
                                out -> {
                                    ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 24);
                                    for (long written = 0; written < size; ) {
                                        chunk.clear();
                                        int n = (int) Math.min(chunk.capacity(), size - written);
                                        chunk.limit(n);
                                        chunk.put(0, (byte) (written >>> 24));
                                        while (chunk.hasRemaining()) {
                                            out.write(chunk);
                                        }
                                        written += n;
                                    }
                                }))
                .add(
                        "b.after",
                        DType.F32,
                        new long[] {2},
                        TensorSource.ofFloats(new float[] {3, 4}))
                .write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertTrue(st.info("b.after").dataOffset() > size);
            assertArrayEquals(new float[] {3, 4}, st.readFloats("b.after"));
            long lastChunk = (size - 1) / (1 << 24) * (1 << 24);
            assertEquals((byte) (lastChunk >>> 24), st.rows("a.big", lastChunk, 1).get(0));
        }
    }
}
