package ai.ttt.block.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.ttt.block.TestModels;
import ai.ttt.block.TttConfig;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.kernels.Kernels;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 3, acceptance 2: the fast-weight gradient of the inner loss agrees with fp64 central finite
 * differences to 1e-4 relative per tensor (max |Δ| over max |g|), on both paths that take a step:
 * the one-pass prefill step (at W0) and the re-run of a mini-batch completed by decoding (at W1,
 * with cached keys/values from W0 as constants). Two suffix layers, so the gradient also flows
 * through a later suffix layer's attention.
 */
class FastWeightGradientTest {

    /** The plain engine, whose gradient seam records the analytic gradients. */
    static final StateOptions PLAIN =
            StateOptions.inference().withExecution(StateOptions.Execution.PLAIN);

    static final double EPS = 1e-6;

    /** Records the gradients the engine takes, in order. */
    static final class Recorder implements InnerGradient {
        final List<double[][]> steps = new ArrayList<>();
        final Kernels kernels = Kernels.forDevice(ai.djl.Device.cpu());

        @Override
        public NDList grad(NDArray loss, NDList wrt, boolean createGraph, boolean retainGraph) {
            NDList g = kernels.grad(loss, wrt, retainGraph || createGraph, createGraph);
            double[][] copy = new double[g.size()][];
            for (int i = 0; i < g.size(); i++) {
                copy[i] = g.get(i).toDoubleArray();
            }
            steps.add(copy);
            return g;
        }
    }

    @ParameterizedTest
    @EnumSource(AttentionMode.class)
    void matchesCentralDifferences(AttentionMode attention, @TempDir Path tmp) throws Exception {
        TttConfig c = TestModels.tiny(6, 4);
        long[] tokens = new long[9];
        Random r = new Random(3);
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = 2 + r.nextInt(30);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            TttLanguageModel model = TestModels.random(c, 11, 0.3, m, Precision.FP64, attention);
            Recorder recorder = new Recorder();
            Path afterFirstStep = tmp.resolve("state.safetensors");
            try (SequenceState s = SequenceState.create(model, 1, PLAIN, recorder)) {
                // Inputs 0..3 with targets 1..4: one-pass step at W0; input 4 stays open.
                s.feed(new long[][] {slice(tokens, 0, 5)}, m);
                s.save(afterFirstStep);
                // Inputs 5..7, then token 8 completes the open mini-batch: its step re-runs it.
                FeedResult last = s.feed(new long[][] {slice(tokens, 5, 9)}, m);
                assertNotNull(last.chunkLosses());
            }
            assertEquals(2, recorder.steps.size());

            // Step 1: the one-pass prefill step at W0.
            double[][] g0 = recorder.steps.get(0);
            compare(
                    "prefill step",
                    g0,
                    (tensor, index, delta) -> {
                        try (SequenceState s = SequenceState.create(model, 1, PLAIN, recorder)) {
                            perturb(s, tensor, index, delta);
                            return s.feed(new long[][] {slice(tokens, 0, 5)}, m)
                                    .chunkLosses()
                                    .toDoubleArray()[0];
                        }
                    });

            // Step 2: the decoded mini-batch, from the saved state at W1.
            double[][] g1 = recorder.steps.get(1);
            compare(
                    "decode step",
                    g1,
                    (tensor, index, delta) -> {
                        try (SequenceState s = SequenceState.restore(model, afterFirstStep)) {
                            perturb(s, tensor, index, delta);
                            return s.feed(new long[][] {slice(tokens, 5, 9)}, m)
                                    .chunkLosses()
                                    .toDoubleArray()[0];
                        }
                    });
        }
    }

    interface Loss {
        double at(int tensor, int index, double delta) throws Exception;
    }

    static void compare(String what, double[][] analytic, Loss loss) throws Exception {
        for (int t = 0; t < analytic.length; t++) {
            double maxG = 0;
            double maxDiff = 0;
            for (int i = 0; i < analytic[t].length; i++) {
                double fd = (loss.at(t, i, EPS) - loss.at(t, i, -EPS)) / (2 * EPS);
                maxG = Math.max(maxG, Math.abs(analytic[t][i]));
                maxDiff = Math.max(maxDiff, Math.abs(fd - analytic[t][i]));
            }
            double rel = maxDiff / maxG;
            System.out.printf(
                    "%s, fast-weight tensor %d: max|g| %.3e, relative error %.2e%n",
                    what, t, maxG, rel);
            assertTrue(maxG > 1e-6, "gradient is not trivially zero");
            assertTrue(rel <= 1e-4, what + " tensor " + t + " relative error " + rel);
        }
    }

    static void perturb(SequenceState s, int tensor, int flatIndex, double delta) {
        NDArray w = s.fastWeights().asList().get(tensor);
        NDArray flat = w.reshape(-1);
        double v = flat.getDouble(flatIndex);
        NDArray updated = flat.duplicate();
        updated.set(new NDIndex("{}", flatIndex), v + delta);
        w.set(new NDIndex("..."), updated.reshape(w.getShape()));
    }

    static long[] slice(long[] a, int from, int to) {
        return java.util.Arrays.copyOfRange(a, from, to);
    }
}
