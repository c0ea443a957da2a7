package ai.ttt.block.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.ttt.block.TestModels;
import ai.ttt.block.io.InvalidFileException;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 (items 2 and 3): a state file is checked against the model before it is used. Each rule
 * broken by a hand-edited copy of a real state is refused with one line naming the file, the field
 * and the value; before, these loaded and then hung, failed later with a stack trace, or read on
 * silently with a different state.
 */
class StateFileValidationTest {

    static final int WINDOW = 6;
    static final int MINI_BATCH = 4;

    static NDManager manager;
    static TttLanguageModel model;

    @TempDir static Path tmp;

    /** Two mini-batches stepped and three inputs open: position 11, open_count 3. */
    static Path saved;

    static final long[] TOKENS = {1, 5, 9, 30, 2, 7, 7, 3, 11, 12, 4, 8, 20, 21, 22};

    static final int CUT = 11;

    @BeforeAll
    static void saveAState() throws IOException {
        manager = NDManager.newBaseManager();
        model =
                TestModels.random(
                        TestModels.tiny(WINDOW, MINI_BATCH),
                        7,
                        0.3,
                        manager,
                        Precision.FP32,
                        AttentionMode.PLAIN);
        saved = tmp.resolve("state.safetensors");
        try (NDManager out = manager.newSubManager();
                SequenceState s = SequenceState.create(model, 1, StateOptions.inference())) {
            s.feed(new long[][] {java.util.Arrays.copyOf(TOKENS, CUT)}, out);
            s.save(saved);
        }
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** Restores an edited copy and returns the refusal's message. */
    private static String refused(String name, Consumer<StateFiles.Content> edit)
            throws IOException {
        Path copy = tmp.resolve(name + ".safetensors");
        try (NDManager scratch = manager.newSubManager()) {
            StateFiles.rewrite(saved, copy, scratch, edit);
        }
        InvalidFileException e =
                assertThrows(
                        InvalidFileException.class,
                        () -> SequenceState.restore(model, copy).close(),
                        name + " must be refused");
        assertTrue(e.getMessage().startsWith(copy + ": "), e.getMessage());
        assertEquals(-1, e.getMessage().indexOf('\n'), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private static void set(StateFiles.Content c, String tensor, String index, Number value) {
        NDArray a = c.tensors.get(tensor);
        a.set(new NDIndex(index), value);
    }

    @Test
    void theSavedStateRestoresAndContinuesExactly() throws IOException {
        try (NDManager out = manager.newSubManager()) {
            float[] straight;
            try (SequenceState s = SequenceState.create(model, 1, StateOptions.inference())) {
                straight = s.feed(new long[][] {TOKENS}, out).targetNll().toFloatArray();
            }
            try (SequenceState s = SequenceState.restore(model, saved)) {
                assertEquals(CUT, s.position());
                assertEquals(3, s.openCount());
                float[] rest =
                        s.feed(
                                        new long[][] {
                                            java.util.Arrays.copyOfRange(TOKENS, CUT, TOKENS.length)
                                        },
                                        out)
                                .targetNll()
                                .toFloatArray();
                assertArrayEquals(
                        java.util.Arrays.copyOfRange(straight, CUT - 1, straight.length),
                        rest,
                        1e-5f);
            }
        }
    }

    /** Item 2: open_count 5000 made the next feed spin forever (room and len went negative). */
    @Test
    void anOpenCountBeyondTheMiniBatchIsRefusedInsteadOfHanging() throws IOException {
        String m = refused("open-count", c -> c.metadata.put("open_count", "5000"));
        assertTrue(
                m.endsWith(
                        "open_count 5000 does not fit position 11 and mini-batch 4 (expected 3)"),
                m);
        assertTrue(
                refused("open-count-negative", c -> c.metadata.put("open_count", "-1"))
                        .contains("open_count \"-1\" must be a non-negative decimal integer"));
    }

    /** Item 3: an id outside the vocabulary loaded, then failed later with a stack trace. */
    @Test
    void anOutOfRangeIdInTheOpenMiniBatchIsRefused() throws IOException {
        String m = refused("token", c -> set(c, "open.tokens", "0, 1", 32));
        assertTrue(
                m.endsWith(
                        "tensor \"open.tokens\" holds 32 at flat index 1, not a token id of the"
                                + " model [0, 31]"),
                m);
    }

    /** Item 3: a corrupted slot position loaded and gave a silently different continuation. */
    @Test
    void slotPositionsThatDoNotFollowFromThePositionAreRefused() throws IOException {
        // C = k - 1 + b = 9 slots; at position 11 slot 3 holds position 3.
        String m = refused("slots", c -> set(c, "slots.prefix", "3", 2L));
        assertTrue(
                m.endsWith(
                        "tensor \"slots.prefix\" holds position 2 at slot 3, but at position 11"
                                + " that slot holds 3"),
                m);
    }

    /** Item 3: NaN fast weights loaded and ended the chat later. */
    @Test
    void nonFiniteFastWeightsAndCachesAreRefused() throws IOException {
        assertTrue(
                refused("nan", c -> set(c, "fast.1", "0, 2, 3", Float.NaN))
                        .contains(
                                "tensor \"fast.1\" holds NaN at flat index 19; a state holds only finite values"));
        assertTrue(
                refused(
                                "inf",
                                c ->
                                        set(
                                                c,
                                                "cache.suffix.0.k",
                                                "0, 0, 1, 0",
                                                Float.NEGATIVE_INFINITY))
                        .contains("tensor \"cache.suffix.0.k\" holds -Infinity at flat index 4"));
        assertTrue(
                refused("nan-logits", c -> set(c, "last_logits", "0, 0", Float.NaN))
                        .contains("tensor \"last_logits\" holds NaN at flat index 0"));
    }

    @Test
    void metadataMustBeCanonicalKnownAndConsistent() throws IOException {
        assertTrue(
                refused("batch", c -> c.metadata.put("batch", "1000000000"))
                        .endsWith(
                                "tensor \"fast.0\" has shape [1, 8, 16], expected (1000000000, 8, 16)"));
        assertTrue(
                refused("position", c -> c.metadata.put("position", "12"))
                        .endsWith(
                                "open_count 3 does not fit position 12 and mini-batch 4 (expected 0 or 4)"));
        assertTrue(
                refused("huge", c -> c.metadata.put("position", "99999999999999999999"))
                        .endsWith(
                                "position \"99999999999999999999\" must be a non-negative decimal integer"));
        assertTrue(
                refused("ttt", c -> c.metadata.put("test_time_training", "yes"))
                        .endsWith("test_time_training \"yes\" must be true or false"));
        assertTrue(
                refused("unknown", c -> c.metadata.put("positon", "11"))
                        .endsWith("unknown metadata key \"positon\""));
        assertTrue(
                refused("version", c -> c.metadata.put("ttt_state_version", "2"))
                        .endsWith(
                                "not a TTT-E2E state file of version 1 (ttt_state_version \"2\")"));
        assertTrue(
                refused("missing", c -> c.metadata.remove("precision"))
                        .endsWith("metadata has no \"precision\""));
    }

    @Test
    void tensorsMustHaveTheModelsNamesDtypesAndShapes() throws IOException {
        assertTrue(
                refused(
                                "dtype",
                                c ->
                                        c.tensors.put(
                                                "fast.0",
                                                c.tensors
                                                        .get("fast.0")
                                                        .toType(DataType.FLOAT64, false)))
                        .endsWith("tensor \"fast.0\" has dtype F64, expected F32"));
        assertTrue(
                refused("no-logits", c -> c.tensors.remove("last_logits"))
                        .endsWith("missing tensor \"last_logits\""));
        assertTrue(
                refused("extra", c -> c.tensors.put("extra", c.tensors.get("skipped").duplicate()))
                        .endsWith("unexpected tensor \"extra\""));
        assertTrue(
                refused("skipped", c -> set(c, "skipped", "0", 3L))
                        .contains("tensor \"skipped\" holds 3 at flat index 0, not a count"));
    }
}
