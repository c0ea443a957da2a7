package ai.ttt.block.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.ttt.block.Fixtures;
import ai.ttt.block.TestModels;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.kernels.Kernels;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3, acceptance 3–6 and the non-finite rule, on the official fixture with two suffix layers
 * (tiny-L4-S2-k24: b = 16, k = 24): bitwise determinism alone and beside other threads, constant
 * retained memory, threads and batches, save/restore.
 */
class EngineBehaviourTest {

    static NDManager manager;
    static TttLanguageModel model;
    static long[] reference;

    @BeforeAll
    static void load() throws Exception {
        manager = NDManager.newBaseManager();
        model =
                TestModels.official(
                        "official/tiny-L4-S2-k24", manager, Precision.FP32, AttentionMode.FUSED);
        try (SafetensorsFile f =
                SafetensorsFile.open(
                        Fixtures.get("official/tiny-L4-S2-k24/reference.safetensors"))) {
            reference = f.toNDArray("tokens", manager).toLongArray();
        }
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** Reads a sequence with test-time training and returns its per-token NLLs on the host. */
    static float[] nll(long[] tokens) {
        try (NDManager out = manager.newSubManager();
                SequenceState s = SequenceState.create(model, 1, StateOptions.inference())) {
            return s.feed(new long[][] {tokens}, out).targetNll().toFloatArray();
        }
    }

    static long[] randomTokens(long seed, int n) {
        Random r = new Random(seed);
        long[] t = new long[n];
        t[0] = 1;
        for (int i = 1; i < n; i++) {
            t[i] = 2 + r.nextInt(500);
        }
        return t;
    }

    @Test
    void bitwiseSameAloneAndBesideOtherThreads() throws Exception {
        float[] alone = nll(reference);
        assertArrayEquals(alone, nll(reference), "run to run");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> runs = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                long[] tokens = i % 3 == 0 ? reference : randomTokens(i, reference.length);
                runs.add(pool.submit(() -> nll(tokens)));
            }
            for (int i = 0; i < runs.size(); i += 3) {
                assertArrayEquals(alone, runs.get(i).get(), "run " + i + " beside 3 other threads");
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void eightSequencesOnFourThreadsAndAsOneBatch() throws Exception {
        int n = 65;
        long[][] sequences = new long[8][];
        float[][] sequential = new float[8][];
        for (int i = 0; i < 8; i++) {
            sequences[i] = randomTokens(100 + i, n);
            sequential[i] = nll(sequences[i]);
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> runs = new ArrayList<>();
            for (long[] s : sequences) {
                runs.add(pool.submit(() -> nll(s)));
            }
            for (int i = 0; i < 8; i++) {
                assertArrayEquals(sequential[i], runs.get(i).get(), "sequence " + i);
            }
        } finally {
            pool.shutdown();
        }
        try (NDManager out = manager.newSubManager();
                SequenceState s = SequenceState.create(model, 8, StateOptions.inference())) {
            NDArray batched = s.feed(sequences, out).targetNll();
            float max = 0;
            for (int i = 0; i < 8; i++) {
                float[] row = batched.get(i).toFloatArray();
                for (int t = 0; t < row.length; t++) {
                    max = Math.max(max, Math.abs(row[t] - sequential[i][t]));
                }
            }
            System.out.printf("batch of 8 vs sequential: max |Δnll| %.2e%n", max);
            assertTrue(max <= 1e-5, "batch of 8 " + max);
        }
    }

    @Test
    void retainedMemoryDoesNotGrowWithLength() {
        long[] tokens = randomTokens(7, 16 * 64 + 1);
        int[] live = new int[2];
        int[] lengths = {16 * 8, 16 * 64};
        for (int run = 0; run < 2; run++) {
            try (SequenceState s = SequenceState.create(model, 1, StateOptions.inference())) {
                int before = manager.getManagedArrays().size();
                for (int i = 0; i < lengths[run]; i += 40) {
                    long[] piece =
                            java.util.Arrays.copyOfRange(tokens, i, Math.min(lengths[run], i + 40));
                    try (NDManager out = manager.newSubManager()) {
                        s.feed(new long[][] {piece}, out);
                    }
                }
                live[run] = manager.getManagedArrays().size() - before;
                assertEquals(lengths[run], s.position());
            }
        }
        System.out.printf(
                "arrays retained after %d tokens: %d; after %d tokens: %d%n",
                lengths[0], live[0], lengths[1], live[1]);
        assertEquals(live[0], live[1], "retained arrays must not grow with the length read");
    }

    @Test
    void saveAndRestoreContinueExactly(@TempDir Path tmp) throws Exception {
        long[] tokens = randomTokens(5, 16 * 5 + 1);
        int cut = 16 * 2 + 5; // two mini-batches stepped, five inputs open
        long[] head = java.util.Arrays.copyOf(tokens, cut);
        long[] tail = java.util.Arrays.copyOfRange(tokens, cut, tokens.length);
        Path file = tmp.resolve("state.safetensors");
        try (NDManager out = manager.newSubManager()) {
            float[] neverStopped;
            try (SequenceState s = SequenceState.create(model, 1, StateOptions.inference())) {
                s.feed(new long[][] {head}, out);
                neverStopped = s.feed(new long[][] {tail}, out).targetNll().toFloatArray();
            }
            try (SequenceState s = SequenceState.create(model, 1, StateOptions.inference())) {
                s.feed(new long[][] {head}, out);
                s.save(file);
            }
            try (SequenceState s = SequenceState.restore(model, file)) {
                assertEquals(cut, s.position());
                assertEquals(5, s.openCount());
                float[] restored = s.feed(new long[][] {tail}, out).targetNll().toFloatArray();
                assertArrayEquals(neverStopped, restored, "restored state continues bitwise");
                // And the same as reading everything in one call, up to the rounding of the
                // paths (open mini-batch vs one-pass step).
                float[] oneCall = nll(tokens);
                for (int t = 0; t < restored.length; t++) {
                    assertEquals(oneCall[cut - 1 + t], restored[t], 1e-5, "t=" + t);
                }
            }
        }
    }

    @Test
    void nonFiniteGradientSkipsTheUpdateAndIsCounted() {
        Kernels kernels = Kernels.forDevice(manager.getDevice());
        int[] calls = {0};
        InnerGradient poisonFirst =
                (loss, wrt, createGraph, retainGraph) -> {
                    NDList g = kernels.grad(loss, wrt, retainGraph || createGraph, createGraph);
                    if (calls[0]++ == 0) {
                        g.get(0).set(new NDIndex("0, 0, 0"), Float.NaN);
                    }
                    return g;
                };
        long[] tokens = randomTokens(9, 16 * 3 + 1);
        try (NDManager out = manager.newSubManager();
                SequenceState s =
                        SequenceState.create(
                                model,
                                1,
                                StateOptions.inference()
                                        .withExecution(StateOptions.Execution.PLAIN),
                                poisonFirst)) {
            NDList w0 = new NDList();
            for (NDArray w : s.fastWeights().asList()) {
                w0.add(w.duplicate());
            }
            FeedResult r = s.feed(new long[][] {java.util.Arrays.copyOf(tokens, 17)}, out);
            assertEquals(1, s.skippedUpdates().getLong(0));
            for (int i = 0; i < w0.size(); i++) {
                assertTrue(w0.get(i).contentEquals(s.fastWeights().asList().get(i)), "W unchanged");
            }
            assertTrue(Float.isFinite(r.chunkLosses().getFloat(0, 0)));
            FeedResult next =
                    s.feed(
                            new long[][] {java.util.Arrays.copyOfRange(tokens, 17, tokens.length)},
                            out);
            assertEquals(1, s.skippedUpdates().getLong(0), "later steps are taken");
            assertTrue(!w0.get(0).contentEquals(s.fastWeights().asList().get(0)), "W moved");
            float[] nll = next.targetNll().toFloatArray();
            for (float v : nll) {
                assertTrue(Float.isFinite(v));
            }
        }
    }
}
