package ai.ttt.block.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Single-file and sharded checkpoints: sharded writing, reading back, and index validation. */
class SafetensorsCheckpointTest {

    @TempDir Path dir;

    /** Twelve tensors of 40 to 480 bytes, values derived from the name. */
    private static Map<String, float[]> tensors() {
        Map<String, float[]> tensors = new LinkedHashMap<>();
        for (int layer = 11; layer >= 0; layer--) {
            float[] values = new float[10 * (layer + 1)];
            for (int i = 0; i < values.length; i++) {
                values[i] = layer * 1000 + i;
            }
            tensors.put("layers." + layer + ".weight", values);
        }
        return tensors;
    }

    private static SafetensorsWriter writer() {
        SafetensorsWriter writer = new SafetensorsWriter().putMetadata("format", "pt");
        tensors()
                .forEach(
                        (name, values) ->
                                writer.add(
                                        name,
                                        DType.F32,
                                        new long[] {values.length / 10, 10},
                                        TensorSource.ofFloats(values)));
        return writer;
    }

    @Test
    void shardedWriteReadsBackIdentically() throws IOException {
        Path model = dir.resolve("model");
        writer().writeSharded(model, 1000);

        List<String> files;
        try (Stream<Path> list = Files.list(model)) {
            files = list.map(p -> p.getFileName().toString()).sorted().toList();
        }
        int shardCount = files.size() - 1;
        assertTrue(shardCount > 3, "expected several shards: " + files);
        for (int i = 1; i <= shardCount; i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i, shardCount);
            assertTrue(files.contains(name), name);
            try (SafetensorsFile shard = SafetensorsFile.open(model.resolve(name))) {
                long data = shard.tensors().stream().mapToLong(TensorInfo::byteLength).sum();
                assertTrue(data <= 1000 || shard.tensors().size() == 1, name + ": " + data);
                assertEquals(Map.of("format", "pt"), shard.metadata());
            }
        }
        assertTrue(files.contains(Checkpoint.INDEX_FILE_NAME));

        long totalBytes = tensors().values().stream().mapToLong(v -> 4L * v.length).sum();
        JsonObject index =
                JsonParser.parseString(Files.readString(model.resolve(Checkpoint.INDEX_FILE_NAME)))
                        .getAsJsonObject();
        assertEquals(totalBytes, index.getAsJsonObject("metadata").get("total_size").getAsLong());
        List<String> mapped = new ArrayList<>(index.getAsJsonObject("weight_map").keySet());
        assertEquals(mapped.stream().sorted().toList(), mapped, "weight_map must be sorted");

