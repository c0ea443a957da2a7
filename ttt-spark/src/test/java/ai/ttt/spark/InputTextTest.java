package ai.ttt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Strict UTF-8 decoding of cells: what is accepted, and the offset named for what is not. */
class InputTextTest {

    @Test
    void decodesEveryWellFormedSequence() {
        String text = "a é € 𝄞 日本\n";
        InputText decoded = InputText.decode(text.getBytes(StandardCharsets.UTF_8), "text", false);
        assertNull(decoded.error());
        assertEquals(text, decoded.text());
    }

    @Test
    void namesNullEmptyAndBrokenCells() {
        assertEquals("text is null", InputText.decode(null, "text", true).error());
        assertEquals("text is empty", InputText.decode(new byte[0], "text", false).error());
        assertEquals("", InputText.decode(new byte[0], "prompt", true).text());
        assertEquals(
                "doc is not valid UTF-8: 1 bad byte(s) at offset 1 of 3",
                InputText.decode(new byte[] {'a', (byte) 0xff, 'b'}, "doc", false).error());
    }

    @Test
    void rejectsWhatLenientDecodersAccept() {
        // overlong "/" (C0 AF), an encoded surrogate (ED A0 80), a code point above U+10FFFF
        for (byte[] bad :
                new byte[][] {
                    {'x', (byte) 0xc0, (byte) 0xaf},
                    {'x', (byte) 0xed, (byte) 0xa0, (byte) 0x80},
                    {'x', (byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                }) {
            InputText decoded = InputText.decode(bad, "text", false);
            assertNull(decoded.text());
            assertEquals(
                    true,
                    decoded.error().startsWith("text is not valid UTF-8: ")
                            && decoded.error().contains("at offset 1 of " + bad.length),
                    decoded.error());
        }
    }
}
