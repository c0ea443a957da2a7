package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.Checkpoint;
import ai.ttt.block.safetensors.DType;
import ai.ttt.block.safetensors.SafetensorsWriter;
import ai.ttt.block.safetensors.TensorInfo;
import ai.ttt.block.safetensors.TensorSource;
import ai.ttt.convert.ConversionException;
import ai.ttt.convert.ConvertOptions;
import ai.ttt.convert.HfConverter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 2, acceptance 4 and 5 end to end: a sharded checkpoint converts to exactly what the single
 * file gives; BF16 and F16 checkpoints convert and load (BF16 never reaches the engine); a
 * checkpoint with a missing or an unexpected tensor is refused by name.
 */
class CheckpointFormatsTest {

    static final String FIXTURE = "hf/llama-tiny";

    @Test
    void shardedCheckpointConvertsToTheSameModel(@TempDir Path tmp) throws IOException {
        Path sharded = tmp.resolve("sharded");
        Files.createDirectories(sharded);
        Path source = Reference.dir(FIXTURE);
        Files.copy(source.resolve("config.json"), sharded.resolve("config.json"));
        try (Checkpoint ckpt = Checkpoint.open(source)) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (TensorInfo info : ckpt.tensors()) {
                w.add(
                        info.name(),
                        info.dtype(),
                        info.shape(),
                        TensorSource.of(ckpt.bytes(info.name())));
            }
            w.writeSharded(sharded, 200_000); // several shards of < 200 kB
        }
        try (Checkpoint check = Checkpoint.open(sharded)) {
            assertTrue(check.isSharded() && check.files().size() > 2, "files " + check.files());
        }
        Path fromSingle = tmp.resolve("from-single");
        Path fromShards = tmp.resolve("from-shards");
        HfConverter.convert(source, fromSingle, ConvertOptions.defaults());
        HfConverter.convert(sharded, fromShards, ConvertOptions.defaults());
        assertArrayEquals(
                Files.readAllBytes(fromSingle.resolve("model.safetensors")),
                Files.readAllBytes(fromShards.resolve("model.safetensors")));
        assertEquals(
                Files.readString(fromSingle.resolve("config.json")),
                Files.readString(fromShards.resolve("config.json")));
    }

    @Test
    void halfPrecisionCheckpointsConvertAndLoad(@TempDir Path tmp) throws Exception {
        for (DType dtype : new DType[] {DType.BF16, DType.F16}) {
            Path src = tmp.resolve(dtype.name());
            Files.createDirectories(src);
            Files.copy(Reference.dir(FIXTURE).resolve("config.json"), src.resolve("config.json"));
            try (Checkpoint ckpt = Checkpoint.open(Reference.dir(FIXTURE))) {
                SafetensorsWriter w = new SafetensorsWriter();
                for (String name : ckpt.names()) {
                    w.add(
                            name,
                            dtype,
                            ckpt.info(name).shape(),
                            TensorSource.of(encode(ckpt.readFloats(name), dtype)));
                }
                w.write(src.resolve("model.safetensors"));
            }
            Path out = tmp.resolve(dtype.name() + "-model");
            HfConverter.convert(src, out, ConvertOptions.defaults());
            try (NDManager m = NDManager.newBaseManager(Device.cpu());
                    Reference ref = new Reference(FIXTURE, m)) {
                TttLanguageModel lm =
                        ModelDirectory.load(
                                out, m, Precision.FP32, AttentionMode.FUSED.kernel(Device.cpu()));
                NDArray logits =
                        lm.forward(
                                        new ParameterStore(m, false),
                                        new NDList(ref.get("input_ids")),
                                        false)
                                .singletonOrThrow();
                float d = Reference.maxAbsDiff(logits, ref.get("logits"));
                System.out.printf(
                        "%s checkpoint: max|Δlogit| %.3e (rounding of the weights)%n", dtype, d);
                // Weights rounded to 8 (bf16) or 11 (f16) significant bits move logits a little.
                assertTrue(d < (dtype == DType.BF16 ? 0.1f : 0.01f), dtype + " " + d);
                assertTrue(d > 0, "the weights really were rounded");
            }
        }
    }

    @Test
    void missingAndUnexpectedTensorsAreNamed(@TempDir Path tmp) throws IOException {
        Path src = tmp.resolve("broken");
        Files.createDirectories(src);
        Files.copy(Reference.dir(FIXTURE).resolve("config.json"), src.resolve("config.json"));
        writeFixtureWithExtraTensor(src, "model.layers.2.mlp.up_proj.weight");
        ConversionException e =
                assertThrows(
                        ConversionException.class,
                        () ->
                                HfConverter.convert(
                                        src, tmp.resolve("out"), ConvertOptions.defaults()));
        assertTrue(
                e.getMessage().contains("missing tensor model.layers.2.mlp.up_proj.weight"),
                e.getMessage());
        assertTrue(!Files.exists(tmp.resolve("out")), "no output left behind");
        // With the missing tensor restored, the extra one is named.
        writeFixtureWithExtraTensor(src, null);
        e =
                assertThrows(
                        ConversionException.class,
                        () ->
                                HfConverter.convert(
                                        src, tmp.resolve("out"), ConvertOptions.defaults()));
        assertTrue(
                e.getMessage()
                        .contains(
                                "unexpected tensors for LlamaForCausalLM: [model.layers.2.mlp.extra.weight]"),
                e.getMessage());
    }

    private static ByteBuffer encode(float[] values, DType dtype) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            if (dtype == DType.F16) {
                b.putShort(ai.ttt.block.safetensors.HalfFloats.floatToF16(v));
            } else {
                int bits = Float.floatToIntBits(v);
                // Round to nearest even into the top 16 bits.
                int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
                b.putShort((short) (rounded >>> 16));
            }
        }
        b.flip();
        return b;
    }

    /**
     * Writes the fixture's tensors to {@code dir/model.safetensors}, leaving out {@code omit} (if
     * not null) and adding the unexpected {@code model.layers.2.mlp.extra.weight}.
     */
    private static void writeFixtureWithExtraTensor(Path dir, String omit) throws IOException {
        try (Checkpoint ckpt = Checkpoint.open(Reference.dir(FIXTURE))) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (TensorInfo info : ckpt.tensors()) {
                if (!info.name().equals(omit)) {
                    w.add(
                            info.name(),
                            info.dtype(),
                            info.shape(),
                            TensorSource.of(ckpt.bytes(info.name())));
                }
            }
            w.add(
                    "model.layers.2.mlp.extra.weight",
                    DType.F32,
                    new long[] {2},
                    TensorSource.ofFloats(new float[2]));
            w.write(dir.resolve("model.safetensors"));
        }
    }
}