        try (Checkpoint checkpoint = Checkpoint.open(model);
                NDManager manager = NDManager.newBaseManager()) {
            assertTrue(checkpoint.isSharded());
            assertEquals(shardCount, checkpoint.files().size());
            assertEquals(String.valueOf(totalBytes), checkpoint.metadata().get("total_size"));
            assertEquals("pt", checkpoint.metadata().get("format"));
            assertEquals(tensors().keySet().stream().sorted().toList(), checkpoint.names());
            for (Map.Entry<String, float[]> entry : tensors().entrySet()) {
                String name = entry.getKey();
                assertTrue(checkpoint.contains(name));
                assertArrayEquals(entry.getValue(), checkpoint.readFloats(name), name);
                NDArray array = checkpoint.toNDArray(name, manager);
                assertEquals(DataType.FLOAT32, array.getDataType());
                assertArrayEquals(entry.getValue(), array.toFloatArray(), name);
                assertEquals(4L * entry.getValue().length, checkpoint.bytes(name).remaining());
                assertEquals(40, checkpoint.rows(name, 0, 1).remaining());
                TensorInfo info = checkpoint.info(name);
                assertEquals(
                        index.getAsJsonObject("weight_map").get(name).getAsString(),
                        info.file().getFileName().toString());
            }
            assertEquals(12, checkpoint.tensors().size());
            SafetensorsException e =
                    assertThrows(SafetensorsException.class, () -> checkpoint.info("nope"));
            assertTrue(e.getMessage().contains("no tensor named 'nope'"), e.getMessage());
        }
        // opening the index file itself works too
        try (Checkpoint checkpoint = Checkpoint.open(model.resolve(Checkpoint.INDEX_FILE_NAME))) {
            assertEquals(12, checkpoint.names().size());
        }
    }

    @Test
    void shardedWriteWithTheDefaultSizeMakesOneShard() throws IOException {
        Path model = dir.resolve("model");
        writer().writeSharded(model);
        assertTrue(Files.exists(model.resolve("model-00001-of-00001.safetensors")));
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            assertEquals(1, checkpoint.files().size());
            assertEquals(12, checkpoint.names().size());
        }
    }

    @Test
    void singleFileCheckpointsOpenFromDirectoryOrFile() throws IOException {
        Path model = Files.createDirectory(dir.resolve("single"));
        writer().write(model.resolve(Checkpoint.SINGLE_FILE_NAME));
        try (Checkpoint fromDirectory = Checkpoint.open(model);
                Checkpoint fromFile = Checkpoint.open(model.resolve(Checkpoint.SINGLE_FILE_NAME))) {
            for (Checkpoint checkpoint : List.of(fromDirectory, fromFile)) {
                assertFalse(checkpoint.isSharded());
                assertEquals(Map.of("format", "pt"), checkpoint.metadata());
                assertEquals(12, checkpoint.names().size());
                assertArrayEquals(
                        tensors().get("layers.3.weight"), checkpoint.readFloats("layers.3.weight"));
            }
        }
    }

    @Test
    void missingShardFileIsNamed() throws IOException {
        Path model = sharded();
        Files.delete(model.resolve("model-00002-of-00003.safetensors"));
        assertIndexError(model, "shard file 'model-00002-of-00003.safetensors'", "does not exist");
    }

    @Test
    void tensorListedInTheIndexButMissingFromItsShard() throws IOException {
        Path model = sharded();
        editWeightMap(model, map -> map.addProperty("ghost", "model-00001-of-00003.safetensors"));
        assertIndexError(
                model,
                "tensor 'ghost' is listed in the index but missing from shard"
                        + " 'model-00001-of-00003.safetensors'");
    }

    @Test
    void tensorInAShardButNotListedInTheIndex() throws IOException {
        Path model = sharded();
        editWeightMap(model, map -> map.remove("layers.0.weight"));
        assertIndexError(
                model,
                "tensor 'layers.0.weight' is present in shard",
                "but not listed in the index");
    }

    @Test
    void tensorListedInTheWrongShard() throws IOException {
        Path model = sharded();
        editWeightMap(
                model,
                map -> map.addProperty("layers.0.weight", "model-00003-of-00003.safetensors"));
        assertIndexError(
                model,
                "tensor 'layers.0.weight' is present in shard 'model-00001-of-00003.safetensors'"
                        + " but the index lists it in 'model-00003-of-00003.safetensors'");
    }

    @Test
    void duplicateTensorAcrossShards() throws IOException {
        Path model = Files.createDirectory(dir.resolve("dup"));
        float[] one = {1};
        new SafetensorsWriter()
                .add("a", DType.F32, new long[] {1}, TensorSource.ofFloats(one))
                .add("x", DType.F32, new long[] {1}, TensorSource.ofFloats(one))
                .write(model.resolve("s1.safetensors"));
        new SafetensorsWriter()
                .add("b", DType.F32, new long[] {1}, TensorSource.ofFloats(one))
                .add("x", DType.F32, new long[] {1}, TensorSource.ofFloats(one))
                .write(model.resolve("s2.safetensors"));
        Files.writeString(
                model.resolve(Checkpoint.INDEX_FILE_NAME),
                "{\"metadata\":{},\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\","
                        + "\"x\":\"s1.safetensors\"}}");
        assertIndexError(
                model,
                "tensor 'x' is present in two shards: 's1.safetensors' and 's2.safetensors'");
    }

    @Test
    void malformedIndexes() throws IOException {
        Path model = sharded();
        Path index = model.resolve(Checkpoint.INDEX_FILE_NAME);
        Files.writeString(index, "{\"weight_map\": ");
        assertIndexError(model, "index is not valid JSON");
        Files.writeString(index, "[]");
        assertIndexError(model, "index must be a JSON object, found an array");
        Files.writeString(index, "{\"metadata\":{}}");
        assertIndexError(model, "index has no \"weight_map\"");
        Files.writeString(index, "{\"weight_map\":{\"a\":1}}");
        assertIndexError(model, "weight_map must map strings to strings, but key 'a' has a number");
        Files.writeString(
                index,
                "{\"weight_map\":{\"a\":\"model-00001-of-00003.safetensors\","
                        + "\"a\":\"model-00002-of-00003.safetensors\"}}");
        assertIndexError(model, "weight_map has duplicate key 'a'");
        Files.writeString(index, "{\"metadata\":[],\"weight_map\":{}}");
        assertIndexError(model, "index \"metadata\" must be a JSON object, found an array");
        Files.writeString(index, "{\"weight_map\":{\"a\":\"../elsewhere.safetensors\"}}");
        assertIndexError(model, "'../elsewhere.safetensors', which is outside the checkpoint");
        Files.write(index, new byte[] {'{', (byte) 0xc3, '}'});
        assertIndexError(model, "index is not valid UTF-8");
    }

    @Test
    void defectiveShardIsReportedWithTheShardsName() throws IOException {
        Path model = sharded();
        Path shard = model.resolve("model-00002-of-00003.safetensors");
        Files.write(shard, new byte[3]);
        SafetensorsException e =
                assertThrows(SafetensorsException.class, () -> Checkpoint.open(model).close());
        assertEquals(shard, e.file());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void directoriesWithoutOrWithTwoCheckpoints() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        SafetensorsException none =
                assertThrows(SafetensorsException.class, () -> Checkpoint.open(empty));
        assertEquals(empty, none.file());
        assertTrue(none.getMessage().contains("no checkpoint"), none.getMessage());

        Path both = sharded();
        writer().write(both.resolve(Checkpoint.SINGLE_FILE_NAME));
        SafetensorsException ambiguous =
                assertThrows(SafetensorsException.class, () -> Checkpoint.open(both));
        assertTrue(ambiguous.getMessage().contains("ambiguous"), ambiguous.getMessage());

        Path missing = dir.resolve("missing.safetensors");
        SafetensorsException absent =
                assertThrows(SafetensorsException.class, () -> Checkpoint.open(missing));
        assertTrue(absent.getMessage().contains("does not exist"), absent.getMessage());
    }

    @Test
    void reservedTotalSizeAndBadShardSizeAreRejected() {
        Path model = dir.resolve("m");
        assertThrows(IllegalArgumentException.class, () -> writer().writeSharded(model, 0));
        SafetensorsWriter withTotal = writer().putMetadata("total_size", "1");
        assertThrows(IllegalArgumentException.class, () -> withTotal.writeSharded(model, 100));
        assertFalse(Files.exists(model));
    }

    /** A three-shard checkpoint (shards of at most 1300 bytes). */
    private Path sharded() throws IOException {
        Path model = dir.resolve("sharded");
        writer().writeSharded(model, 1300);
        try (Stream<Path> list = Files.list(model)) {
            assertEquals(
                    List.of(
                            "model-00001-of-00003.safetensors",
                            "model-00002-of-00003.safetensors",
                            "model-00003-of-00003.safetensors",
                            Checkpoint.INDEX_FILE_NAME),
                    list.map(p -> p.getFileName().toString())
                            .sorted()
                            .collect(Collectors.toList()));
        }
        return model;
    }

    private static void editWeightMap(Path model, java.util.function.Consumer<JsonObject> edit)
            throws IOException {
        Path index = model.resolve(Checkpoint.INDEX_FILE_NAME);
        JsonObject json = JsonParser.parseString(Files.readString(index)).getAsJsonObject();
        edit.accept(json.getAsJsonObject("weight_map"));
        Files.write(index, json.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void assertIndexError(Path model, String... fragments) {
        Path index = model.resolve(Checkpoint.INDEX_FILE_NAME);
        SafetensorsException e =
                assertThrows(SafetensorsException.class, () -> Checkpoint.open(model).close());
        assertEquals(index, e.file());
        assertTrue(e.getMessage().startsWith(index + ": "), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in " + e);
        }
    }
}
