package ai.ttt.block.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
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
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer's byte layout, determinism, validation and atomicity. */
class SafetensorsWriterTest {

    @TempDir Path dir;

    private static SafetensorsWriter scrambled(boolean reverse) {
        List<String> names = new ArrayList<>(List.of("zeta", "alpha", "mid.1", "mid.10", "mid.2"));
        if (reverse) {
            java.util.Collections.reverse(names);
        }
        SafetensorsWriter writer = new SafetensorsWriter();
        for (String name : names) {
            int n = name.length(); // odd byte counts exercise the padding
            writer.add(
                    name,
                    DType.U8,
                    new long[] {n},
                    TensorSource.of(ByteBuffer.wrap(name.getBytes(StandardCharsets.UTF_8))));
        }
        writer.putMetadata("z", "last").putMetadata("a", "first");
        return writer;
    }

    @Test
    void headerIsSortedMetadataFirstPaddedToEightAndDataFollowsInTheSameOrder() throws IOException {
        Path file = dir.resolve("layout.safetensors");
        scrambled(false).write(file);
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "data must start 8-byte aligned");
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        String json = header.stripTrailing();
        assertTrue(json.endsWith("}"));
        assertTrue(header.substring(json.length()).chars().allMatch(c -> c == ' '));
        assertTrue(header.length() - json.length() < 8);

