package ai.ttt.spark;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The text of one cell, decoded strictly from UTF-8, or the reason it cannot be read.
 *
 * <p>The transformers cast string columns to binary before reading them: a Spark string is UTF-8
 * bytes that nobody has checked (a text file with a broken byte sequence is read as-is), and Java's
 * own conversion would silently replace broken sequences with U+FFFD, so the model would score a
 * text that is not the document. Decoding the raw bytes with a reporting decoder finds them.
 *
 * @param text the decoded text, or {@code null} when it cannot be read
 * @param error what is wrong with the cell (names the column), or {@code null} when it is readable
 */
record InputText(String text, String error) {

    /**
     * Decodes a cell's bytes.
     *
     * @param utf8 the cell's bytes, or {@code null} for a null cell
     * @param column the column's name, for the error message
     * @param emptyAllowed whether an empty text is valid here
     * @return the text, or the error
     */
    static InputText decode(byte[] utf8, String column, boolean emptyAllowed) {
        if (utf8 == null) {
            return new InputText(null, column + " is null");
        }
        if (utf8.length == 0 && !emptyAllowed) {
            return new InputText(null, column + " is empty");
        }
        CharsetDecoder decoder =
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(utf8);
        CharBuffer out = CharBuffer.allocate(utf8.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            return new InputText(
                    null,
                    String.format(
                            Locale.ROOT,
                            "%s is not valid UTF-8: %d bad byte(s) at offset %d of %d",
                            column,
                            result.length(),
                            in.position(),
                            utf8.length));
        }
        return new InputText(out.flip().toString(), null);
    }

    /**
     * Returns whether the cell can be read.
     *
     * @return {@code true} when there is a text
     */
    boolean ok() {
        return error == null;
    }
}
