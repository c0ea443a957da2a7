package ai.ttt.translators;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.ttt.block.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IncrementalDecoderTest {

    private static final long EOT = 256; // <|endoftext|> of the byte tokenizer
    private static final String FFFD = "\uFFFD";

    private static TttTokenizer bytes;
    private static TttTokenizer gpt2;

    @BeforeAll
    static void load() throws IOException {
        bytes = TttTokenizer.load(Fixtures.get("tokenizers/byte/tokenizer.json"));
        gpt2 = TttTokenizer.load(Fixtures.get("tokenizers/gpt2/tokenizer.json"));
    }

    @AfterAll
    static void close() {
        bytes.close();
        gpt2.close();
    }

    /** Pushes every id, then flushes; returns the pieces, the flush last. */
    private static List<String> stream(IncrementalDecoder decoder, long[] ids) {
        List<String> pieces = new ArrayList<>();
        for (long id : ids) {
            pieces.add(decoder.push(id));
            assertTrue(
                    decoder.windowSize() <= 2 * IncrementalDecoder.WINDOW_TOKENS + 1,
                    "window " + decoder.windowSize());
        }
        pieces.add(decoder.flush());
        return pieces;
    }

    private static long[] utf8Ids(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        long[] ids = new long[b.length];
        for (int i = 0; i < b.length; i++) {
            ids[i] = b[i] & 0xFF;
        }
        return ids;
    }

    /** No unpaired surrogate: the piece neither starts nor ends inside a character. */
    private static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** Checks the guarantee for ids whose text is valid UTF-8 and contains no U+FFFD. */
    private static void assertStreamsExactly(TttTokenizer tok, long[] ids, boolean skip) {
        String expected = tok.decode(ids, skip);
        List<String> pieces = stream(new IncrementalDecoder(tok, skip), ids);
        for (String piece : pieces) {
            assertFalse(piece.contains(FFFD), () -> "U+FFFD in " + pieces);
            assertTrue(wellFormed(piece), () -> "split character in " + pieces);
        }
        assertEquals(expected, String.join("", pieces), () -> "ids " + Arrays.toString(ids));
    }

    @Test
    void multiByteCharactersComeOutWhole() {
        IncrementalDecoder d = new IncrementalDecoder(bytes, true);
        long[] ids = utf8Ids("héllo"); // h C3 A9 l l o
        List<String> pieces = new ArrayList<>();
        for (long id : ids) {
            pieces.add(d.push(id));
        }
        assertEquals(List.of("h", "", "é", "l", "l", "o"), pieces);
        assertEquals("", d.flush());

        // The naive way: one token at a time gives U+FFFD.
        assertEquals(FFFD, bytes.decode(new long[] {0xC3}, true));
    }

    @Test
    void fourByteEmojiComesOutWhole() {
        IncrementalDecoder d = new IncrementalDecoder(bytes, false);
        assertEquals("", d.push(0xF0));
        assertEquals("", d.push(0x9F));
        assertEquals("", d.push(0x98));
        assertEquals("😀", d.push(0x80));
        assertEquals("", d.flush());
    }

    @Test
    void randomValidUtf8StreamsExactly() {
        SplittableRandom random = new SplittableRandom(20240611);
        for (int round = 0; round < 400; round++) {
            String text = randomText(random, 1 + random.nextInt(40));
            long[] ids = utf8Ids(text);
            assertEquals(text, bytes.decode(ids, true));
            assertStreamsExactly(bytes, ids, true);
            assertStreamsExactly(bytes, ids, false);
        }
    }

    @Test
    void randomValidUtf8WithSpecialTokensBetweenCharacters() {
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < 200; round++) {
            List<Long> ids = new ArrayList<>();
            int chars = 1 + random.nextInt(30);
            for (int c = 0; c < chars; c++) {
                if (random.nextInt(4) == 0) {
                    int run = 1 + random.nextInt(3);
                    for (int k = 0; k < run; k++) {
                        ids.add(EOT);
                    }
                }
                for (long b : utf8Ids(randomText(random, 1))) {
                    ids.add(b);
                }
            }
            long[] array = ids.stream().mapToLong(Long::longValue).toArray();
            assertStreamsExactly(bytes, array, true);
            assertStreamsExactly(bytes, array, false);
        }
    }

    /**
     * Any byte sequence, valid or not: the pieces still add up to the tokenizer's lossy decoding,
     * because every byte token carries one byte (rule 1 of the class documentation).
     */
    @Test
    void arbitraryBytesMatchLossyDecoding() {
        int[] interesting = {
            0x41, 0x20, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xA9, 0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xDF,
            0xE0, 0xE6, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xF8, 0xFF
        };
        SplittableRandom random = new SplittableRandom(99);
        int withReplacement = 0;
        for (int round = 0; round < 1500; round++) {
            long[] ids = new long[1 + random.nextInt(24)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] =
                        random.nextBoolean()
                                ? interesting[random.nextInt(interesting.length)]
                                : random.nextInt(256);
            }
            String expected = bytes.decode(ids, false);
            if (expected.contains(FFFD)) {
                withReplacement++;
            }
            List<String> pieces = stream(new IncrementalDecoder(bytes, false), ids);
            for (String piece : pieces) {
                assertTrue(wellFormed(piece), () -> "split character in " + pieces);
            }
            assertEquals(expected, String.join("", pieces), () -> "ids " + Arrays.toString(ids));
        }
        assertTrue(withReplacement > 1000, "the generator should mostly make invalid UTF-8");
    }

    @Test
    void invalidByteIsEmittedOnceTheNextByteCannotContinueIt() {
        IncrementalDecoder d = new IncrementalDecoder(bytes, false);
        assertEquals("", d.push(0xC3)); // might be the start of "é"
        assertEquals(FFFD + "A", d.push('A')); // 'A' cannot continue it: U+FFFD for good

        // A new start byte ends the previous sequence too; the new one is held in turn.
        assertEquals("", d.push(0xE6));
        assertEquals("", d.push(0x9D));
        assertEquals(FFFD, d.push(0xE6));
        assertEquals("", d.push(0x9D));
        assertEquals("東", d.push(0xB1));

        // Stray continuation bytes and bytes that are never valid.
        assertEquals("", d.push(0x80));
        assertEquals(FFFD, d.push(0xFF));
        assertEquals(FFFD, d.push(0xFF));
        assertEquals(FFFD + "z", d.push('z'));
        assertEquals("", d.flush());
    }

    @Test
    void incompleteCharacterAtTheEndIsFlushedAsReplacement() {
        IncrementalDecoder d = new IncrementalDecoder(bytes, true);
        assertEquals("a", d.push('a'));
        assertEquals("", d.push(0xF0));
        assertEquals("", d.push(0x9F));
        assertEquals(FFFD, d.flush());
        // The decoder starts over after a flush.
        assertEquals("b", d.push('b'));
        assertEquals("", d.flush());
    }

    @Test
    void genuineReplacementCharacterIsHeldThenEmitted() {
        long[] ids = utf8Ids("a\uFFFDb\uFFFD");
        List<String> pieces = stream(new IncrementalDecoder(bytes, false), ids);
        assertEquals(List.of("a", "", "", "", FFFD + "b", "", "", "", FFFD), pieces);
    }

    /** Rule 2: only tokens without bytes can keep a U+FFFD last for four pushes. */
    @Test
    void replacementHeldForFourPushesIsEmitted() {
        IncrementalDecoder d = new IncrementalDecoder(bytes, true);
        assertEquals("", d.push(0xF0));
        assertEquals("", d.push(EOT)); // skipped: no bytes, no text
        assertEquals("", d.push(EOT));
        assertEquals(FFFD, d.push(EOT));
        // The pending byte was given up on; what follows is decoded on its own.
        assertEquals("x", d.push('x'));
        assertEquals("", d.flush());
    }

    @Test
    void gpt2ReferenceTextsStreamExactly() throws IOException {
        for (TttTokenizerTest.Reference ref : TttTokenizerTest.gpt2References()) {
            assertStreamsExactly(gpt2, ref.ids(), true);
            assertStreamsExactly(gpt2, ref.ids(), false);
            List<String> skipped = stream(new IncrementalDecoder(gpt2, true), ref.ids());
            assertEquals(ref.decoded(), String.join("", skipped));
        }
        // "東" is three GPT-2 tokens; one at a time they decode to U+FFFD.
        assertEquals(FFFD, gpt2.decode(new long[] {251}, true));
        IncrementalDecoder d = new IncrementalDecoder(gpt2, true);
        // The first token is " " plus the first byte of 東: the space comes out at once.
        assertEquals(" ", d.push(10545));
        assertEquals("", d.push(251));
        assertEquals("東", d.push(109));
    }

    /**
     * GPT-2 token 35050 is the bytes B6 E6: the end of "ö" and the start of "東". The completed
     * character must come out at once, not wait for the next one to complete.
     */
    @Test
    void tokenStraddlingTwoCharactersReleasesTheFirst() {
        long[] ids = {127, 35050, 251, 109}; // C3 | B6 E6 | 9D | B1
        assertEquals("ö東", gpt2.decode(ids, true));
        IncrementalDecoder d = new IncrementalDecoder(gpt2, true);
        assertEquals("", d.push(127));
        assertEquals("ö", d.push(35050));
        assertEquals("", d.push(251));
        assertEquals("東", d.push(109));
        assertEquals("", d.flush());

        // A stream in which every token ends inside a character: C3 | B6 E6 | 9D | B6 E6 | 9D ...
        // | B1 spells "ö", then "杶" (E6 9D B6) ten times, then "東". The decoded window never
        // ends cleanly, yet each character comes out as soon as its last byte arrives.
        IncrementalDecoder chain = new IncrementalDecoder(gpt2, true);
        assertEquals("", chain.push(127));
        assertEquals("ö", chain.push(35050));
        StringBuilder expected = new StringBuilder("ö");
        for (int i = 0; i < 10; i++) {
            assertEquals("", chain.push(251));
            assertEquals("杶", chain.push(35050));
            expected.append("杶");
        }
        assertEquals("", chain.push(251));
        assertEquals("東", chain.push(109));
        assertEquals("", chain.flush());
        expected.append("東");
        long[] all = new long[2 + 2 * 10 + 2];
        all[0] = 127;
        all[1] = 35050;
        for (int i = 0; i < 10; i++) {
            all[2 + 2 * i] = 251;
            all[3 + 2 * i] = 35050;
        }
        all[22] = 251;
        all[23] = 109;
        assertEquals(expected.toString(), gpt2.decode(all, true));
        assertStreamsExactly(gpt2, all, true);
    }

    @Test
    void gpt2MultilingualTextStreamsExactly() {
        String text =
                "Grüße aus Köln! naïve façade, 東京タワー and 서울 — emoji 🙂👍🏽 and a family"
                        + " 👨‍👩‍👧, math ∀x∈ℝ, Ωmega, 𝄞 music, ЁЖ кириллица, עִבְרִית, ελληνικά.\n"
                        + "  tabs\tand <|endoftext|> specials 🎉🎉🎉";
        for (int i = 0; i < 5; i++) {
            text = text + " " + text.substring(i * 7);
        }
        long[] ids = gpt2.encode(text);
        assertEquals(text, gpt2.decode(ids, false));
        assertStreamsExactly(gpt2, ids, false);
        assertStreamsExactly(gpt2, ids, true);
    }

    @Test
    void contextIsUsedButNotEmitted() {
        long[] prompt = gpt2.encode("The capital of Japan is");
        long[] continuation = gpt2.encode(" 東京, which means eastern capital 🙂.");
        long[] all = new long[prompt.length + continuation.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(continuation, 0, all, prompt.length, continuation.length);

        List<String> pieces = stream(new IncrementalDecoder(gpt2, true, prompt), continuation);
        String full = gpt2.decode(all, true);
        String promptText = gpt2.decode(prompt, true);
        assertEquals(full.substring(promptText.length()), String.join("", pieces));
        assertEquals(" 東京, which means eastern capital 🙂.", String.join("", pieces));
    }

    @Test
    void memoryStaysBoundedOnLongStreams() {
        IncrementalDecoder d = new IncrementalDecoder(bytes, true);
        StringBuilder out = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        SplittableRandom random = new SplittableRandom(3);
        int maxWindow = 0;
        for (int i = 0; i < 3000; i++) {
            String chunk = randomText(random, 1);
            expected.append(chunk);
            for (long id : utf8Ids(chunk)) {
                out.append(d.push(id));
                maxWindow = Math.max(maxWindow, d.windowSize());
            }
            // A run of special tokens that add no text must not grow the window either.
            if (i % 500 == 0) {
                for (int k = 0; k < 100; k++) {
                    out.append(d.push(EOT));
                    maxWindow = Math.max(maxWindow, d.windowSize());
                }
            }
        }
        out.append(d.flush());
        assertEquals(expected.toString(), out.toString());
        assertTrue(maxWindow <= 2 * IncrementalDecoder.WINDOW_TOKENS + 1, "window " + maxWindow);
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        IncrementalDecoder d = new IncrementalDecoder(bytes, true);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> d.push(257));
        assertTrue(e.getMessage().contains("257"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> d.push(-1));
        assertThrows(
                IllegalArgumentException.class,
                () -> new IncrementalDecoder(bytes, true, new long[] {65, 999}));
        assertThrows(NullPointerException.class, () -> new IncrementalDecoder(null, true));
    }

    /**
     * A random text of {@code n} code points: ASCII, 2-byte, 3-byte (CJK and others, no surrogates,
     * no U+FFFD) and 4-byte characters, emoji among them.
     */
    static String randomText(SplittableRandom random, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int cp;
            switch (random.nextInt(6)) {
                case 0 -> cp = 0x20 + random.nextInt(0x5F); // ASCII
                case 1 -> cp = 0x80 + random.nextInt(0x780); // 2 bytes
                case 2 -> cp = 0x4E00 + random.nextInt(0x5200); // CJK, 3 bytes
                case 3 -> {
                    do {
                        cp = 0x800 + random.nextInt(0x10000 - 0x800); // any 3 bytes
                    } while (Character.isSurrogate((char) cp) || cp == 0xFFFD);
                }
                case 4 -> cp = 0x1F300 + random.nextInt(0x300); // emoji, 4 bytes
                default -> cp = 0x10000 + random.nextInt(0x100000); // any 4 bytes
            }
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }
}
