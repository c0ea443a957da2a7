package ai.ttt.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.ttt.block.TestModels;
import ai.ttt.block.TttConfig;
import ai.ttt.block.engine.InnerGradient;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.kernels.Kernels;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 6, acceptance 1 (second half): on a tiny model in fp64, the meta-gradient of every
 * parameter tensor agrees with central finite differences of the outer loss to 1e-4 relative (max
 * |Δ| over max |g|, on 6 random entries per tensor plus its largest), and the first-order variant
 * (inner gradients treated as constants) differs.
 */
class MetaGradientFiniteDifferenceTest {

    static final double EPS = 1e-6;

    @Test
    void secondOrderMatchesFiniteDifferencesAndFirstOrderDiffers() throws Exception {
        TttConfig c = TestModels.tiny(6, 4);
        Random r = new Random(17);
        long[] tokens = new long[2 * 13];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i % 13 == 0 ? 1 : 2 + r.nextInt(30);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            TttLanguageModel model =
                    TestModels.random(c, 5, 0.4, m, Precision.FP64, AttentionMode.PLAIN);
            MetaObjective.setTrainable(model, true);
            NDArray batch = m.create(tokens, new Shape(2, 13));
            MetaObjective.Result second =
                    MetaObjective.lossAndGradients(model, batch, true, 1.0, m);
            MetaObjective.Result first =
                    MetaObjective.lossAndGradients(model, batch, false, 1.0, m);
            InnerGradient inner = InnerGradient.of(Kernels.forDevice(m.getDevice()));
            double largestFirstOrderGap = 0;
            for (Map.Entry<Parameter, NDArray> e : second.gradients().entrySet()) {
                NDArray w = e.getKey().getArray();
                double[] g = e.getValue().toDoubleArray();
                double[] g1 = first.gradients().get(e.getKey()).toDoubleArray();
                double maxG = 0;
                int argMax = 0;
                double gap = 0;
                for (int i = 0; i < g.length; i++) {
                    if (Math.abs(g[i]) > maxG) {
                        maxG = Math.abs(g[i]);
                        argMax = i;
                    }
                    gap = Math.max(gap, Math.abs(g[i] - g1[i]));
                }
                largestFirstOrderGap = Math.max(largestFirstOrderGap, gap / maxG);
                double maxDiff = 0;
                for (int k = 0; k < 7; k++) {
                    int i = k == 0 ? argMax : r.nextInt(g.length);
                    double plus = lossWith(model, w, i, EPS, batch, inner, m);
                    double minus = lossWith(model, w, i, -EPS, batch, inner, m);
                    double fd = (plus - minus) / (2 * EPS);
                    maxDiff = Math.max(maxDiff, Math.abs(fd - g[i]));
                }
                double rel = maxDiff / maxG;
                System.out.printf(
                        "%-22s max|g| %.3e  FD rel %.2e  first-order gap %.2e%n",
                        e.getKey().getName() + w.getShape(), maxG, rel, gap / maxG);
                assertTrue(rel <= 1e-4, e.getKey().getName() + " relative error " + rel);
            }
            System.out.printf("largest relative first-order gap: %.3e%n", largestFirstOrderGap);
            assertTrue(largestFirstOrderGap > 1e-3, "first-order variant differs");
        }
    }

    /** The outer loss with one entry of a parameter moved by delta (restored afterwards). */
    static double lossWith(
            TttLanguageModel model,
            NDArray w,
            int flatIndex,
            double delta,
            NDArray tokens,
            InnerGradient inner,
            NDManager m) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        NDArray flat = w.reshape(-1);
        double original = flat.getDouble(flatIndex);
        flat.set(new ai.djl.ndarray.index.NDIndex("{}", flatIndex), original + delta);
        JniUtils.setGradMode(grad);
        try (NDManager scratch = m.newSubManager()) {
            return MetaObjective.outerLoss(model, tokens, true, 1.0, inner, scratch).getDouble();
        } finally {
            JniUtils.setGradMode(false);
            flat.set(new ai.djl.ndarray.index.NDIndex("{}", flatIndex), original);
            JniUtils.setGradMode(grad);
        }
    }
}
