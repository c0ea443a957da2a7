package ai.ttt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** AdamW against a plain Java loop, and without arrays left behind by its steps. */
class AdamWTest {

    @Test
    void matchesThePlainUpdateAndLeavesNoArraysBehind() {
        float[] p0 = {0.5f, -1.0f, 2.0f, 0.0f};
        float[][] grads = {{0.1f, -0.2f, 0.3f, 0f}, {-0.4f, 0.5f, 0.0f, 1f}, {0.2f, 0.2f, -1f, 0f}};
        double[] lrs = {1e-2, 5e-3, 1e-3};
        double b1 = 0.9;
        double b2 = 0.95;
        double eps = 1e-8;
        double wd = 0.1;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(p0, new Shape(2, 2));
            AdamW adam = new AdamW(List.of(p), m, b1, b2, eps, wd);
            int live = m.getManagedArrays().size();
            double[] w = new double[4];
            double[] mm = new double[4];
            double[] vv = new double[4];
            for (int i = 0; i < 4; i++) {
                w[i] = p0[i];
            }
            for (int t = 1; t <= grads.length; t++) {
                try (NDManager step = m.newSubManager()) {
                    NDArray g = step.create(grads[t - 1], new Shape(2, 2));
                    adam.step(List.of(p), List.of(g), lrs[t - 1]);
                }
                for (int i = 0; i < 4; i++) {
                    double g = grads[t - 1][i];
                    mm[i] = b1 * mm[i] + (1 - b1) * g;
                    vv[i] = b2 * vv[i] + (1 - b2) * g * g;
                    double mHat = mm[i] / (1 - Math.pow(b1, t));
                    double vHat = vv[i] / (1 - Math.pow(b2, t));
                    w[i] -= lrs[t - 1] * (wd * w[i] + mHat / (Math.sqrt(vHat) + eps));
                }
                assertEquals(live, m.getManagedArrays().size(), "arrays after step " + t);
            }
            float[] got = p.toFloatArray();
            float[] want = new float[4];
            for (int i = 0; i < 4; i++) {
                want[i] = (float) w[i];
            }
            assertArrayEquals(want, got, 1e-6f);
            assertEquals(grads.length, adam.steps());
        }
    }
}