        JsonObject parsed = JsonParser.parseString(json).getAsJsonObject();
        List<String> keys = new ArrayList<>(parsed.keySet());
        assertEquals(List.of("__metadata__", "alpha", "mid.1", "mid.10", "mid.2", "zeta"), keys);
        assertEquals(
                List.of("a", "z"),
                new ArrayList<>(parsed.getAsJsonObject("__metadata__").keySet()));
        long expectedBegin = 0;
        int dataStart = 8 + (int) headerLength;
        for (String name : keys.subList(1, keys.size())) {
            JsonArray offsets = parsed.getAsJsonObject(name).getAsJsonArray("data_offsets");
            assertEquals(expectedBegin, offsets.get(0).getAsLong(), name);
            long end = offsets.get(1).getAsLong();
            String stored =
                    new String(
                            bytes,
                            dataStart + (int) expectedBegin,
                            (int) (end - expectedBegin),
                            StandardCharsets.UTF_8);
            assertEquals(name, stored);
            expectedBegin = end;
        }
        assertEquals(bytes.length, dataStart + expectedBegin, "no trailing bytes");
    }

    @Test
    void exactBytesOfASmallFile() throws IOException {
        Path file = dir.resolve("exact.safetensors");
        new SafetensorsWriter()
                .putMetadata("format", "pt")
                .add("x", DType.F32, new long[] {1}, TensorSource.ofFloats(new float[] {1f}))
                .write(file);
        String json =
                "{\"__metadata__\":{\"format\":\"pt\"},"
                        + "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        int padded = (json.length() + 7) / 8 * 8;
        ByteBuffer expected = ByteBuffer.allocate(8 + padded + 4).order(ByteOrder.LITTLE_ENDIAN);
        expected.putLong(padded).put(json.getBytes(StandardCharsets.UTF_8));
        while (expected.position() < 8 + padded) {
            expected.put((byte) ' ');
        }
        expected.putFloat(1f);
        assertArrayEquals(expected.array(), Files.readAllBytes(file));
    }

    @Test
    void outputIsDeterministicWhateverTheAddOrder() throws IOException {
        Path first = dir.resolve("a.safetensors");
        Path second = dir.resolve("b.safetensors");
        Path third = dir.resolve("c.safetensors");
        scrambled(false).write(first);
        scrambled(true).write(second);
        SafetensorsWriter again = scrambled(false);
        again.write(third);
        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(third));
        again.write(third); // a writer can write twice
        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(third));
    }

    @Test
    void noMetadataMeansNoMetadataEntry() throws IOException {
        Path file = dir.resolve("plain.safetensors");
        new SafetensorsWriter()
                .add(
                        "x",
                        DType.U8,
                        new long[] {1},
                        TensorSource.of(ByteBuffer.wrap(new byte[] {1})))
                .write(file);
        String header = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        assertFalse(header.contains("__metadata__"));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertTrue(st.metadata().isEmpty());
        }
    }

    @Test
    void addRejectsBadTensors() {
        SafetensorsWriter writer = new SafetensorsWriter();
        TensorSource four = TensorSource.ofFloats(new float[] {1, 2, 3, 4});
        writer.add("w", DType.F32, new long[] {2, 2}, four);
        assertMessage(
                "tensor 'w' was already added",
                () -> writer.add("w", DType.F32, new long[] {2, 2}, four));
        assertMessage(
                "'__metadata__' is reserved",
                () -> writer.add("__metadata__", DType.F32, new long[] {2, 2}, four));
        assertMessage(
                "must not be empty", () -> writer.add("", DType.F32, new long[] {2, 2}, four));
        assertMessage(
                "tensor 'v': the source has 16 bytes but F32 [3] needs 12",
                () -> writer.add("v", DType.F32, new long[] {3}, four));
        assertMessage(
                "tensor 'v': the source has 16 bytes but F16 [4] needs 8",
                () -> writer.add("v", DType.F16, new long[] {4}, four));
        assertMessage(
                "tensor 'h' is declared F32 but its source holds F16",
                () ->
                        writer.add(
                                "h",
                                DType.F32,
                                new long[] {2},
                                TensorSource.ofFloatsAsF16(new float[] {1, 2, 3, 4})));
        assertMessage(
                "negative dimension or overflows",
                () -> writer.add("n", DType.F32, new long[] {-1, 4}, four));
        assertMessage(
                "negative dimension or overflows",
                () ->
                        writer.add(
                                "o",
                                DType.F64,
                                new long[] {1L << 31, 1L << 31, 1L << 2},
                                TensorSource.of(1, out -> {})));
        assertMessage("no safetensors dtype", () -> DType.fromEngineType(DataType.STRING));
        assertMessage("no safetensors dtype", () -> DType.fromEngineType(DataType.BFLOAT16));
        assertEquals(List.of("w"), writer.names());
    }

    @Test
    void sourceWritingTooFewBytesFailsAndLeavesNothingBehind() throws IOException {
        Path target = dir.resolve("short.safetensors");
        SafetensorsWriter writer =
                new SafetensorsWriter()
                        .add(
                                "liar",
                                DType.F32,
                                new long[] {4},
                                TensorSource.of(
                                        16, out -> out.write(ByteBuffer.wrap(new byte[12]))));
        SafetensorsException e =
                assertThrows(SafetensorsException.class, () -> writer.write(target));
        assertEquals(target.toAbsolutePath(), e.file().toAbsolutePath());
        assertTrue(
                e.getMessage().contains("tensor 'liar': its source wrote 12 bytes, expected 16"),
                e.getMessage());
        assertFalse(Files.exists(target));
        assertDirectoryHolds();
    }

    @Test
    void sourceWritingTooManyBytesFails() {
        Path target = dir.resolve("long.safetensors");
        SafetensorsWriter writer =
                new SafetensorsWriter()
                        .add(
                                "greedy",
                                DType.U8,
                                new long[] {2},
                                TensorSource.of(2, out -> out.write(ByteBuffer.wrap(new byte[3]))));
        SafetensorsException e =
                assertThrows(SafetensorsException.class, () -> writer.write(target));
        assertTrue(e.getMessage().contains("wrote 3 bytes, expected 2"), e.getMessage());
        assertFalse(Files.exists(target));
    }

    @Test
    void failureMidWriteLeavesTheExistingTargetUntouched() throws IOException {
        Path target = dir.resolve("model.safetensors");
        new SafetensorsWriter()
                .add("w", DType.F32, new long[] {1}, TensorSource.ofFloats(new float[] {42f}))
                .write(target);
        byte[] before = Files.readAllBytes(target);
        SafetensorsWriter failing =
                new SafetensorsWriter()
                        .add("a", DType.U8, new long[] {4}, TensorSource.of(ByteBuffer.allocate(4)))
                        .add(
                                "b",
                                DType.U8,
                                new long[] {1 << 20},
                                TensorSource.of(
                                        1 << 20,
                                        out -> {
                                            out.write(ByteBuffer.allocate(1000));
                                            throw new IOException("disk on fire");
                                        }));
        IOException e = assertThrows(IOException.class, () -> failing.write(target));
        assertEquals("disk on fire", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(target));
        assertDirectoryHolds("model.safetensors");
    }

    @Test
    void replacingAFileDoesNotDisturbReadersOfTheOldOne() throws IOException {
        Path target = dir.resolve("model.safetensors");
        new SafetensorsWriter()
                .add("w", DType.F32, new long[] {2}, TensorSource.ofFloats(new float[] {1, 2}))
                .write(target);
        try (SafetensorsFile old = SafetensorsFile.open(target)) {
            ByteBuffer oldBytes = old.bytes("w");
            new SafetensorsWriter()
                    .add("w", DType.F32, new long[] {2}, TensorSource.ofFloats(new float[] {7, 8}))
                    .write(target);
            assertEquals(2f, oldBytes.getFloat(4)); // the old inode is still mapped
            assertArrayEquals(new float[] {1, 2}, old.readFloats("w"));
        }
        try (SafetensorsFile fresh = SafetensorsFile.open(target)) {
            assertArrayEquals(new float[] {7, 8}, fresh.readFloats("w"));
        }
    }

    @Test
    void writtenFilesGetDefaultPermissionsAndParentsAreCreated() throws IOException {
        Path target = dir.resolve("sub/dir/model.safetensors");
        new SafetensorsWriter()
                .add("w", DType.U8, new long[] {1}, TensorSource.of(ByteBuffer.allocate(1)))
                .write(target);
        Path reference = Files.createFile(dir.resolve("sub/dir/reference"));
        assertEquals(
                Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(target));
    }

    @Test
    void streamedSourcesCanProduceDataInPieces() throws IOException {
        int rows = 1000;
        int columns = 257;
        Path target = dir.resolve("streamed.safetensors");
        new SafetensorsWriter()
                .add(
                        "big",
                        DType.F32,
                        new long[] {rows, columns},
                        TensorSource.of(
                                4L * rows * columns,
                                out -> {
                                    ByteBuffer row =
                                            ByteBuffer.allocate(4 * columns)
                                                    .order(ByteOrder.LITTLE_ENDIAN);
                                    for (int r = 0; r < rows; r++) {
                                        row.clear();
                                        for (int c = 0; c < columns; c++) {
                                            row.putFloat(r * 1000f + c);
                                        }
                                        row.flip();
                                        while (row.hasRemaining()) {
                                            out.write(row);
                                        }
                                    }
                                }))
                .write(target);
        try (SafetensorsFile st = SafetensorsFile.open(target)) {
            float[] values = st.readFloats("big");
            assertEquals(999_256f, values[values.length - 1]);
            assertEquals(1000f, values[columns]);
        }
    }

    private void assertDirectoryHolds(String... names) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            String[] present =
                    files.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
            assertArrayEquals(
                    Arrays.stream(names).sorted().toArray(), present, "temporary files left");
        }
    }

    private static void assertMessage(String fragment, Runnable action) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}
