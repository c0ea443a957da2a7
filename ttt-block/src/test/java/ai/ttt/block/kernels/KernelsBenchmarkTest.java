package ai.ttt.block.kernels;

import static ai.ttt.block.kernels.KernelTestData.bandMask;
import static ai.ttt.block.kernels.KernelTestData.normal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Per-call costs of the kernels against plain DJL ops; prints a table. Opt-in: {@code mvn -pl
 * ttt-block test -Dtest=KernelsBenchmarkTest -Dttt.kernels.bench=true}, optionally with {@code
 * -Dttt.kernels.bench.device=gpu}.
 */
@EnabledIfSystemProperty(named = "ttt.kernels.bench", matches = "true")
class KernelsBenchmarkTest {

    private static final int REPS = 7;

    @Test
    void printCosts() {
        Device device =
                "gpu".equals(System.getProperty("ttt.kernels.bench.device"))
                        ? Device.gpu()
                        : Device.cpu();
        long t0 = System.nanoTime();
        Kernels own = new Kernels(device);
        long t1 = System.nanoTime();
        own.close();
        Kernels kernels = Kernels.forDevice(device);
        long t2 = System.nanoTime();
        System.out.printf(
                "load 5 modules: %.1f ms with engine start-up, %.1f ms without%n",
                (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try (NDManager m = NDManager.newBaseManager(device)) {
            // B, H, Hkv, n, cache, hd
            int[][] shapes = {
                {1, 4, 4, 1, 63, 32},
                {1, 8, 2, 1, 255, 64},
                {1, 8, 8, 64, 256, 64},
                {1, 8, 2, 64, 256, 64},
                {1, 32, 8, 256, 768, 64}
            };
            for (int[] s : shapes) {
                bench(kernels, m, s);
            }
            NDArray w = normal(m, new Random(1), DataType.FLOAT32, 4, 4);
            w.setRequiresGradient(true);
            NDArray loss = w.square().sum();
            System.out.printf(
                    "grad of a tiny loss (retainGraph): %.1f us%n",
                    time(2000, () -> kernels.grad(loss, new NDList(w), true, false).close()));
            System.out.printf(
                    "for scale, a tiny DJL add + close: %.1f us%n",
                    time(2000, () -> w.add(w).close()));
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    private static void bench(Kernels kernels, NDManager m, int[] s) {
        int b = s[0];
        int h = s[1];
        int hkv = s[2];
        int n = s[3];
        int cache = s[4];
        int hd = s[5];
        Random r = new Random(3);
        NDArray q = normal(m, r, DataType.FLOAT32, b, h, n, hd);
        NDArray k = normal(m, r, DataType.FLOAT32, b, hkv, cache + n, hd);
        NDArray v = normal(m, r, DataType.FLOAT32, b, hkv, cache + n, hd);
        NDArray c = normal(m, r, DataType.FLOAT32, b, h, n, hd);
        NDArray mask = bandMask(m, n, cache, cache, DataType.FLOAT32);
        q.setRequiresGradient(true);
        k.setRequiresGradient(true);
        v.setRequiresGradient(true);
        NDList qkv = new NDList(q, k, v);
        long flopsScale = (long) b * h * n * (cache + n) * hd;
        int iters = (int) Math.max(5, Math.min(2000, 2e8 / Math.max(1, flopsScale)));
        double fusedEval = time(iters, () -> kernels.attention(q, k, v, mask, false).close());
        double plainEval =
                time(
                        iters,
                        () -> {
                            JniUtils.setGradMode(false);
                            PlainAttention.plainAttention(q, k, v, mask).close();
                            JniUtils.setGradMode(true);
                        });
        double fusedGrad =
                time(
                        iters,
                        () -> {
                            try (NDArray o = kernels.attention(q, k, v, mask, true);
                                    NDArray oc = o.mul(c);
                                    NDArray l = oc.sum()) {
                                kernels.grad(l, qkv, false).close();
                            }
                        });
        double plainGrad =
                time(
                        iters,
                        () -> {
                            try (NDArray o = PlainAttention.plainAttention(q, k, v, mask);
                                    NDArray oc = o.mul(c);
                                    NDArray l = oc.sum()) {
                                kernels.grad(l, qkv, false).close();
                            }
                        });
        System.out.printf(
                "B=%d H=%d Hkv=%d n=%d m=%d hd=%d: forward fused %.1f us, plain %.1f us;"
                        + " forward+grad(q,k,v) fused %.1f us, plain %.1f us%n",
                b, h, hkv, n, cache + n, hd, fusedEval, plainEval, fusedGrad, plainGrad);
    }

    /** Returns the median over {@link #REPS} rounds of the mean µs per call. */
    private static double time(int iters, Runnable call) {
        for (int i = 0; i < Math.min(iters, 20); i++) {
            call.run();
        }
        double[] rounds = new double[REPS];
        for (int rep = 0; rep < REPS; rep++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < iters; i++) {
                call.run();
            }
            rounds[rep] = (System.nanoTime() - t0) / 1e3 / iters;
        }
        Arrays.sort(rounds);
        return rounds[REPS / 2];
    }
}
