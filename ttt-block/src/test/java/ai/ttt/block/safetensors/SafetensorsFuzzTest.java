package ai.ttt.block.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.TensorNames;
import ai.ttt.block.TestModels;
import ai.ttt.block.TttConfig;
import ai.ttt.block.safetensors.SafetensorsMutator.Kind;
import ai.ttt.block.safetensors.SafetensorsMutator.Mutant;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: the safetensors reader, fuzzed. {@value #FILES} mutations of real files (one written
 * with every dtype, and a model's {@code model.safetensors}), deterministic seed. Each must either
 * be refused with a {@link SafetensorsException} whose message starts with the file, or load
 * exactly: every tensor's dtype, shape, range, bytes, engine array and floats agree with an
 * independent reading of the mutated bytes. Any other exception, or a disagreement, fails the test
 * with the seed of the file that caused it.
 */
class SafetensorsFuzzTest {

    static final int FILES = 10_000;
    static final long SEED = 14;

    @TempDir Path tmp;

    /** A file with every dtype the reader knows, an empty tensor and metadata. */
    static byte[] everyDtype(Path dir) throws IOException {
        Random r = new Random(1);
        SafetensorsWriter w = new SafetensorsWriter();
        w.putMetadata("format", "pt");
        w.putMetadata("note", "fuzz seed");
        Object[][] tensors = {
            {"f32", DType.F32, new long[] {3, 4}},
            {"f16", DType.F16, new long[] {5}},
            {"bf16", DType.BF16, new long[] {2, 3}},
            {"f64", DType.F64, new long[] {2}},
            {"i64", DType.I64, new long[] {4}},
            {"i32", DType.I32, new long[] {3}},
            {"i16", DType.I16, new long[] {2}},
            {"i8", DType.I8, new long[] {3}},
            {"u8", DType.U8, new long[] {7}},
            {"bool", DType.BOOL, new long[] {5}},
            {"empty", DType.F32, new long[] {0, 3}},
            {"scalar", DType.F32, new long[] {}},
        };
        for (Object[] t : tensors) {
            DType dtype = (DType) t[1];
            long[] shape = (long[]) t[2];
            long n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
            byte[] data = new byte[(int) (n * dtype.byteSize())];
            ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                switch (dtype) {
                    case F32:
                        b.putFloat(i * 4, (float) r.nextGaussian());
                        break;
                    case F64:
                        b.putDouble(i * 8, r.nextGaussian());
                        break;
                    case F16:
                        b.putShort(i * 2, HalfFloats.floatToF16((float) r.nextGaussian()));
                        break;
                    case BF16:
                        b.putShort(
                                i * 2,
                                (short) (Float.floatToIntBits((float) r.nextGaussian()) >>> 16));
                        break;
                    case BOOL:
                        data[i] = (byte) r.nextInt(2);
                        break;
                    default:
                        for (int k = 0; k < dtype.byteSize(); k++) {
                            data[i * dtype.byteSize() + k] = (byte) r.nextInt(256);
                        }
                }
            }
            w.add((String) t[0], dtype, shape, TensorSource.of(ByteBuffer.wrap(data)));
        }
        Path file = dir.resolve("every-dtype.safetensors");
        w.write(file);
        return Files.readAllBytes(file);
    }

    /** The weights of a small model directory, as the converters write them. */
    static byte[] modelWeights(Path dir) throws IOException {
        TttConfig config = TestModels.tiny(6, 4);
        Random random = new Random(2);
        Map<String, ModelDirectory.Tensor> tensors = new LinkedHashMap<>();
        TensorNames.expected(config)
                .forEach(
                        (name, shape) -> {
                            int n = (int) Arrays.stream(shape).reduce(1, Math::multiplyExact);
                            float[] v = new float[n];
                            for (int i = 0; i < n; i++) {
                                v[i] = (float) random.nextGaussian();
                            }
                            tensors.put(name, new ModelDirectory.Tensor(shape, () -> v));
                        });
        Path model = dir.resolve("model");
        ModelDirectory.write(
                model, config, tensors, DType.F16, Map.of("source", "fuzz"), List.of());
        return Files.readAllBytes(model.resolve("model.safetensors"));
    }

    @Test
    @Timeout(180)
    void everyMutantLoadsExactlyOrIsRefusedWithAMessage() throws IOException {
        List<byte[]> seeds = List.of(everyDtype(tmp), modelWeights(tmp));
        Random random = new Random(SEED);
        SafetensorsMutator mutator = new SafetensorsMutator(random);
        List<String> values = List.of("0", "1", "-1", "pt", "", "01", "99999999999999999999");
        Map<Kind, Integer> kinds = new EnumMap<>(Kind.class);
        int loaded = 0;
        int refused = 0;
        long start = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int i = 0; i < FILES; i++) {
                Mutant mutant = mutator.mutate(seeds.get(i % seeds.size()), values);
                mutant.kinds().forEach(k -> kinds.merge(k, 1, Integer::sum));
                Path file = tmp.resolve("mutant-" + i + ".safetensors");
                Files.write(file, mutant.bytes());
                String what = "mutant " + i + " " + mutant.kinds();
                try (NDManager scratch = manager.newSubManager();
                        SafetensorsFile f = SafetensorsFile.open(file)) {
                    // Loading a file means opening it and reading every tensor.
                    assertExact(f, mutant.bytes(), scratch, what);
                    loaded++;
                } catch (SafetensorsException e) {
                    assertTrue(e.getMessage().startsWith(file + ": "), what + ": " + e);
                    assertEquals(-1, e.getMessage().indexOf('\n'), what + ": " + e);
                    refused++;
                } catch (RuntimeException | IOException | Error e) {
                    throw new AssertionError(what + " escaped with " + e, e);
                } finally {
                    Files.delete(file);
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                "safetensors fuzz: %,d mutants (%,d loaded exactly, %,d refused) in %.1f s;"
                        + " mutations %s%n",
                FILES, loaded, refused, seconds, kinds);
        assertEquals(FILES, loaded + refused);
        assertTrue(loaded > FILES / 20, "enough mutants stay valid to test exact loading");
    }

    /** Checks what the reader says against an independent reading of the bytes. */
    static void assertExact(SafetensorsFile f, byte[] bytes, NDManager manager, String what)
            throws IOException {
        ByteBuffer all = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = all.getLong(0);
        long dataStart = 8 + headerLength;
        JsonObject header =
                JsonParser.parseString(
                                new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8))
                        .getAsJsonObject();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                e.getValue()
                        .getAsJsonObject()
                        .entrySet()
                        .forEach(m -> metadata.put(m.getKey(), m.getValue().getAsString()));
            } else {
                names.add(e.getKey());
            }
        }
        assertEquals(names, f.names(), what);
        assertEquals(metadata, f.metadata(), what);
        for (String name : names) {
            JsonObject entry = header.getAsJsonObject(name);
            TensorInfo info = f.info(name);
            assertEquals(entry.get("dtype").getAsString(), info.dtype().safetensorsName(), what);
            long[] shape = new long[entry.getAsJsonArray("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = entry.getAsJsonArray("shape").get(i).getAsLong();
            }
            assertArrayEquals(shape, info.shape(), what);
            long begin = entry.getAsJsonArray("data_offsets").get(0).getAsLong();
            long end = entry.getAsJsonArray("data_offsets").get(1).getAsLong();
            assertEquals(dataStart + begin, info.dataOffset(), what);
            assertEquals(end - begin, info.byteLength(), what);
            byte[] raw =
                    Arrays.copyOfRange(bytes, (int) (dataStart + begin), (int) (dataStart + end));
            ByteBuffer view = f.bytes(name);
            byte[] viewed = new byte[view.remaining()];
            view.get(viewed);
            assertArrayEquals(raw, viewed, what + " " + name + " bytes");
            if (info.dtype() == DType.I16) {
                continue; // no engine type: bytes() is the way to read it
            }
            NDArray array = f.toNDArray(name, manager);
            assertEquals(info.djlShape(), array.getShape(), what);
            if (info.dtype() == DType.BF16) {
                float[] widened = array.toFloatArray();
                ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < widened.length; i++) {
                    assertEquals(
                            (b.getShort(i * 2) & 0xffff) << 16,
                            Float.floatToRawIntBits(widened[i]),
                            what + " " + name + "[" + i + "]");
                }
            } else {
                assertArrayEquals(raw, array.toByteArray(), what + " " + name + " engine array");
            }
            if (info.dtype() == DType.F32 || info.dtype() == DType.F16) {
                float[] floats = f.readFloats(name);
                ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < floats.length; i++) {
                    float expected =
                            info.dtype() == DType.F32
                                    ? b.getFloat(i * 4)
                                    : HalfFloats.f16ToFloat(b.getShort(i * 2));
                    assertEquals(
                            Float.floatToIntBits(expected),
                            Float.floatToIntBits(floats[i]),
                            what + " " + name + " float " + i);
                }
            }
        }
    }
}
