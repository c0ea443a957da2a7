package ai.ttt.block.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The piecewise read path of {@link SafetensorsFile#toNDArray} and {@link
 * SafetensorsFile#readFloats} (used for tensors over the block size, over 2 GiB, BF16 and
 * misaligned data), driven with tiny block sizes so that every tensor is read in many blocks.
 */
class SafetensorsBlockReadTest {

    @TempDir Path dir;
    private NDManager manager;
    private Path file;

    @BeforeEach
    void writeFile() throws IOException {
        manager = NDManager.newBaseManager();
        Random random = new Random(11);
        SafetensorsWriter writer = new SafetensorsWriter();
        add(writer, random, "a.f32", DType.F32, 7, 5, 3); // aligned, mapped blocks
        add(writer, random, "b.bf16", DType.BF16, 9, 11); // widened through the staging buffer
        add(writer, random, "c.f16", DType.F16, 13, 3);
        add(writer, random, "d.i64", DType.I64, 5, 7);
        add(writer, random, "e.u8", DType.U8, 3); // 3 bytes: what follows is misaligned
        add(writer, random, "f.f32", DType.F32, 6, 4);
        add(writer, random, "g.bool", DType.BOOL, 17);
        add(writer, random, "h.f64", DType.F64, 3, 3);
        add(writer, random, "i.scalar", DType.F32);
        add(writer, random, "j.i8", DType.I8, 1001);
        file = dir.resolve("blocks.safetensors");
        writer.write(file);
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    private static void add(
            SafetensorsWriter writer, Random random, String name, DType dtype, long... shape) {
        long count = TensorInfo.elementCount(shape);
        byte[] bytes = new byte[(int) count * dtype.byteSize()];
        switch (dtype) {
            case F32:
                bytes = RawFiles.floats(randomFloats(random, (int) count));
                break;
            case F64:
                ByteBuffer doubles = ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < count; i++) {
                    doubles.putDouble(random.nextGaussian());
                }
                break;
            case F16:
                ByteBuffer halves = ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < count; i++) {
                    halves.putShort(HalfFloats.floatToF16((float) random.nextGaussian()));
                }
                break;
            case BF16:
                ByteBuffer brains = ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < count; i++) {
                    int bits = Float.floatToIntBits((float) random.nextGaussian());
                    brains.putShort((short) (bits >>> 16));
                }
                break;
            case BOOL:
                for (int i = 0; i < count; i++) {
                    bytes[i] = (byte) random.nextInt(2);
                }
                break;
            default:
                random.nextBytes(bytes);
        }
        writer.add(name, dtype, shape, TensorSource.of(ByteBuffer.wrap(bytes)));
    }

    private static float[] randomFloats(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    @Test
    void layoutCoversAlignedAndMisalignedData() throws IOException {
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(0, st.info("a.f32").dataOffset() % 4);
            assertNotEquals(0, st.info("f.f32").dataOffset() % 4);
            assertNotEquals(0, st.info("h.f64").dataOffset() % 8);
        }
    }

    @ParameterizedTest(name = "block of {0} bytes")
    @ValueSource(longs = {8, 12, 20, 64, 100, 4096})
    void blockwiseReadsEqualWholeReads(long blockBytes) throws IOException {
        try (SafetensorsFile whole = SafetensorsFile.open(file);
                SafetensorsFile blocks = SafetensorsFile.open(file, blockBytes, true)) {
            for (TensorInfo info : whole.tensors()) {
                String name = info.name();
                if (List.of(DType.F32, DType.F16, DType.BF16, DType.F64).contains(info.dtype())) {
                    assertArrayEquals(whole.readFloats(name), blocks.readFloats(name), name);
                }
                NDArray expected = whole.toNDArray(name, manager);
                NDArray actual = blocks.toNDArray(name, manager);
                assertEquals(expected.getDataType(), actual.getDataType(), name);
                assertEquals(expected.getShape(), actual.getShape(), name);
                assertArrayEquals(
                        RawFiles.toArray(expected.toByteBuffer()),
                        RawFiles.toArray(actual.toByteBuffer()),
                        name);
                if (info.dtype() != DType.BF16) {
                    // and both equal the stored bytes
                    assertArrayEquals(
                            RawFiles.toArray(whole.bytes(name)),
                            RawFiles.toArray(actual.toByteBuffer()),
                            name);
                }
            }
        }
    }

    @Test
    void bf16ThroughBlocksEqualsJavaDecoding() throws IOException {
        try (SafetensorsFile blocks = SafetensorsFile.open(file, 16, true)) {
            float[] decoded = blocks.readFloats("b.bf16");
            ByteBuffer raw = blocks.bytes("b.bf16");
            for (int i = 0; i < decoded.length; i++) {
                assertEquals(
                        (raw.getShort(2 * i) & 0xffff) << 16, Float.floatToRawIntBits(decoded[i]));
            }
            assertArrayEquals(decoded, blocks.toNDArray("b.bf16", manager).toFloatArray());
        }
    }

    @Test
    void blockwiseResultIsEngineOwned() throws IOException {
        NDArray array;
        float[] expected;
        try (SafetensorsFile blocks = SafetensorsFile.open(file, 8, true)) {
            array = blocks.toNDArray("a.f32", manager);
            expected = blocks.readFloats("a.f32");
        }
        System.gc();
        array.muli(2);
        float[] doubled = array.toFloatArray();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i] * 2, doubled[i]);
        }
    }
}
