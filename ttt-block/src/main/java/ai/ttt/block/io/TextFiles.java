package ai.ttt.block.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The one reader of the project's text inputs (configs, prompts, documents, tokenizers): strict
 * UTF-8, and every failure is an exception whose message names the file and what is wrong with it.
 */
public final class TextFiles {

    private TextFiles() {}

    /**
     * Reads a whole file as UTF-8.
     *
     * @param file the file
     * @return its text
     * @throws NoSuchFileException naming the path if it does not exist
     * @throws InvalidFileException naming the path if it is a directory or not a regular file, or
     *     naming the path and the byte offset of the first byte that is not UTF-8
     * @throws IOException if reading fails
     */
    public static String readUtf8(Path file) throws IOException {
        return decodeUtf8(readBytes(file), file);
    }

    /**
     * Reads a whole file's bytes, with the checks of {@link #readUtf8} on what the path names.
     *
     * @param file the file
     * @return its bytes
     * @throws IOException naming the path if it is missing, a directory or unreadable
     */
    public static byte[] readBytes(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new InvalidFileException(file, "is a directory, not a file");
        }
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        if (!Files.isRegularFile(file) && !Files.isReadable(file)) {
            throw new InvalidFileException(file, "is not a readable file");
        }
        return Files.readAllBytes(file);
    }

    /**
     * Decodes UTF-8 strictly.
     *
     * @param bytes the bytes
     * @param file where they came from (for the message)
     * @return the text
     * @throws InvalidFileException naming the file and the offset of the first invalid byte
     */
    public static String decodeUtf8(byte[] bytes, Path file) throws InvalidFileException {
        CharsetDecoder decoder =
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (r.isUnderflow()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            int at = in.position();
            StringBuilder hex = new StringBuilder();
            for (int i = at; i < Math.min(bytes.length, at + Math.max(1, r.length())); i++) {
                hex.append(hex.length() == 0 ? "" : " ")
                        .append(String.format("0x%02x", bytes[i] & 0xff));
            }
            throw new InvalidFileException(
                    file,
                    "is not valid UTF-8: byte "
                            + hex
                            + " at offset "
                            + at
                            + " (convert the file to UTF-8)");
        }
        return out.flip().toString();
    }
}
