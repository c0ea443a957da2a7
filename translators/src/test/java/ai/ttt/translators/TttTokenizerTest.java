package ai.ttt.translators;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.ttt.block.Fixtures;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TttTokenizerTest {

    /** One entry of {@code reference-encodings.json}. */
    record Reference(String text, long[] ids, String decoded) {}

    private static TttTokenizer gpt2;
    private static TttTokenizer bytes;

    @BeforeAll
    static void load() throws IOException {
        gpt2 = TttTokenizer.load(Fixtures.get("tokenizers/gpt2/tokenizer.json"));
        bytes = TttTokenizer.load(Fixtures.get("tokenizers/byte"));
    }

    @AfterAll
    static void close() {
        gpt2.close();
        bytes.close();
    }

    static List<Reference> gpt2References() throws IOException {
        Path file = Fixtures.get("tokenizers/gpt2/reference-encodings.json");
        JsonArray entries =
                JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
                        .getAsJsonArray();
        List<Reference> refs = new ArrayList<>();
        for (JsonElement e : entries) {
            JsonObject o = e.getAsJsonObject();
            JsonArray ids = o.getAsJsonArray("ids");
            long[] array = new long[ids.size()];
            for (int i = 0; i < array.length; i++) {
                array[i] = ids.get(i).getAsLong();
            }
            refs.add(
                    new Reference(
                            o.get("text").getAsString(), array, o.get("decoded").getAsString()));
        }
        return refs;
    }

    @Test
    void gpt2MatchesEveryReferenceEncoding() throws IOException {
        List<Reference> refs = gpt2References();
        assertEquals(6, refs.size(), "reference file changed");
        for (Reference ref : refs) {
            assertArrayEquals(ref.ids(), gpt2.encode(ref.text()), "ids of " + ref.text());
            assertEquals(ref.decoded(), gpt2.decode(ref.ids(), true), "decoded " + ref.text());
            // Every reference text round-trips when special tokens are kept.
            assertEquals(ref.text(), gpt2.decode(ref.ids(), false), "round trip " + ref.text());
        }
    }

    @Test
    void decodeKeepsOrSkipsEndOfText() {
        long[] ids = {50256, 464, 886};
        assertEquals("<|endoftext|>The end", gpt2.decode(ids, false));
        assertEquals("The end", gpt2.decode(ids, true));
        assertArrayEquals(ids, gpt2.encode("<|endoftext|>The end"));
    }

    @Test
    void byteTokenizerEncodesUtf8Bytes() {
        String text = "Héllo wörld 東京";
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        assertEquals(20, utf8.length);
        long[] expected = new long[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            expected[i] = utf8[i] & 0xFF;
        }
        long[] ids = bytes.encode(text);
        assertArrayEquals(expected, ids);
        assertEquals(text, bytes.decode(ids, true));
        assertEquals(text, bytes.decode(ids, false));
    }

    @Test
    void byteTokenizerEndOfTextIs256() {
        assertEquals(OptionalLong.of(256), bytes.tokenId("<|endoftext|>"));
        assertArrayEquals(new long[] {72, 256, 105}, bytes.encode("H<|endoftext|>i"));
        assertEquals("H<|endoftext|>i", bytes.decode(new long[] {72, 256, 105}, false));
        assertEquals("Hi", bytes.decode(new long[] {72, 256, 105}, true));
    }

    @Test
    void vocabSizeCountsAddedTokens() {
        assertEquals(50257, gpt2.vocabSize());
        assertEquals(257, bytes.vocabSize());
    }

    @Test
    void tokenIdLooksUpAddedTokensThenVocabulary() {
        assertEquals(OptionalLong.of(50256), gpt2.tokenId("<|endoftext|>"));
        assertEquals(OptionalLong.of(15496), gpt2.tokenId("Hello"));
        assertEquals(OptionalLong.of(995), gpt2.tokenId("Ġworld"));
        assertEquals(OptionalLong.empty(), gpt2.tokenId("<|im_start|>"));
        assertEquals(OptionalLong.of(33), bytes.tokenId("!"));
        assertEquals(OptionalLong.empty(), bytes.tokenId("ab"));
    }

    @Test
    void decodableMaskCoversExactlyTheTokenizerIds() {
        // The fixture models have 512 logits; the byte tokenizer knows 257 ids.
        boolean[] mask = bytes.decodableMask(512);
        assertEquals(512, mask.length);
        for (int id = 0; id < 512; id++) {
            assertEquals(id <= 256, mask[id], "id " + id);
        }
        // What the mask rules out really is undecodable: DJL silently drops those ids.
        assertEquals("", bytes.decode(new long[] {257}, false));
        assertEquals("", bytes.decode(new long[] {511}, false));
        for (int id = 0; id <= 256; id++) {
            assertFalse(bytes.decode(new long[] {id}, false).isEmpty(), "id " + id);
        }

        boolean[] padded = gpt2.decodableMask(50304); // GPT-2 checkpoints pad to a multiple of 64
        for (int id = 0; id < padded.length; id++) {
            assertEquals(id < 50257, padded[id], "id " + id);
        }
        boolean[] smaller = gpt2.decodableMask(100);
        assertEquals(100, smaller.length);
        for (boolean b : smaller) {
            assertTrue(b);
        }
        assertThrows(IllegalArgumentException.class, () -> gpt2.decodableMask(0));
    }

    @Test
    void longTextIsNotTruncated() {
        // DJL truncates to 512 tokens by default; 3000 tokens must all come back.
        String text = " world".repeat(3000);
        long[] ids = gpt2.encode(text);
        assertEquals(3000, ids.length);
        for (long id : ids) {
            assertEquals(995, id);
        }
        assertEquals(text, gpt2.decode(ids, true));

        String letters = "abcdefghij".repeat(300);
        long[] byteIds = bytes.encode(letters);
        assertEquals(3000, byteIds.length);
        assertEquals(letters, bytes.decode(byteIds, false));
    }

    @Test
    void noTemplateTokensAreAdded() {
        assertArrayEquals(new long[] {15496, 995}, gpt2.encode("Hello world"));
        assertArrayEquals(new long[0], gpt2.encode(""));
        assertEquals("", gpt2.decode(new long[0], false));
    }

    @Test
    void loadsFromFileOrDirectory() throws IOException {
        Path dir = Fixtures.get("tokenizers/gpt2");
        try (TttTokenizer fromDir = TttTokenizer.load(dir)) {
            assertEquals(dir.resolve("tokenizer.json").toAbsolutePath(), fromDir.file());
            assertArrayEquals(new long[] {15496, 995}, fromDir.encode("Hello world"));
        }
    }

    @Test
    void missingFileIsNamed(@TempDir Path tmp) {
        Path missing = tmp.resolve("nope/tokenizer.json");
        NoSuchFileException e =
                assertThrows(NoSuchFileException.class, () -> TttTokenizer.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());

        NoSuchFileException inDir =
                assertThrows(NoSuchFileException.class, () -> TttTokenizer.load(tmp));
        assertTrue(
                inDir.getMessage().contains(tmp.resolve("tokenizer.json").toString()),
                inDir.getMessage());
        assertTrue(inDir.getMessage().contains("no tokenizer.json"), inDir.getMessage());
    }

    @Test
    void invalidFilesAreNamed(@TempDir Path tmp) throws IOException {
        String[] contents = {
            "not json at all",
            "",
            "[1, 2, 3]",
            "{\"foo\": 1}",
            "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"zero\"}}}",
            "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}}}",
            // Our own checks pass, but this is no tokenizer: the native library must reject it.
            "{\"model\": {\"vocab\": {\"a\": 0}}}",
        };
        for (int i = 0; i < contents.length; i++) {
            Path file = tmp.resolve("bad" + i + ".json");
            Files.writeString(file, contents[i]);
            IOException e = assertThrows(IOException.class, () -> TttTokenizer.load(file));
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            assertTrue(e.getMessage().contains(": not a valid tokenizer"), e.getMessage());
        }
    }

    /** Issue 14 (item 6): a byte mapped to id 600 on a 512-row model failed inside the engine. */
    @Test
    void idsBeyondTheModelsVocabularyAreRefusedNamingTheToken(@TempDir Path tmp)
            throws IOException {
        JsonObject json =
                JsonParser.parseString(
                                Files.readString(Fixtures.get("tokenizers/byte/tokenizer.json")))
                        .getAsJsonObject();
        json.getAsJsonObject("model").getAsJsonObject("vocab").addProperty("a", 600);
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(file, json.toString());
        try (TttTokenizer t = TttTokenizer.load(file)) {
            assertEquals(601, t.vocabSize());
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> t.requireFits(512));
            assertEquals(
                    file.toAbsolutePath()
                            + ": token id 600 (\"a\") is outside the model's vocabulary [0, 512)"
                            + " (config.json vocab_size); the tokenizer does not belong to the"
                            + " model",
                    e.getMessage());
            t.requireFits(601);
        }
        bytes.requireFits(257);
        assertThrows(IllegalArgumentException.class, () -> gpt2.requireFits(512));
    }

    /** Issue 14 (item 6): a Unigram model without unk gave a stack trace on unknown text. */
    @Test
    void aUnigramWithoutUnkSaysWhyItCannotEncode(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(
                file,
                "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],"
                        + "\"normalizer\":null,\"pre_tokenizer\":null,\"post_processor\":null,"
                        + "\"decoder\":null,\"model\":{\"type\":\"Unigram\",\"unk_id\":null,"
                        + "\"vocab\":[[\"a\",-1.0],[\"b\",-2.0]],\"byte_fallback\":false}}");
        try (TttTokenizer t = TttTokenizer.load(file)) {
            assertArrayEquals(new long[] {0, 1, 0}, t.encode("aba"));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> t.encode("abc"));
            assertTrue(
                    e.getMessage()
                            .startsWith(
                                    file.toAbsolutePath()
                                            + ": the tokenizer cannot encode the text: "),
                    e.getMessage());
            assertEquals(-1, e.getMessage().indexOf('\n'), e.getMessage());
        }
    }

    @Test
    void aDuplicateKeyIsRefused(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(
                file,
                Files.readString(Fixtures.get("tokenizers/byte/tokenizer.json"))
                        .replaceFirst("\"model\"", "\"model\": {}, \"model\""));
        IOException e = assertThrows(IOException.class, () -> TttTokenizer.load(file));
        assertTrue(e.getMessage().contains("duplicate key \"model\""), e.getMessage());
    }

    @Test
    void closedTokenizerSaysSo() throws IOException {
        TttTokenizer t = TttTokenizer.load(Fixtures.get("tokenizers/byte/tokenizer.json"));
        t.close();
        t.close(); // idempotent
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.encode("a"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> t.decode(new long[] {65}, false));
        // Metadata stays available.
        assertEquals(257, t.vocabSize());
    }

    @Test
    void nullArgumentsAreRejected() {
        assertThrows(NullPointerException.class, () -> gpt2.encode(null));
        assertThrows(NullPointerException.class, () -> gpt2.decode(null, true));
        assertThrows(NullPointerException.class, () -> gpt2.tokenId(null));
        assertThrows(NullPointerException.class, () -> TttTokenizer.load(null));
    }
}
