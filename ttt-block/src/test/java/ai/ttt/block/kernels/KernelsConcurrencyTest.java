package ai.ttt.block.kernels;

import static ai.ttt.block.kernels.KernelTestData.bandMask;
import static ai.ttt.block.kernels.KernelTestData.normal;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Shared kernels on a thread pool: results bitwise equal to a single-threaded run. */
class KernelsConcurrencyTest {

    private static final int TASKS = 16;
    private static final int THREADS = 4;
    private static final int N = 5;
    private static final int CACHE = 7;

    @Test
    void poolResultsAreBitwiseEqualToSingleThreaded() throws Exception {
        Kernels kernels = Kernels.forDevice(Device.cpu());
        boolean gradMode = JniUtils.isGradMode();
        try (NDManager shared = NDManager.newBaseManager(Device.cpu())) {
            // One mask shared by every task, with a name that forces the alias path concurrently.
            NDArray mask = bandMask(shared, N, CACHE, 6, DataType.FLOAT32);
            mask.setName("shared.band_mask");

            JniUtils.setGradMode(true);
            List<float[][]> expected = new ArrayList<>();
            for (int t = 0; t < TASKS; t++) {
                expected.add(task(kernels, mask, t));
            }

            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<float[][]>> futures = new ArrayList<>();
                for (int t = 0; t < TASKS; t++) {
                    int seed = t;
                    futures.add(
                            pool.submit(
                                    () -> {
                                        // Grad mode is thread-local: set it on the worker.
                                        JniUtils.setGradMode(true);
                                        return task(kernels, mask, seed);
                                    }));
                }
                for (int t = 0; t < TASKS; t++) {
                    float[][] got = futures.get(t).get(120, TimeUnit.SECONDS);
                    float[][] want = expected.get(t);
                    assertEquals(want.length, got.length);
                    for (int i = 0; i < want.length; i++) {
                        assertArrayEquals(want[i], got[i], "task " + t + ", output " + i);
                    }
                }
            } finally {
                pool.shutdown();
                pool.awaitTermination(60, TimeUnit.SECONDS);
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** Attention (train and eval) and the gradient w.r.t. q, k, v of Σ c ⊙ attention. */
    private static float[][] task(Kernels kernels, NDArray mask, int seed) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Random r = new Random(1000 + seed);
            NDArray q = normal(m, r, DataType.FLOAT32, 2, 4, N, 16);
            NDArray k = normal(m, r, DataType.FLOAT32, 2, 2, CACHE + N, 16);
            NDArray v = normal(m, r, DataType.FLOAT32, 2, 2, CACHE + N, 16);
            NDArray c = normal(m, r, DataType.FLOAT32, 2, 4, N, 16);
            q.setRequiresGradient(true);
            k.setRequiresGradient(true);
            v.setRequiresGradient(true);
            NDArray out = kernels.attention(q, k, v, mask, true);
            NDArray eval = kernels.attention(q, k, v, mask, false);
            NDList g = kernels.grad(out.mul(c).sum(), new NDList(q, k, v), false);
            return new float[][] {
                out.toFloatArray(),
                eval.toFloatArray(),
                g.get(0).toFloatArray(),
                g.get(1).toFloatArray(),
                g.get(2).toFloatArray()
            };
        }
    }
}
