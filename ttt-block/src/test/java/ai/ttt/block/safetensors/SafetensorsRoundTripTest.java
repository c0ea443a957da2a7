package ai.ttt.block.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing then reading every dtype, through bytes, floats and engine arrays. */
class SafetensorsRoundTripTest {

    @TempDir Path dir;
    private NDManager manager;

    @BeforeEach
    void createManager() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    /** One tensor per dtype with awkward values, as raw little-endian bytes. */
    private static Map<String, Object[]> samples() {
        Map<String, Object[]> samples = new LinkedHashMap<>();
        ByteBuffer f64 = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        f64.putDouble(1.5).putDouble(-2.25).putDouble(1e300).putDouble(Math.PI);
        samples.put("f64", new Object[] {DType.F64, new long[] {2, 2}, f64.array()});
        samples.put(
                "f32",
                new Object[] {
                    DType.F32,
                    new long[] {2, 3},
                    RawFiles.floats(0f, -0f, 1e-45f, Float.MAX_VALUE, -7.25f, 3.3f)
                });
        samples.put(
                "f16",
                new Object[] {
                    DType.F16,
                    new long[] {5},
                    RawFiles.shorts(0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000)
                });
        samples.put(
                "bf16",
                new Object[] {
                    DType.BF16,
                    new long[] {2, 3},
                    RawFiles.shorts(0x3f80, 0xc020, 0x4049, 0x7f80, 0x0001, 0xff80)
                });
        samples.put(
                "i64",
                new Object[] {
                    DType.I64, new long[] {3}, RawFiles.longs(Long.MIN_VALUE, -1, Long.MAX_VALUE)
                });
        ByteBuffer i32 = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        i32.putInt(Integer.MIN_VALUE).putInt(42).putInt(Integer.MAX_VALUE);
        samples.put("i32", new Object[] {DType.I32, new long[] {1, 3}, i32.array()});
        samples.put(
                "i16", new Object[] {DType.I16, new long[] {3}, RawFiles.shorts(-32768, 7, 32767)});
        samples.put("i8", new Object[] {DType.I8, new long[] {4}, new byte[] {-128, -1, 0, 127}});
        samples.put(
                "u8",
                new Object[] {
                    DType.U8, new long[] {2, 2}, new byte[] {0, 1, (byte) 200, (byte) 255}
                });
        samples.put("bool", new Object[] {DType.BOOL, new long[] {3}, new byte[] {1, 0, 1}});
        samples.put("scalar", new Object[] {DType.F32, new long[] {}, RawFiles.floats(2.5f)});
        samples.put("empty", new Object[] {DType.F32, new long[] {0, 3}, new byte[0]});
        return samples;
    }

    private Path writeSamples() throws IOException {
        return writeSamples("all.safetensors", List.of());
    }

