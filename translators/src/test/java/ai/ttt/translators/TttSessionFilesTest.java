package ai.ttt.translators;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.ttt.block.Fixtures;
import ai.ttt.block.TestModels;
import ai.ttt.block.io.InvalidFileException;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.SafetensorsFile;
import ai.ttt.block.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Issue 14 (items 1, 3 and 6): saving a session never destroys what it did not write; a saved
 * session is checked against the model before use; a tokenizer that does not fit the model is
 * refused where the two meet.
 */
class TttSessionFilesTest {

    static NDManager manager;
    static TttLanguageModel model;
    static TttTokenizer bytes;

    @TempDir Path tmp;

    @BeforeAll
    static void load() throws IOException {
        manager = NDManager.newBaseManager();
        model =
                TestModels.random(
                        TestModels.tiny(6, 4).toBuilder().vocabSize(257).build(),
                        3,
                        0.3,
                        manager,
                        Precision.FP32,
                        AttentionMode.PLAIN);
        bytes = TttTokenizer.load(Fixtures.get("tokenizers/byte"));
    }

    @AfterAll
    static void close() {
        bytes.close();
        manager.close();
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private Path savedSession(String name) throws IOException {
        Path dir = tmp.resolve(name);
        try (TttSession s = TttSession.create(model, bytes)) {
            s.ingest("a document of some length, read into the fast weights");
            s.save(dir);
        }
        return dir;
    }

    /** Item 1: /save into a directory holding a session and other files deleted the others. */
    @Test
    void savingNeverDeletesFilesItDidNotWrite() throws IOException {
        Path dir = savedSession("mine");
        Files.writeString(dir.resolve("notes.txt"), "precious");
        Files.createDirectories(dir.resolve("drafts"));
        Files.writeString(dir.resolve("drafts/chapter1.txt"), "also precious");
        try (TttSession s = TttSession.create(model, bytes)) {
            s.ingest("something else");
            FileSystemException e = assertThrows(FileSystemException.class, () -> s.save(dir));
            assertEquals(
                    dir.toAbsolutePath()
                            + ": is not empty and not a saved session; not writing into it: it"
                            + " holds drafts/, notes.txt (move them away or choose another"
                            + " directory)",
                    e.getMessage());
        }
        assertEquals(
                List.of("drafts", "notes.txt", "session.safetensors", "state.safetensors"),
                names(dir));
        assertEquals("precious", Files.readString(dir.resolve("notes.txt")));
        assertEquals("also precious", Files.readString(dir.resolve("drafts/chapter1.txt")));
        try (TttSession restored = TttSession.load(model, bytes, dir)) {
            assertTrue(restored.textTail().startsWith("a document"), "the old session is intact");
        }
    }

    @Test
    void aSavedSessionIsReplacedInPlace() throws IOException {
        Path dir = savedSession("replace");
        Object inode = Files.readAttributes(dir, "unix:ino").get("ino");
        try (TttSession s = TttSession.create(model, bytes)) {
            s.ingest("the second session");
            s.save(dir);
        }
        assertEquals(inode, Files.readAttributes(dir, "unix:ino").get("ino"));
        assertEquals(List.of("session.safetensors", "state.safetensors"), names(dir));
        try (TttSession restored = TttSession.load(model, bytes, dir)) {
            assertEquals("the second session", restored.textTail());
        }
    }

    /** Rewrites session.safetensors of a saved session with an edit, then loads it. */
    private String refused(String name, BiConsumer<Map<String, String>, Map<String, NDArray>> edit)
            throws IOException {
        Path dir = savedSession(name);
        Path file = dir.resolve("session.safetensors");
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, String> meta = new LinkedHashMap<>();
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                meta.putAll(f.metadata());
                for (String t : f.names()) {
                    tensors.put(t, f.toNDArray(t, scratch));
                }
            }
            edit.accept(meta, tensors);
            SafetensorsWriter w = new SafetensorsWriter();
            meta.forEach(w::putMetadata);
            tensors.forEach(w::add);
            w.write(file);
        }
        InvalidFileException e =
                assertThrows(
                        InvalidFileException.class,
                        () -> TttSession.load(model, bytes, dir).close(),
                        name);
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        return e.getMessage();
    }

    /** Item 3: session fields are checked (the state's own are checked by the engine). */
    @Test
    void sessionFieldsAreCheckedAgainstTheModelAndTheState() throws IOException {
        assertTrue(
                refused("tail", (m, t) -> t.get("tail_ids").set(new NDIndex("3"), 600L))
                        .endsWith(
                                "tensor \"tail_ids\" holds 600 at index 3, not a token id of the"
                                        + " model [0, 256]"));
        assertTrue(
                refused("position", (m, t) -> m.put("position", "3"))
                        .contains("position 3 does not match the state's"));
        assertTrue(
                refused("ttt", (m, t) -> m.put("test_time_training", "false"))
                        .contains(
                                "test_time_training false does not match the state's true"
                                        + " (state.safetensors)"));
        assertTrue(
                refused("count", (m, t) -> m.put("tail_count", "900"))
                        .contains("tail_count 900 must be at most"));
        assertTrue(
                refused(
                                "logits",
                                (m, t) -> t.get("last_logits").set(new NDIndex("0, 5"), Float.NaN))
                        .endsWith(
                                "tensor \"last_logits\" holds NaN at flat index 5; a session"
                                        + " holds only finite values"));
        assertTrue(
                refused("key", (m, t) -> m.put("note", "x"))
                        .endsWith("unknown metadata key \"note\""));
    }

    /** Item 6: a tokenizer with ids beyond the model's rows is refused where they meet. */
    @Test
    void aTokenizerThatDoesNotFitTheModelIsRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            TttLanguageModel small =
                    TestModels.random(
                            TestModels.tiny(6, 4), 1, 0.3, m, Precision.FP32, AttentionMode.PLAIN);
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class, () -> TttSession.create(small, bytes));
            assertEquals(
                    bytes.file()
                            + ": token id 32 (\"Ġ\") is outside the model's vocabulary [0, 32)"
                            + " (config.json vocab_size); the tokenizer does not belong to the"
                            + " model",
                    e.getMessage());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
