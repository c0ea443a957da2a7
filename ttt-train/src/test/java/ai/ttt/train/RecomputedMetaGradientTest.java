package ai.ttt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.ttt.block.TestModels;
import ai.ttt.block.TttConfig;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 6, recomputation: the meta-gradient computed one mini-batch at a time from stored carries
 * equals the one differentiated through the whole sequence's graph, for both the exact and the
 * first-order variant and for the sliding-window baseline (S = 0, plain next-token training), in
 * fp64 on a model whose cache spans several mini-batches (window 10, mini-batch 4: keys reach back
 * 4 mini-batches, and drop out of the window within the sequence).
 */
class RecomputedMetaGradientTest {

    @ParameterizedTest(name = "second order {0}, S = {1}")
    @CsvSource({"true, 2", "false, 2", "true, 0"})
    void equalsTheGradientThroughTheWholeGraph(boolean secondOrder, int primeLayers)
            throws Exception {
        TttConfig c = TestModels.tiny(10, 4).withTtt(10, 4, primeLayers);
        int length = 8 * 4 + 1;
        Random r = new Random(5);
        long[] tokens = new long[2 * length];
        for (int i = 0; i < tokens.length; i++) {
            // BOS at every sequence start and inside the second sequence (a packed document).
            tokens[i] = i % length == 0 || i == length + 14 ? 1 : 2 + r.nextInt(30);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            TttLanguageModel model =
                    TestModels.random(c, 9, 0.4, m, Precision.FP64, AttentionMode.PLAIN);
            MetaObjective.setTrainable(model, true);
            NDArray batch = m.create(tokens, new Shape(2, length));
            MetaObjective.Result whole =
                    MetaObjective.lossAndGradients(model, batch, secondOrder, 0.7, m);
            MetaObjective.Result recomputed =
                    RecomputedMetaGradient.lossAndGradients(model, batch, secondOrder, 0.7, m);
            assertEquals(whole.loss().getDouble(), recomputed.loss().getDouble(), 1e-12, "loss");
            assertEquals(whole.gradients().keySet(), recomputed.gradients().keySet());
            for (Map.Entry<Parameter, NDArray> e : whole.gradients().entrySet()) {
                NDArray want = e.getValue();
                NDArray got = recomputed.gradients().get(e.getKey());
                assertEquals(want.getShape(), got.getShape(), e.getKey().getName());
                double maxRef = want.abs().max().getDouble();
                double rel = got.sub(want).abs().max().getDouble() / maxRef;
                System.out.printf(
                        "%-22s max|g| %.3e  rel %.2e%n", e.getKey().getName(), maxRef, rel);
                assertTrue(maxRef > 0, e.getKey().getName() + " has a gradient");
                assertTrue(rel <= 1e-10, e.getKey().getName() + " relative difference " + rel);
            }
        }
    }
}