    private Path writeSamples(String fileName, List<DType> leaveOut) throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter();
        for (Map.Entry<String, Object[]> sample : samples().entrySet()) {
            Object[] spec = sample.getValue();
            if (leaveOut.contains((DType) spec[0])) {
                continue;
            }
            writer.add(
                    sample.getKey(),
                    (DType) spec[0],
                    (long[]) spec[1],
                    TensorSource.of(ByteBuffer.wrap((byte[]) spec[2])));
        }
        Path file = dir.resolve(fileName);
        writer.write(file);
        return file;
    }

    @Test
    void everyDtypeRoundTripsAsBytes() throws IOException {
        Path file = writeSamples();
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            for (Map.Entry<String, Object[]> sample : samples().entrySet()) {
                String name = sample.getKey();
                Object[] spec = sample.getValue();
                TensorInfo info = st.info(name);
                assertEquals(spec[0], info.dtype(), name);
                assertArrayEquals((long[]) spec[1], info.shape(), name);
                assertEquals(((byte[]) spec[2]).length, info.byteLength(), name);
                assertEquals(file, info.file());
                ByteBuffer bytes = st.bytes(name);
                assertEquals(ByteOrder.LITTLE_ENDIAN, bytes.order());
                assertEquals(0, bytes.position());
                assertArrayEquals((byte[]) spec[2], RawFiles.toArray(bytes), name);
            }
        }
    }

    @Test
    void everyEngineDtypeRoundTripsAsNDArray() throws IOException {
        Path file = writeSamples();
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            for (Map.Entry<String, Object[]> sample : samples().entrySet()) {
                String name = sample.getKey();
                DType dtype = (DType) sample.getValue()[0];
                if (dtype == DType.I16 || dtype == DType.BF16) {
                    continue; // below
                }
                NDArray array = st.toNDArray(name, manager);
                assertEquals(dtype.engineType(), array.getDataType(), name);
                assertEquals(new Shape((long[]) sample.getValue()[1]), array.getShape(), name);
                assertEquals(name, array.getName());
                assertArrayEquals(
                        (byte[]) sample.getValue()[2],
                        RawFiles.toArray(array.toByteBuffer()),
                        name);
            }
        }
    }

    @Test
    void bf16DecodesToTheRightFloatsAndLoadsAsFloat32() throws IOException {
        Path file = writeSamples();
        float[] expected = {
            1.0f, -2.5f, 3.140625f, Float.POSITIVE_INFINITY, 0x1p-133f, Float.NEGATIVE_INFINITY
        };
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertArrayEquals(expected, st.readFloats("bf16"));
            NDArray array = st.toNDArray("bf16", manager); // must not abort the JVM
            assertEquals(DataType.FLOAT32, array.getDataType());
            assertEquals(new Shape(2, 3), array.getShape());
            assertArrayEquals(expected, array.toFloatArray());
            // the array is usable in ordinary engine arithmetic
            assertEquals(2.0f, array.get(0, 0).mul(2).getFloat());
        }
    }

    @Test
    void readFloatsConvertsEveryFloatingDtype() throws IOException {
        Path file = writeSamples();
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertArrayEquals(
                    new float[] {1.5f, -2.25f, Float.POSITIVE_INFINITY, (float) Math.PI},
                    st.readFloats("f64"));
            assertArrayEquals(
                    new float[] {0f, -0f, 1e-45f, Float.MAX_VALUE, -7.25f, 3.3f},
                    st.readFloats("f32"));
            assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f, -0f}, st.readFloats("f16"));
            assertArrayEquals(new float[] {2.5f}, st.readFloats("scalar"));
            assertArrayEquals(new float[0], st.readFloats("empty"));
            SafetensorsException e =
                    assertThrows(SafetensorsException.class, () -> st.readFloats("i64"));
            assertTrue(e.getMessage().contains("tensor 'i64' has dtype I64"), e.getMessage());
        }
    }

    @Test
    void f16LoadsAsFloat16AndMatchesJavaDecoding() throws IOException {
        Path file = writeSamples();
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            NDArray array = st.toNDArray("f16", manager);
            assertEquals(DataType.FLOAT16, array.getDataType());
            assertArrayEquals(
                    st.readFloats("f16"), array.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }

    @Test
    void i16IsReadableAsBytesButRefusedByTheEngine() throws IOException {
        Path file = writeSamples();
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(-32768, st.bytes("i16").getShort(0));
            SafetensorsException e =
                    assertThrows(SafetensorsException.class, () -> st.toNDArray("i16", manager));
            assertTrue(e.getMessage().startsWith(file + ": "));
            assertTrue(e.getMessage().contains("tensor 'i16' has dtype I16"), e.getMessage());
            assertThrows(UnsupportedOperationException.class, DType.I16::engineType);
        }
    }

    @Test
    void scalarAndEmptyTensorsLoad() throws IOException {
        Path file = writeSamples();
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            NDArray scalar = st.toNDArray("scalar", manager);
            assertEquals(new Shape(), scalar.getShape());
            assertEquals(2.5f, scalar.getFloat());
            NDArray empty = st.toNDArray("empty", manager);
            assertEquals(new Shape(0, 3), empty.getShape());
            assertEquals(0, st.bytes("empty").remaining());
            assertEquals(1, st.info("scalar").numElements());
            assertEquals(0, st.info("empty").numElements());
        }
    }

    @Test
    void floatSourcesWriteF32AndRoundedF16() throws IOException {
        Random random = new Random(7);
        float[] values = new float[10_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * 100;
        }
        Path file = dir.resolve("floats.safetensors");
        new SafetensorsWriter()
                .add("a32", DType.F32, new long[] {100, 100}, TensorSource.ofFloats(values))
                .add("a16", DType.F16, new long[] {100, 100}, TensorSource.ofFloatsAsF16(values))
                .write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertArrayEquals(values, st.readFloats("a32"));
            float[] halves = st.readFloats("a16");
            for (int i = 0; i < values.length; i++) {
                assertEquals(
                        HalfFloats.f16ToFloat(HalfFloats.floatToF16(values[i])), halves[i], 0f);
                assertEquals(values[i], halves[i], Math.abs(values[i]) * 0x1p-11f);
            }
        }
    }

    @Test
    void ndArraysOfEveryEngineTypeRoundTrip() throws IOException {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        arrays.put("f32", manager.randomNormal(new Shape(3, 4, 5)));
        arrays.put("f16", manager.randomNormal(new Shape(7, 3)).toType(DataType.FLOAT16, false));
        arrays.put("f64", manager.randomNormal(new Shape(4)).toType(DataType.FLOAT64, false));
        arrays.put("i64", manager.arange(0L, 24L).reshape(2, 3, 4));
        arrays.put("i32", manager.arange(-5, 5).toType(DataType.INT32, false));
        arrays.put("i8", manager.arange(-5, 5).toType(DataType.INT8, false));
        arrays.put("u8", manager.arange(0, 10).toType(DataType.UINT8, false));
        arrays.put("bool", manager.create(new boolean[] {true, false, true}));
        arrays.put("transposed", manager.randomNormal(new Shape(3, 5)).transpose());
        SafetensorsWriter writer = new SafetensorsWriter();
        arrays.forEach(writer::add);
        Path file = dir.resolve("arrays.safetensors");
        writer.write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            for (Map.Entry<String, NDArray> entry : arrays.entrySet()) {
                NDArray original = entry.getValue();
                NDArray read = st.toNDArray(entry.getKey(), manager);
                assertEquals(original.getDataType(), read.getDataType(), entry.getKey());
                assertEquals(original.getShape(), read.getShape(), entry.getKey());
                assertTrue(original.contentEquals(read), entry.getKey());
            }
        }
    }

    @Test
    void ndArraySourceInSmallBlocksWritesTheSameBytes() throws IOException {
        NDArray array = manager.randomNormal(new Shape(13, 7)).transpose(); // not contiguous
        Path whole = dir.resolve("whole.safetensors");
        Path blocks = dir.resolve("blocks.safetensors");
        new SafetensorsWriter().add("x", array).write(whole);
        new SafetensorsWriter()
                .add(
                        "x",
                        DType.F32,
                        new long[] {7, 13},
                        new TensorSources.FromNDArray(array, 40)) // 10 floats per block
                .write(blocks);
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(blocks));
        try (SafetensorsFile st = SafetensorsFile.open(blocks)) {
            assertArrayEquals(array.toFloatArray(), st.readFloats("x"));
        }
    }

    @Test
    void arraysAreEngineOwnedAndOutliveTheFile() throws IOException {
        float[] values = {1, 2, 3, 4, 5, 6};
        Path file = dir.resolve("owned.safetensors");
        new SafetensorsWriter()
                .add("w", DType.F32, new long[] {2, 3}, TensorSource.ofFloats(values))
                .add(
                        "b",
                        DType.BF16,
                        new long[] {2},
                        TensorSource.of(ByteBuffer.wrap(RawFiles.shorts(0x3f80, 0x4000))))
                .write(file);
        NDArray w;
        NDArray b;
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            w = st.toNDArray("w", manager);
            b = st.toNDArray("b", manager);
        }
        Files.delete(file);
        for (int i = 0; i < 5; i++) {
            System.gc(); // would unmap any mapping an array still aliased
            byte[] garbage = new byte[8 << 20];
            garbage[i] = 1;
        }
        assertArrayEquals(values, w.toFloatArray());
        w.muli(2); // in place on engine memory: no SIGSEGV, no effect on any file
        assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, w.toFloatArray());
        assertArrayEquals(new float[] {1, 2}, b.addi(0).toFloatArray());
    }

    @Test
    void inPlaceOpsOnLoadedArraysNeverReachTheFile() throws IOException {
        Path file = dir.resolve("private.safetensors");
        new SafetensorsWriter()
                .add(
                        "w",
                        DType.F32,
                        new long[] {4},
                        TensorSource.ofFloats(new float[] {1, 2, 3, 4}))
                .write(file);
        byte[] before = Files.readAllBytes(file);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            st.toNDArray("w", manager).muli(10);
            ByteBuffer mapped = st.bytes("w");
            assertTrue(mapped.isDirect());
            assertFalse(mapped.isReadOnly());
            mapped.putFloat(0, -1f); // private (copy-on-write) mapping
            // an engine array made zero-copy from the mapping may be modified in place
            try (NDArray alias = manager.create(mapped, new Shape(4), DataType.FLOAT32)) {
                alias.muli(3);
                assertEquals(-3f, alias.getFloat(0));
            }
        }
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void unwritableFilesAreServedAsHeapCopies() throws IOException {
        Path file = writeSamples();
        try (SafetensorsFile st =
                SafetensorsFile.open(file, SafetensorsFile.DEFAULT_BLOCK_BYTES, false)) {
            ByteBuffer bytes = st.bytes("f32");
            assertFalse(bytes.isDirect()); // cannot alias a read-only mapping
            assertEquals(ByteOrder.LITTLE_ENDIAN, bytes.order());
            assertEquals(3.3f, bytes.getFloat(20));
            assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f, -0f}, st.readFloats("f16"));
            NDArray array = st.toNDArray("f32", manager);
            array.muli(2); // the engine copy is writable even though the mapping is not
            assertEquals(6.6f, array.getFloat(1, 2));
            NDArray fromBytes = manager.create(bytes, new Shape(2, 3), DataType.FLOAT32);
            fromBytes.muli(2); // DJL copied the heap buffer: safe
            assertEquals(-14.5f, fromBytes.getFloat(1, 1));
            ByteBuffer secondRow = st.rows("u8", 1, 1);
            assertFalse(secondRow.isDirect());
            assertEquals(200, secondRow.get(0) & 0xff);
            assertEquals(255, secondRow.get(1) & 0xff);
        }
    }

    @Test
    void rowsReturnsSlicesAlongTheFirstDimension() throws IOException {
        float[] values = new float[4 * 3 * 2];
        for (int i = 0; i < values.length; i++) {
            values[i] = i;
        }
        Path file = dir.resolve("rows.safetensors");
        new SafetensorsWriter()
                .add("t", DType.F32, new long[] {4, 3, 2}, TensorSource.ofFloats(values))
                .add("s", DType.F32, new long[] {}, TensorSource.ofFloats(new float[] {1}))
                .write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            ByteBuffer rows = st.rows("t", 1, 2);
            assertEquals(2 * 3 * 2 * 4, rows.remaining());
            assertEquals(6f, rows.getFloat(0));
            assertEquals(17f, rows.getFloat(rows.limit() - 4));
            assertEquals(0, st.rows("t", 4, 0).remaining());
            assertThrows(IndexOutOfBoundsException.class, () -> st.rows("t", 3, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> st.rows("t", -1, 1));
            assertThrows(IllegalArgumentException.class, () -> st.rows("s", 0, 1));
        }
    }

    @Test
    void metadataRoundTripsIncludingEscapesAndUnicode() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("quote\"and\\backslash", "line\nbreak\ttab");
        metadata.put("unicode", "Grüße 東京 \uD83D\uDE00 <&>");
        metadata.put("empty", "");
        SafetensorsWriter writer = new SafetensorsWriter();
        metadata.forEach(writer::putMetadata);
        writer.add(
                "t\u00e9\"nsor",
                DType.U8,
                new long[] {1},
                TensorSource.of(ByteBuffer.wrap(new byte[] {9})));
        Path file = dir.resolve("meta.safetensors");
        writer.write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(metadata, st.metadata());
            assertEquals(List.of("t\u00e9\"nsor"), st.names());
            assertEquals(9, st.bytes("t\u00e9\"nsor").get(0));
        }
    }

    @Test
    void filesWrittenByDjlAreReadCorrectly() throws IOException {
        // DJL's own encoder: no padding, hash-map order: an independent writer
        NDList list = new NDList();
        NDArray a = manager.randomNormal(new Shape(3, 5));
        a.setName("a");
        NDArray b = manager.arange(0L, 7L);
        b.setName("b");
        NDArray c = manager.randomNormal(new Shape(2, 2)).toType(DataType.FLOAT16, false);
        c.setName("c");
        list.add(a);
        list.add(b);
        list.add(c);
        Path file = dir.resolve("djl.safetensors");
        try (OutputStream out = Files.newOutputStream(file)) {
            list.encode(out, NDList.Encoding.SAFETENSORS);
        }
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertTrue(a.contentEquals(st.toNDArray("a", manager)));
            assertTrue(b.contentEquals(st.toNDArray("b", manager)));
            assertTrue(c.contentEquals(st.toNDArray("c", manager)));
            assertArrayEquals(a.toFloatArray(), st.readFloats("a"));
        }
    }

    @Test
    void filesWeWriteAreReadCorrectlyByDjl() throws IOException {
        // DJL's decoder aborts the JVM on BF16 and rejects I16: leave those out
        Path file = writeSamples("djl-readable.safetensors", List.of(DType.BF16, DType.I16));
        NDList decoded;
        try (InputStream in = Files.newInputStream(file)) {
            decoded = NDList.decode(manager, in);
        }
        Map<String, NDArray> byName = new LinkedHashMap<>();
        decoded.forEach(array -> byName.put(array.getName(), array));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            for (String name : List.of("f64", "f32", "f16", "i64", "i32", "i8", "u8", "bool")) {
                NDArray djl = byName.get(name);
                NDArray ours = st.toNDArray(name, manager);
                assertEquals(djl.getDataType(), ours.getDataType(), name);
                assertEquals(djl.getShape(), ours.getShape(), name);
                assertArrayEquals(
                        RawFiles.toArray(djl.toByteBuffer()),
                        RawFiles.toArray(ours.toByteBuffer()),
                        name);
            }
        }
    }

    @Test
    void closedFileRefusesReadsButEarlierBuffersStayValid() throws IOException {
        Path file = writeSamples();
        SafetensorsFile st = SafetensorsFile.open(file);
        ByteBuffer f32 = st.bytes("f32");
        st.close();
        assertThrows(IllegalStateException.class, () -> st.bytes("f32"));
        assertEquals(3.3f, f32.getFloat(20));
    }
}
