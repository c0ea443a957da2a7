package ai.ttt.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.TestModels;
import ai.ttt.block.TttConfig;
import ai.ttt.block.engine.StateOptions.Execution;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 6, recomputation (and issue 11: the program's): on the default model's architecture, the
 * peak memory of a meta-gradient recomputed per mini-batch grows with the sequence only by the
 * stored carry (fast weights and the new keys/values of each mini-batch), while differentiating the
 * whole graph grows by a mini-batch's graph per mini-batch.
 *
 * <p>Peak resident memory is read from {@code /proc/self/status} (VmHWM) after resetting it through
 * {@code /proc/self/clear_refs}. The build runs this class in its own JVM with glibc's mmap
 * threshold fixed at 64 KiB, so freed tensors go back to the system at once and the peak measures
 * what was alive, not what the allocator kept.
 */
class RecomputationMemoryTest {

    private static final int SHORT = 8;
    private static final int LONG = 20;

    /** On the plain engine and on the program, each against its own whole-graph objective. */
    @ParameterizedTest
    @EnumSource(Execution.class)
    void peakMemoryGrowsOnlyByTheStoredCarry(Execution engine) throws Exception {
        assertTrue(
                System.getenv("MALLOC_MMAP_THRESHOLD_") != null,
                "run with MALLOC_MMAP_THRESHOLD_=65536 MALLOC_TRIM_THRESHOLD_=65536 (Maven sets"
                        + " them for ttt-train's tests); without them the allocator keeps freed"
                        + " memory and the peak is not what was alive");
        TttConfig c = TrainPresets.defaultModel(2);
        try (NDManager m = NDManager.newBaseManager()) {
            TttLanguageModel model =
                    TestModels.random(c, 3, 0.05, m, Precision.FP32, AttentionMode.PLAIN);
            MetaObjective.setTrainable(model, true);
            peakGrowth(model, SHORT, true, engine, m); // warm-up: kernels, thread pools, JIT
            long recomputedShort = peakGrowth(model, SHORT, true, engine, m);
            long recomputedLong = peakGrowth(model, LONG, true, engine, m);
            long wholeShort = peakGrowth(model, SHORT, false, engine, m);
            long wholeLong = peakGrowth(model, LONG, false, engine, m);

            // Per mini-batch and sequence: every fast weight, and b new keys and values per layer.
            long fastWeights = 0;
            for (var layer : model.layers()) {
                if (layer.hasPrime()) {
                    fastWeights += layer.prime().w13().getArray().size();
                    fastWeights += layer.prime().w2().getArray().size();
                }
            }
            long keysValues = 2L * c.numLayers() * c.numKvHeads() * c.miniBatchSize() * c.headDim();
            long carry = 4 * (fastWeights + keysValues);
            int extra = LONG - SHORT;
            double perRecomputed = (recomputedLong - recomputedShort) / (double) extra;
            double perWhole = (wholeLong - wholeShort) / (double) extra;
            System.out.printf(
                    "%s: peak growth, %d → %d mini-batches: recomputed %.1f → %.1f MB (%.2f MB per"
                            + " mini-batch), whole graph %.1f → %.1f MB (%.2f MB per mini-batch);"
                            + " stored carry %.2f MB per mini-batch%n",
                    engine,
                    SHORT,
                    LONG,
                    mb(recomputedShort),
                    mb(recomputedLong),
                    mb(perRecomputed),
                    mb(wholeShort),
                    mb(wholeLong),
                    mb(perWhole),
                    mb(carry));
            assertTrue(
                    perRecomputed <= 1.5 * carry,
                    "recomputation grows by "
                            + mb(perRecomputed)
                            + " MB per mini-batch, more than the carry of "
                            + mb(carry)
                            + " MB");
            assertTrue(
                    perWhole >= 5 * carry,
                    "the whole graph should grow far faster (the test must be able to tell), "
                            + mb(perWhole)
                            + " MB per mini-batch");
        }
    }

    /** The growth of peak resident memory while one meta-gradient is computed and freed. */
    private static long peakGrowth(
            TttLanguageModel model,
            int miniBatches,
            boolean recompute,
            Execution engine,
            NDManager m)
            throws IOException {
        long[] tokens = new long[miniBatches * model.config().miniBatchSize() + 1];
        Random r = new Random(1);
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(256);
        }
        System.gc();
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException e) {
            throw new IOException(
                    "this test resets the peak resident memory through /proc/self/clear_refs"
                            + " (Linux); it cannot here: "
                            + e,
                    e);
        }
        long base = statusBytes("VmRSS");
        try (NDManager scratch = m.newSubManager()) {
            NDArray batch = scratch.create(tokens, new Shape(1, tokens.length));
            MetaObjective.Result result =
                    MetaObjective.lossAndGradients(
                            model, batch, true, 1.0, engine, recompute, scratch);
            assertTrue(Float.isFinite(result.loss().getFloat()));
        }
        return statusBytes("VmHWM") - base;
    }

    private static long statusBytes(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(key + ":")) {
                return 1024 * Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("/proc/self/status has no " + key);
    }

    private static double mb(double bytes) {
        return bytes / (1 << 20);
    }
}
