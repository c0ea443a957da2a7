package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.ttt.block.Fixtures;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.SafetensorsFile;
import ai.ttt.block.safetensors.SafetensorsWriter;
import ai.ttt.convert.ConvertOptions;
import ai.ttt.convert.HfConverter;
import ai.ttt.translators.TttSession;
import ai.ttt.translators.TttTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, acceptance 3: every bad input of the issue, run through the shaded jar as a user runs
 * it. Each ends with the documented exit code (1 for bad input; chat reports a failed command and
 * goes on) and one line that names the file and what is wrong, never a Java stack trace, never a
 * carriage-return frame in a pipe.
 *
 * <p>The model is the converted {@code hf/llama-tiny} (vocabulary 512, window 32, mini-batch 16,
 * one layer with fast weights) with the byte tokenizer, as in the issue.
 */
class BadInputCliTest {

    @TempDir static Path tmp;

    static Path model;
    static Path session;
    static long position;
    static NDManager manager;

    @BeforeAll
    static void convertAModelAndSaveASession() throws IOException {
        TttJar.jar();
        model = tmp.resolve("model");
        HfConverter.convert(
                Fixtures.get("hf/llama-tiny"),
                model,
                new ConvertOptions(32, 16, null, ConvertOptions.PrimeInit.ZERO_OUTPUT, 0, null));
        Files.copy(Fixtures.get("tokenizers/byte/tokenizer.json"), model.resolve("tokenizer.json"));
        manager = NDManager.newBaseManager();
        TttLanguageModel m =
                ModelDirectory.load(
                        model,
                        manager,
                        Precision.FP32,
                        AttentionMode.FUSED.kernel(manager.getDevice()));
        session = tmp.resolve("session");
        try (TttTokenizer t = TttTokenizer.load(model);
                TttSession s = TttSession.create(m, t)) {
            s.ingest("Some bytes of text, read and learnt; a mini-batch stays open.");
            position = s.position();
            s.save(session);
        }
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static TttJar.Run ttt(String stdin, String... args) throws Exception {
        return TttJar.run(tmp, stdin, 120, args);
    }

    /** The run ended with {@code exit} and wrote exactly one line, which contains {@code line}. */
    private static void assertOneLine(TttJar.Run r, int exit, String line) {
        assertEquals(exit, r.exit(), r.all());
        assertNoTrace(r);
        List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), "one line:\n" + r.all());
        assertTrue(lines.get(0).contains(line), "expected '" + line + "' in:\n" + r.all());
    }

    private static void assertNoTrace(TttJar.Run r) {
        assertFalse(r.err().contains("\tat "), "stack trace on a user error:\n" + r.all());
        assertFalse(r.err().contains("Exception"), "exception name on a user error:\n" + r.all());
        assertFalse(r.err().contains("internal error"), r.all());
        assertFalse(r.err().contains("\r"), "carriage returns in a pipe:\n" + r.all());
    }

    private static Path copyOf(Path dir, String name) throws IOException {
        Path copy = Files.createDirectory(tmp.resolve(name));
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        return copy;
    }

    /** Rewrites one safetensors file with edited metadata and tensors. */
    private static void rewrite(
            Path file, BiConsumer<Map<String, String>, Map<String, NDArray>> edit)
            throws IOException {
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, String> meta = new LinkedHashMap<>();
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                meta.putAll(f.metadata());
                for (String n : f.names()) {
                    tensors.put(n, f.toNDArray(n, scratch));
                }
            }
            edit.accept(meta, tensors);
            SafetensorsWriter w = new SafetensorsWriter();
            meta.forEach(w::putMetadata);
            tensors.forEach(w::add);
            w.write(file);
        }
    }

    private static Path modelWith(
            String name, BiConsumer<Map<String, String>, Map<String, NDArray>> edit)
            throws IOException {
        Path dir = copyOf(model, name);
        rewrite(dir.resolve("model.safetensors"), edit);
        return dir;
    }

    /** Item 1: /save into a directory with a session and other files deleted the other files. */
    @Test
    void chatSaveNeverDeletesOtherFiles() throws Exception {
        Path dir = copyOf(session, "with-notes");
        Files.writeString(dir.resolve("notes.txt"), "precious");
        TttJar.Run r =
                ttt(
                        "hello\n/save with-notes\n/quit\n",
                        "chat",
                        "--model",
                        model.toString(),
                        "--max-new-tokens",
                        "2");
        assertEquals(0, r.exit(), r.all());
        assertNoTrace(r);
        assertTrue(
                r.err()
                        .contains(
                                "error: "
                                        + dir
                                        + ": is not empty and not a saved session; not writing"
                                        + " into it: it holds notes.txt"),
                r.all());
        assertEquals("precious", Files.readString(dir.resolve("notes.txt")));
    }

    /**
     * Items 2 and 3: a state with open_count 5000 made the next text spin forever; an id out of
     * range, a corrupted slot position and NaN fast weights loaded. Each /load is refused with one
     * line and the chat goes on.
     */
    @Test
    void chatLoadRefusesDamagedStatesAndGoesOn() throws Exception {
        Path openCount = copyOf(session, "open-count");
        rewrite(openCount.resolve("state.safetensors"), (m, t) -> m.put("open_count", "5000"));
        Path token = copyOf(session, "token");
        rewrite(
                token.resolve("state.safetensors"),
                (m, t) -> t.get("open.tokens").set(new NDIndex("0, 2"), 5000L));
        Path slots = copyOf(session, "slots");
        rewrite(
                slots.resolve("state.safetensors"),
                (m, t) -> t.get("slots.prefix").set(new NDIndex("3"), 77L));
        Path nan = copyOf(session, "nan");
        rewrite(
                nan.resolve("state.safetensors"),
                (m, t) -> t.get("fast.0").set(new NDIndex("0, 1, 1"), Float.NaN));
        TttJar.Run r =
                ttt(
                        "/load open-count\n/load token\n/load slots\n/load nan\nhello\n/quit\n",
                        "chat",
                        "--model",
                        model.toString(),
                        "--max-new-tokens",
                        "2");
        assertEquals(0, r.exit(), r.all());
        assertNoTrace(r);
        assertTrue(position % 16 != 0, "the saved state has an open mini-batch");
        String state = "/state.safetensors: ";
        for (String expected :
                List.of(
                        "open-count"
                                + state
                                + "open_count 5000 does not fit position "
                                + position
                                + " and mini-batch 16 (expected "
                                + position % 16
                                + ")",
                        "token"
                                + state
                                + "tensor \"open.tokens\" holds 5000 at flat index 2, not a token"
                                + " id of the model [0, 511]",
                        "slots" + state + "tensor \"slots.prefix\" holds position 77 at slot 3",
                        "nan" + state + "tensor \"fast.0\" holds NaN at flat index")) {
            assertTrue(r.err().contains("error: " + expected), expected + "\n" + r.all());
        }
        assertEquals(
                1, r.out().lines().filter(l -> !l.isEmpty()).count(), "one reply:\n" + r.all());
    }

    /** Item 4: integer and F64 weights loaded silently and generated other text. */
    @Test
    void nonFloatWeightsAreRefused() throws Exception {
        Path dir =
                modelWith(
                        "u8-weight",
                        (m, t) ->
                                t.put(
                                        "layers.0.mlp.w2.weight",
                                        t.get("layers.0.mlp.w2.weight")
                                                .toType(DataType.UINT8, false)));
        assertOneLine(
                ttt(null, "generate", "--model", dir.toString(), "--prompt", "hi"),
                1,
                dir.resolve("model.safetensors")
                        + ": weights do not match config.json; wrong dtype (weights must be F32,"
                        + " F16 or BF16): [layers.0.mlp.w2.weight is U8]");
    }

    /** Item 5: a NaN weight made score write "mean_nll": NaN (not JSON) with exit 0. */
    @Test
    void nonFiniteResultsAreNeverWrittenAsNumbers() throws Exception {
        Path text =
                Files.writeString(tmp.resolve("five.txt"), "Some text to score, of a few words.");
        Path nan =
                modelWith(
                        "nan-weight",
                        (m, t) ->
                                t.get("layers.1.attn.wq.weight")
                                        .set(new NDIndex("0, 0"), Float.NaN));
        TttJar.Run refused =
                ttt(null, "score", "--model", nan.toString(), "--text", text.toString());
        assertOneLine(
                refused,
                1,
                nan.resolve("model.safetensors")
                        + ": tensor 'layers.1.attn.wq.weight' holds non-finite values");
        assertEquals("", refused.out());
        // Finite weights whose logits overflow: the NLL is not finite, and no JSON is written.
        Path huge =
                modelWith(
                        "huge-norm",
                        (m, t) -> t.put("norm.weight", t.get("norm.weight").mul(3e38f)));
        Path json = tmp.resolve("huge.json");
        TttJar.Run overflow =
                ttt(
                        null,
                        "score",
                        "--model",
                        huge.toString(),
                        "--text",
                        text.toString(),
                        "--output",
                        json.toString());
        assertOneLine(overflow, 1, "score: the NLL of token ");
        assertTrue(overflow.err().contains(": the model's computation overflowed"), overflow.all());
        assertFalse(Files.exists(json), "no result written");
    }

    /** Item 6: a tokenizer id beyond the model's rows failed with an internal error (exit 3). */
    @Test
    void aTokenizerThatDoesNotFitTheModelIsRefused() throws Exception {
        Path dir = copyOf(model, "tokenizer-600");
        Path tok = dir.resolve("tokenizer.json");
        Files.writeString(tok, Files.readString(tok).replace("\"a\": 97", "\"a\": 600"));
        String line =
                tok
                        + ": token id 600 (\"a\") is outside the model's vocabulary [0, 512)"
                        + " (config.json vocab_size); the tokenizer does not belong to the model";
        // The prompt holds an 'a' (id 600): before, generation failed inside the engine (exit 3).
        assertOneLine(
                ttt(null, "generate", "--model", dir.toString(), "--prompt", "a cat"), 1, line);
        Path text = Files.writeString(tmp.resolve("t6.txt"), "a cat");
        assertOneLine(
                ttt(null, "score", "--model", dir.toString(), "--text", text.toString()), 1, line);
    }

    /** Item 6: a Unigram tokenizer without unk gave a stack trace on text it cannot encode. */
    @Test
    void aUnigramWithoutUnkSaysWhyItCannotEncode() throws Exception {
        Path dir = copyOf(model, "unigram");
        Files.writeString(
                dir.resolve("tokenizer.json"),
                "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],"
                        + "\"normalizer\":null,\"pre_tokenizer\":null,\"post_processor\":null,"
                        + "\"decoder\":null,\"model\":{\"type\":\"Unigram\",\"unk_id\":null,"
                        + "\"vocab\":[[\"a\",-1.0],[\"b\",-2.0]],\"byte_fallback\":false}}");
        assertOneLine(
                ttt(null, "generate", "--model", dir.toString(), "--prompt", "abc"),
                1,
                dir.resolve("tokenizer.json") + ": the tokenizer cannot encode the text: ");
    }

    /** Item 7: convert's output: links, modes, and a refusal that names what is in the way. */
    @Test
    void convertHonoursLinksAndUmaskAndNamesWhatIsInTheWay() throws Exception {
        String input = Fixtures.get("official/tiny-L4-S1").toString();
        Path target = Files.createDirectory(tmp.resolve("link-target"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
        TttJar.Run viaLink =
                ttt(
                        null,
                        "convert",
                        "--from",
                        "official",
                        "--input",
                        input,
                        "--output",
                        link.toString());
        assertEquals(0, viaLink.exit(), viaLink.all());
        assertTrue(Files.isSymbolicLink(link), "the link stays a link");
        assertTrue(Files.isRegularFile(target.resolve("model.safetensors")), "written through it");

        Path fresh = tmp.resolve("fresh-model");
        assertEquals(
                0,
                ttt(
                                null,
                                "convert",
                                "--from",
                                "official",
                                "--input",
                                input,
                                "--output",
                                fresh.toString())
                        .exit());
        Path probe = Files.createDirectory(tmp.resolve("umask-probe"));
        assertEquals(
                Files.getPosixFilePermissions(probe),
                Files.getPosixFilePermissions(fresh),
                "new directories follow the umask (were 0700)");

        Path busy = Files.createDirectory(tmp.resolve("busy"));
        Files.writeString(busy.resolve("thesis.tex"), "years of work");
        assertOneLine(
                ttt(
                        null,
                        "convert",
                        "--from",
                        "official",
                        "--input",
                        input,
                        "--output",
                        busy.toString()),
                1,
                "convert: "
                        + busy
                        + ": is not empty; not writing into it: it holds thesis.tex (move them away"
                        + " or choose another directory)");
        assertEquals("years of work", Files.readString(busy.resolve("thesis.tex")));
    }

    /**
     * Item 8: a long prompt gave no sign of life. Issue 12: in a pipe, progress is plain lines, not
     * carriage-return frames.
     */
    @Test
    void aLongPromptShowsProgressAsPlainLinesInAPipe() throws Exception {
        Path prompt =
                Files.writeString(tmp.resolve("long-prompt.txt"), "In the beginning. ".repeat(200));
        TttJar.Run r =
                TttJar.run(
                        tmp,
                        null,
                        120,
                        Map.of("TTT_PROGRESS_SECONDS", "0"),
                        "generate",
                        "--model",
                        model.toString(),
                        "--prompt-file",
                        prompt.toString(),
                        "--max-new-tokens",
                        "2",
                        "--temperature",
                        "0");
        assertEquals(0, r.exit(), r.all());
        assertNoTrace(r);
        List<String> lines = r.err().lines().toList();
        assertTrue(
                lines.get(0).startsWith("reading the prompt: 128 of 3,601 tokens (3%)"), r.all());
        assertTrue(lines.size() >= 3, r.all());
        assertTrue(
                lines.get(lines.size() - 1).startsWith("reading the prompt: 3,601 tokens in "),
                r.all());
    }

    /** Item 8: junk after the data section, duplicate keys, misleading messages. */
    @Test
    void smallerHolesGiveMessagesThatNameFileAndValue() throws Exception {
        Path junk = copyOf(model, "junk");
        Files.write(
                junk.resolve("model.safetensors"),
                "trailing junk".getBytes(StandardCharsets.UTF_8),
                StandardOpenOption.APPEND);
        assertOneLine(
                ttt(null, "generate", "--model", junk.toString(), "--prompt", "hi"),
                1,
                junk.resolve("model.safetensors") + ": 13 bytes follow the last tensor's data");

        Path duplicate = copyOf(model, "duplicate");
        Path config = duplicate.resolve("config.json");
        Files.writeString(
                config, Files.readString(config).replaceFirst("\\{", "{\"vocab_size\": 600,"));
        assertOneLine(
                ttt(null, "generate", "--model", duplicate.toString(), "--prompt", "hi"),
                1,
                config + ": invalid JSON: duplicate key \"vocab_size\" at $.vocab_size");

        Path huge = copyOf(model, "huge-vocab");
        Path hugeConfig = huge.resolve("config.json");
        Files.writeString(
                hugeConfig,
                Files.readString(hugeConfig)
                        .replace("\"vocab_size\": 512", "\"vocab_size\": 1000000000000"));
        assertOneLine(
                ttt(null, "generate", "--model", huge.toString(), "--prompt", "hi"),
                1,
                hugeConfig
                        + ": vocab_size 1000000000000 is out of range (a 32-bit integer, at most"
                        + " 2147483647)");

        Path latin1 =
                Files.write(tmp.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xe9});
        assertOneLine(
                ttt(
                        null,
                        "generate",
                        "--model",
                        model.toString(),
                        "--prompt-file",
                        latin1.toString()),
                1,
                "generate: " + latin1 + ": is not valid UTF-8: byte 0xe9 at offset 3");
        assertOneLine(
                ttt(null, "score", "--model", model.toString(), "--text", latin1.toString()),
                1,
                "score: " + latin1 + ": is not valid UTF-8");
        assertOneLine(
                ttt(null, "generate", "--model", model.toString(), "--prompt-file", tmp.toString()),
                1,
                "generate: " + tmp + ": is a directory, not a file");
    }
}
