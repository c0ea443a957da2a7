package ai.ttt.block.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of damaged file is rejected at open with a {@link SafetensorsException} that names the
 * file, the defect and the tensor; none crashes the JVM or is read silently.
 */
class SafetensorsCorruptFileTest {

    @TempDir Path dir;

    /** A valid entry for tensor {@code w}: F32 [2, 2] in 16 bytes. */
    private static final String GOOD_W =
            "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}";

    private static final byte[] SIXTEEN = new byte[16];

    static Stream<Arguments> corruptHeaders() {
        return Stream.of(
                bad("{not json", SIXTEEN, "header is not valid JSON"),
                bad("{" + GOOD_W + ",}", SIXTEEN, "header is not valid JSON"),
                bad("{'w':{}}", SIXTEEN, "header is not valid JSON"),
                bad("{" + GOOD_W + "} {}", SIXTEEN, "not valid JSON"),
                bad("{" + GOOD_W + "} x", SIXTEEN, "not valid JSON"),
                bad("[1, 2]", SIXTEEN, "header must be a JSON object, found an array"),
                bad("\"w\"", SIXTEEN, "header must be a JSON object, found a string"),
                bad(
                        "{\"w\":5}",
                        SIXTEEN,
                        "tensor 'w': entry must be a JSON object, found a number"),
                bad(
                        "{\"w\":{\"shape\":[2,2],\"data_offsets\":[0,16]}}",
                        SIXTEEN,
                        "tensor 'w': entry has no \"dtype\""),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}",
                        SIXTEEN,
                        "tensor 'w': entry has no \"shape\""),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2]}}",
                        SIXTEEN,
                        "tensor 'w': entry has no \"data_offsets\""),
                bad(
                        "{\"w\":{\"dtype\":32,\"shape\":[2,2],\"data_offsets\":[0,16]}}",
                        SIXTEEN,
                        "tensor 'w': \"dtype\" must be a string, found a number"),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":\"2x2\",\"data_offsets\":[0,16]}}",
                        SIXTEEN,
                        "tensor 'w': shape must be an array of integers, found a string"),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2.5],\"data_offsets\":[0,16]}}",
                        SIXTEEN,
                        "tensor 'w': shape[1] must be an integer, found 2.5"),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,\"2\"],\"data_offsets\":[0,16]}}",
                        SIXTEEN,
                        "tensor 'w': shape[1] must be an integer, found a string"),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,\"16\"]}}",
                        SIXTEEN,
                        "tensor 'w': data_offsets[1] must be an integer, found a string"),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],"
                                + "\"data_offsets\":[0,99999999999999999999]}}",
                        SIXTEEN,
                        "tensor 'w': data_offsets[1] 99999999999999999999 does not fit in 64 bits"),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2,2],"
                                + "\"data_offsets\":[0,16]}}",
                        SIXTEEN,
                        "tensor 'w': entry has \"dtype\" twice"),
                bad(
                        "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2,2],\"data_offsets\":[0,4]}}",
                        SIXTEEN,
                        "tensor 'w': unknown or unsupported dtype \"F8_E4M3\""),
                bad(
                        "{\"w\":{\"dtype\":\"f32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}",
                        SIXTEEN,
                        "tensor 'w': unknown or unsupported dtype \"f32\""),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2,2],\"data_offsets\":[0,16]}}",
                        SIXTEEN,
                        "tensor 'w': shape [-2, 2] has a negative dimension -2"),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[-4,12]}}",
                        SIXTEEN,
                        "tensor 'w': negative data_offsets [-4, 12]"),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[16,0]}}",
                        SIXTEEN,
                        "tensor 'w': data_offsets [16, 0] end before begin"),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16,32]}}",
                        SIXTEEN,
                        "tensor 'w': data_offsets must be [begin, end], found 3 values"),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]}}",
                        SIXTEEN,
                        "tensor 'w': data_offsets [8, 24] run past the end of the data section"
                                + " (16 bytes)"),
                bad("{" + GOOD_W + "}", new byte[12], "tensor 'w': data_offsets [0, 16] run past"),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}",
                        SIXTEEN,
                        "tensor 'w': data_offsets [0, 12] hold 12 bytes but F32 [2, 2] needs 16"),
                bad(
                        "{\"w\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],"
                                + "\"data_offsets\":[0,16]}}",
                        SIXTEEN,
                        "tensor 'w': F64 [4294967296, 4294967296] needs more than 2^63 bytes"),
                bad(
                        "{\"w\":{\"dtype\":\"U8\",\"shape\":[3037000500,3037000500],"
                                + "\"data_offsets\":[0,16]}}",
                        SIXTEEN,
                        "needs more than 2^63 bytes (overflow)"),
                bad(
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
                        SIXTEEN,
                        "tensors 'a' [0, 12) and 'b' [8, 16) overlap"),
                bad(
                        "{\"b\":{\"dtype\":\"U8\",\"shape\":[16],\"data_offsets\":[0,16]},"
                                + "\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}",
                        SIXTEEN,
                        "tensors 'b' [0, 16) and 'a' [4, 6) overlap"),
                bad("{" + GOOD_W + "," + GOOD_W + "}", SIXTEEN, "header has tensor 'w' twice"),
                // Issue 14 (item 8): junk after the data section was accepted.
                bad(
                        "{" + GOOD_W + "}",
                        new byte[20],
                        "4 bytes follow the last tensor's data (the data section is 20 bytes, the"
                                + " tensors end at 16); junk appended to the file?"),
                bad(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[4,20]}}",
                        new byte[20],
                        "bytes [0, 4) of the data section belong to no tensor (before 'w')"),
                bad(
                        "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                                + "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[8,16]}}",
                        SIXTEEN,
                        "bytes [4, 8) of the data section belong to no tensor (before 'b')"),
                bad("{}", new byte[3], "3 bytes follow the last tensor's data"),
                bad(
                        "{\"__metadata__\":\"pt\"," + GOOD_W + "}",
                        SIXTEEN,
                        "__metadata__ must be a JSON object, found a string"),
                bad(
                        "{\"__metadata__\":{\"format\":\"pt\",\"step\":5}," + GOOD_W + "}",
                        SIXTEEN,
                        "__metadata__ must map strings to strings, but key 'step' has a number value"),
                bad(
                        "{\"__metadata__\":{\"k\":{\"x\":\"y\"}}," + GOOD_W + "}",
                        SIXTEEN,
                        "key 'k' has an object value"),
                bad(
                        "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}," + GOOD_W + "}",
                        SIXTEEN,
                        "__metadata__ has duplicate key 'k'"),
                bad(
                        "{\"__metadata__\":{},\"__metadata__\":{}," + GOOD_W + "}",
                        SIXTEEN,
                        "header has __metadata__ twice"));
    }

    private static Arguments bad(String header, byte[] data, String defect) {
        return Arguments.of(header, data, defect);
    }

    @ParameterizedTest(name = "[{index}] {2}")
    @MethodSource("corruptHeaders")
    void corruptHeaderIsRejectedNamingFileAndDefect(String header, byte[] data, String defect)
            throws IOException {
        Path file = RawFiles.write(dir.resolve("corrupt.safetensors"), header, data);
        assertRejected(file, defect);
    }

    @Test
    void fileShorterThanTheLengthFieldIsTruncated() throws IOException {
        Path empty = Files.write(dir.resolve("empty.safetensors"), new byte[0]);
        assertRejected(empty, "truncated: the file is 0 bytes, shorter than the 8-byte header");
        Path seven = Files.write(dir.resolve("seven.safetensors"), new byte[7]);
        assertRejected(seven, "truncated: the file is 7 bytes");
    }

    @Test
    void hugeHeaderLengthsAreAbsurd() throws IOException {
        byte[] header = "{}".getBytes(StandardCharsets.UTF_8);
        Path unsigned = RawFiles.write(dir.resolve("u64.safetensors"), -2L, header, new byte[0]);
        assertRejected(unsigned, "header length 18446744073709551614 is absurd");
        Path big = RawFiles.write(dir.resolve("big.safetensors"), 200L << 20, header, new byte[0]);
        assertRejected(big, "header length 209715200 is absurd");
    }

    @Test
    void headerLengthPastEndOfFile() throws IOException {
        byte[] header = "{}".getBytes(StandardCharsets.UTF_8);
        Path file = RawFiles.write(dir.resolve("short.safetensors"), 100, header, new byte[0]);
        assertRejected(file, "header length 100 runs past the end of the file (10 bytes)");
    }

    @Test
    void zeroHeaderLength() throws IOException {
        Path file = RawFiles.write(dir.resolve("zero.safetensors"), 0, new byte[0], SIXTEEN);
        assertRejected(file, "header is empty (header length 0)");
    }

    @Test
    void headerThatIsNotUtf8() throws IOException {
        byte[] header = {'{', '"', (byte) 0xff, (byte) 0xfe, '"', ':', '1', '}'};
        Path file =
                RawFiles.write(dir.resolve("latin.safetensors"), header.length, header, SIXTEEN);
        assertRejected(file, "header is not valid UTF-8");
    }

    @Test
    void missingFileAndDirectory() throws IOException {
        assertRejected(dir.resolve("absent.safetensors"), "file does not exist");
        Path sub = Files.createDirectory(dir.resolve("sub.safetensors"));
        assertRejected(sub, "not a regular file");
    }

    @Test
    void validFileWithPaddingAndUnknownEntryKeysOpens() throws IOException {
        // spaces after the object (the format's padding) and extra entry keys are fine
        Path file =
                RawFiles.write(
                        dir.resolve("ok.safetensors"),
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16],"
                                + "\"note\":[1,{\"x\":null}]}}      ",
                        RawFiles.floats(1, 2, 3, 4));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(java.util.List.of("w"), st.names());
        }
    }

    @Test
    void askingForAMissingTensorNamesFileAndTensor() throws IOException {
        Path file = RawFiles.write(dir.resolve("one.safetensors"), "{" + GOOD_W + "}", SIXTEEN);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            SafetensorsException e =
                    assertThrows(SafetensorsException.class, () -> st.info("nope"));
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("no tensor named 'nope'"), e.getMessage());
            assertThrows(SafetensorsException.class, () -> st.bytes("nope"));
        }
    }

    private static void assertRejected(Path file, String defect) {
        SafetensorsException e =
                assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file + ": "), "message must name the file: " + e);
        assertTrue(e.getMessage().contains(defect), "expected '" + defect + "' in: " + e);
    }
}
