package ai.ttt.block.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference checkpoint written by Hugging Face transformers (test-fixtures/hf/llama-tiny),
 * cross-checked against DJL's own safetensors decoder.
 */
class SafetensorsFixtureTest {

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

    @Test
    void modelHeaderHasTheKnownTensors() throws IOException {
        Path file = Fixtures.get("hf/llama-tiny/model.safetensors");
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt"), st.metadata());
            assertEquals(39, st.tensors().size()); // head, embedding, 4 x 9 per layer, final norm
            TensorInfo embed = st.info("model.embed_tokens.weight");
            assertEquals(DType.F32, embed.dtype());
            assertArrayEquals(new long[] {512, 64}, embed.shape());
            assertEquals(512 * 64 * 4, embed.byteLength());
            long headerLength = Files.size(file) - 854272 - 8; // data section is 854272 bytes
            assertEquals(8 + headerLength + 131072, embed.dataOffset());
            assertArrayEquals(
                    new long[] {32, 64}, st.info("model.layers.0.self_attn.k_proj.weight").shape());
            assertArrayEquals(new long[] {64}, st.info("model.norm.weight").shape());
            assertEquals("lm_head.weight", st.names().get(0)); // header order
            assertTrue(st.contains("model.layers.3.mlp.down_proj.weight"));
            assertFalse(st.contains("model.layers.4.mlp.down_proj.weight"));
        }
    }

    @Test
    void everyModelTensorAgreesAcrossReadFloatsNDArrayAndDjlsDecoder() throws IOException {
        Path file = Fixtures.get("hf/llama-tiny/model.safetensors");
        NDList reference;
        try (InputStream in = Files.newInputStream(file)) {
            reference = NDList.decode(manager, in); // F32 only, < 2 GiB: DJL's decoder works
        }
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(reference.size(), st.tensors().size());
            for (NDArray expected : reference) {
                String name = expected.getName();
                float[] floats = st.readFloats(name);
                NDArray array = st.toNDArray(name, manager);
                assertEquals(DataType.FLOAT32, array.getDataType(), name);
                assertEquals(expected.getShape(), array.getShape(), name);
                assertArrayEquals(expected.toFloatArray(), floats, name);
                assertArrayEquals(floats, array.toFloatArray(), name);
            }
        }
    }

    @Test
    void referenceInputsAndLogits() throws IOException {
        Path file = Fixtures.get("hf/llama-tiny/reference.safetensors");
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            TensorInfo ids = st.info("input_ids");
            assertEquals(DType.I64, ids.dtype());
            assertArrayEquals(new long[] {2, 48}, ids.shape());
            NDArray idArray = st.toNDArray("input_ids", manager);
            assertEquals(DataType.INT64, idArray.getDataType());
            assertEquals(new Shape(2, 48), idArray.getShape());
            LongBuffer raw = st.bytes("input_ids").asLongBuffer();
            long[] fromBytes = new long[raw.remaining()];
            raw.get(fromBytes);
            assertArrayEquals(fromBytes, idArray.toLongArray());
            for (long id : fromBytes) {
                assertTrue(id >= 0 && id < 512, "token id " + id);
            }
            TensorInfo logits = st.info("logits");
            assertEquals(DType.F32, logits.dtype());
            assertArrayEquals(new long[] {2, 48, 512}, logits.shape());
            assertArrayEquals(
                    st.readFloats("logits"), st.toNDArray("logits", manager).toFloatArray());
            assertArrayEquals(new long[] {2, 47}, st.info("token_nll").shape());
        }
    }

    @Test
    void fixtureDirectoryOpensAsASingleFileCheckpoint() throws IOException {
        Path directory = Fixtures.get("hf/llama-tiny");
        try (Checkpoint checkpoint = Checkpoint.open(directory)) {
            assertFalse(checkpoint.isSharded());
            assertEquals(39, checkpoint.names().size());
            assertArrayEquals(
                    new long[] {512, 64}, checkpoint.info("model.embed_tokens.weight").shape());
        }
    }

    @Test
    void rewritingTheFixtureSingleAndShardedPreservesEveryTensor() throws IOException {
        Path file = Fixtures.get("hf/llama-tiny/model.safetensors");
        Path single = dir.resolve("single.safetensors");
        Path sharded = dir.resolve("sharded");
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            SafetensorsWriter writer = new SafetensorsWriter();
            st.metadata().forEach(writer::putMetadata);
            for (TensorInfo info : st.tensors()) {
                writer.add(
                        info.name(),
                        info.dtype(),
                        info.shape(),
                        TensorSource.of(st.bytes(info.name())));
            }
            writer.write(single);
            writer.writeSharded(sharded, 200_000);
            try (Checkpoint copy = Checkpoint.open(single);
                    Checkpoint shards = Checkpoint.open(sharded)) {
                assertTrue(shards.files().size() > 3);
                for (TensorInfo info : st.tensors()) {
                    String name = info.name();
                    assertArrayEquals(info.shape(), copy.info(name).shape(), name);
                    assertEquals(st.bytes(name), copy.bytes(name), name);
                    assertEquals(st.bytes(name), shards.bytes(name), name);
                }
            }
        }
    }
}
