package ai.ttt.block.kernels;

import static ai.ttt.block.kernels.KernelTestData.bandMask;
import static ai.ttt.block.kernels.KernelTestData.fromDoubles;
import static ai.ttt.block.kernels.KernelTestData.maxAbs;
import static ai.ttt.block.kernels.KernelTestData.maxAbsDiff;
import static ai.ttt.block.kernels.KernelTestData.normal;
import static ai.ttt.block.kernels.KernelTestData.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The functional autograd kernel (first order, second order, edge cases) and the cast kernel. */
class KernelsGradTest {

    private Kernels kernels;
    private NDManager manager;
    private boolean gradMode;

    @BeforeEach
    void setUp() {
        kernels = Kernels.forDevice(Device.cpu());
        manager = NDManager.newBaseManager(Device.cpu());
        gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
    }

    @AfterEach
    void tearDown() {
        JniUtils.setGradMode(gradMode);
        manager.close();
    }

    /** L(x, y) = Σ c ⊙ tanh(x·y) + Σ y ⊙ exp(y), in float64, against central differences. */
    @Test
    void gradMatchesCentralDifferences() {
        Random r = new Random(1);
        double[] x0 = gaussian(r, 12);
        double[] y0 = gaussian(r, 8);
        NDArray c = normal(manager, r, DataType.FLOAT64, 3, 2);
        Function<NDArray[], NDArray> f =
                a -> a[0].matMul(a[1]).tanh().mul(c).sum().add(a[1].mul(a[1].exp()).sum());
        NDArray x = fromDoubles(manager, x0, DataType.FLOAT64, 3, 4);
        NDArray y = fromDoubles(manager, y0, DataType.FLOAT64, 4, 2);
        x.setRequiresGradient(true);
        y.setRequiresGradient(true);
        NDList g = kernels.grad(f.apply(new NDArray[] {x, y}), new NDList(x, y), false);
        assertEquals(DataType.FLOAT64, g.get(0).getDataType());

        double h = 1e-6;
        double[][] base = {x0, y0};
        long[][] shapes = {{3, 4}, {4, 2}};
        for (int which = 0; which < 2; which++) {
            double[] fd = new double[base[which].length];
            for (int i = 0; i < fd.length; i++) {
                double[] plus = base[which].clone();
                double[] minus = base[which].clone();
                plus[i] += h;
                minus[i] -= h;
                fd[i] =
                        (eval(f, base, shapes, which, plus) - eval(f, base, shapes, which, minus))
                                / (2 * h);
            }
            double[] analytic = values(g.get(which));
            double err = 0;
            double scale = 0;
            for (int i = 0; i < fd.length; i++) {
                err = Math.max(err, Math.abs(analytic[i] - fd[i]));
                scale = Math.max(scale, Math.abs(fd[i]));
            }
            assertTrue(err / scale <= 1e-6, "input " + which + ": relative error " + err / scale);
        }
    }

    /** L = v·Σw³: first dL/dw = 3v·w², dL/dv = Σw³; then d(ΣdL/dw) = (6v·w, 3Σw²), exactly. */
    @Test
    void secondOrderIsExact() {
        double[] w0 = {0.5, -1.25, 2.0};
        double v0 = 1.5;
        NDArray w = manager.create(w0);
        NDArray v = manager.create(v0);
        w.setRequiresGradient(true);
        v.setRequiresGradient(true);
        NDArray loss = w.mul(w).mul(w).sum().mul(v);
        NDList first = kernels.grad(loss, new NDList(w, v), true);
        double[] gw = values(first.get(0));
        double sumCubes = 0;
        double sumSquares = 0;
        for (int i = 0; i < 3; i++) {
            assertEquals(3 * v0 * w0[i] * w0[i], gw[i], 0.0);
            sumCubes += w0[i] * w0[i] * w0[i];
            sumSquares += w0[i] * w0[i];
        }
        assertEquals(sumCubes, values(first.get(1))[0], 0.0);

        NDList second = kernels.grad(first.get(0).sum(), new NDList(w, v), false);
        assertArrayEquals(
                new double[] {6 * v0 * w0[0], 6 * v0 * w0[1], 6 * v0 * w0[2]},
                values(second.get(0)),
                0.0);
        assertEquals(3 * sumSquares, values(second.get(1))[0], 0.0);
        assertEquals(new Shape(), second.get(1).getShape());
    }

    /** Second order through PlainAttention: d/dk Σ r ⊙ ∂/∂q Σ c ⊙ attn, against differences. */
    @Test
    void secondOrderThroughPlainAttentionMatchesDifferences() {
        Random r = new Random(77);
        NDArray q = normal(manager, r, DataType.FLOAT64, 1, 2, 2, 3);
        double[] k0 = values(normal(manager, r, DataType.FLOAT64, 1, 1, 3, 3));
        NDArray v = normal(manager, r, DataType.FLOAT64, 1, 1, 3, 3);
        NDArray c = normal(manager, r, DataType.FLOAT64, 1, 2, 2, 3);
        NDArray rr = normal(manager, r, DataType.FLOAT64, 1, 2, 2, 3);
        NDArray mask = bandMask(manager, 2, 1, 2, DataType.FLOAT64);
        q.setRequiresGradient(true);

        NDArray k = fromDoubles(manager, k0, DataType.FLOAT64, 1, 1, 3, 3);
        k.setRequiresGradient(true);
        NDArray dq =
                kernels.grad(
                                PlainAttention.plainAttention(q, k, v, mask).mul(c).sum(),
                                new NDList(q),
                                true)
                        .singletonOrThrow();
        double[] analytic =
                values(kernels.grad(dq.mul(rr).sum(), new NDList(k), false).singletonOrThrow());

        double h = 1e-6;
        double err = 0;
        double scale = 0;
        for (int i = 0; i < k0.length; i++) {
            double[] plus = k0.clone();
            double[] minus = k0.clone();
            plus[i] += h;
            minus[i] -= h;
            double fd =
                    (innerObjective(q, plus, v, c, rr, mask)
                                    - innerObjective(q, minus, v, c, rr, mask))
                            / (2 * h);
            err = Math.max(err, Math.abs(analytic[i] - fd));
            scale = Math.max(scale, Math.abs(fd));
        }
        assertTrue(scale > 1e-3);
        assertTrue(err / scale <= 1e-6, "relative error " + err / scale);
    }

    /** First order through fused attention works with createGraph; the second order fails. */
    @Test
    void secondOrderDoesNotPassThroughFusedAttention() {
        Random r = new Random(9);
        NDArray q = normal(manager, r, DataType.FLOAT32, 1, 2, 3, 4);
        NDArray k = normal(manager, r, DataType.FLOAT32, 1, 2, 3, 4);
        NDArray mask = bandMask(manager, 3, 0, 3, DataType.FLOAT32);
        q.setRequiresGradient(true);
        k.setRequiresGradient(true);
        NDArray out = kernels.attention(q, k, k, mask, true);
        NDArray dq = kernels.grad(out.mul(out).sum(), new NDList(q), true).singletonOrThrow();
        NDArray dqPlain =
                kernels.grad(
                                PlainAttention.plainAttention(q, k, k, mask).square().sum(),
                                new NDList(q),
                                true)
                        .singletonOrThrow();
        assertTrue(maxAbsDiff(dq, dqPlain) <= 1e-5);
        EngineException e =
                assertThrows(
                        EngineException.class, () -> kernels.grad(dq.sum(), new NDList(k), false));
        assertTrue(e.getMessage().contains("not implemented"), e.getMessage());
        // Through the plain reference the second order exists.
        assertTrue(maxAbs(kernels.grad(dqPlain.sum(), new NDList(k), false).get(0)) > 0);
    }

    /** Inputs may be graph intermediates, e.g. updated fast weights W' = W - lr·g. */
    @Test
    void gradWithRespectToAnIntermediate() {
        NDArray w = manager.create(new float[] {1, -2, 3});
        w.setRequiresGradient(true);
        NDArray h = w.mul(2f);
        h.setName("fast.w1");
        NDArray loss = h.square().sum();
        NDList g = kernels.grad(loss, new NDList(h, w), false);
        assertArrayEquals(new float[] {4, -8, 12}, g.get(0).toFloatArray());
        assertArrayEquals(new float[] {8, -16, 24}, g.get(1).toFloatArray());
    }

    @Test
    void unusedInputGetsZeros() {
        NDArray w1 = manager.create(new float[] {1, 2, 3});
        NDArray w2 = manager.create(new float[][] {{4, 5}, {6, 7}});
        w1.setRequiresGradient(true);
        w2.setRequiresGradient(true);
        for (boolean createGraph : new boolean[] {false, true}) {
            NDList g = kernels.grad(w1.mul(w1).sum(), new NDList(w1, w2), createGraph);
            assertArrayEquals(new float[] {2, 4, 6}, g.get(0).toFloatArray());
            assertEquals(new Shape(2, 2), g.get(1).getShape());
            assertEquals(DataType.FLOAT32, g.get(1).getDataType());
            assertArrayEquals(new float[4], g.get(1).toFloatArray());
        }
    }

    @Test
    void nothingAccumulatesIntoDotGrad() {
        NDArray w = manager.create(new float[] {1, 2, 3});
        w.setRequiresGradient(true);
        for (int i = 0; i < 3; i++) {
            kernels.grad(w.mul(w).sum(), new NDList(w), false);
        }
        try (NDArray dotGrad = w.getGradient()) {
            assertArrayEquals(new float[3], dotGrad.toFloatArray());
        }
    }

    @Test
    void retainGraphAllowsSeveralGradients() {
        NDArray w = manager.create(new float[] {1, 2, 3});
        NDArray u = manager.create(new float[] {-1, 0.5f, 2});
        w.setRequiresGradient(true);
        u.setRequiresGradient(true);
        NDArray loss = w.mul(u).mul(w).sum();
        NDArray a = kernels.grad(loss, new NDList(w), true, false).singletonOrThrow();
        NDArray b = kernels.grad(loss, new NDList(u), true, false).singletonOrThrow();
        NDArray c = kernels.grad(loss, new NDList(w), false, false).singletonOrThrow();
        assertArrayEquals(new float[] {-2, 2, 12}, a.toFloatArray());
        assertArrayEquals(new float[] {1, 4, 9}, b.toFloatArray());
        assertArrayEquals(a.toFloatArray(), c.toFloatArray());
        // The last call freed the graph.
        assertThrows(EngineException.class, () -> kernels.grad(loss, new NDList(u), false, false));
    }

    /** Names DJL would interpret are neither used nor changed; results keep the input order. */
    @Test
    void argumentNamesAreHarmlessAndUnchanged() {
        NDArray w = manager.create(new float[] {1, 2});
        NDArray u = manager.create(new float[] {3, 4, 5});
        w.setRequiresGradient(true);
        u.setRequiresGradient(true);
        w.setName("layers.0.w");
        u.setName("u[]");
        NDArray loss = w.square().sum().add(u.sum().mul(2f));
        loss.setName("loss[]");
        NDList g = kernels.grad(loss, new NDList(w, u), false);
        assertArrayEquals(new float[] {2, 4}, g.get(0).toFloatArray());
        assertArrayEquals(new float[] {2, 2, 2}, g.get(1).toFloatArray());
        assertEquals("layers.0.w", w.getName());
        assertEquals("u[]", u.getName());
        assertEquals("loss[]", loss.getName());
        assertTrue(g.get(0).getManager() == loss.getManager());
    }

    @Test
    void invalidCallsAreRejectedClearly() {
        NDArray w = manager.create(new float[] {1, 2});
        w.setRequiresGradient(true);
        NDArray vector = w.mul(w);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> kernels.grad(vector, new NDList(w), false));
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> kernels.grad(vector.sum(), new NDList(), false));
        assertThrows(
                IllegalArgumentException.class,
                () -> kernels.grad(vector.sum(), new NDList(w), false, true));
        // An input that does not require gradients.
        NDArray frozen = manager.create(new float[] {1, 2});
        assertThrows(
                EngineException.class,
                () -> kernels.grad(frozen.mul(w).sum(), new NDList(frozen), false));
        // A loss built with grad mode off has no graph.
        JniUtils.setGradMode(false);
        NDArray noGraph = w.mul(w).sum();
        JniUtils.setGradMode(true);
        assertThrows(EngineException.class, () -> kernels.grad(noGraph, new NDList(w), false));
    }

    /** A one-element loss of any rank is accepted. */
    @Test
    void oneElementLossIsAScalar() {
        NDArray w = manager.create(new float[] {1, 2});
        w.setRequiresGradient(true);
        NDArray loss = w.square().sum().reshape(1, 1);
        assertArrayEquals(
                new float[] {2, 4},
                kernels.grad(loss, new NDList(w), false).singletonOrThrow().toFloatArray());
    }

    private static double innerObjective(
            NDArray q, double[] k0, NDArray v, NDArray c, NDArray rr, NDArray mask) {
        Kernels kernels = Kernels.forDevice(Device.cpu());
        try (NDManager sub = NDManager.newBaseManager(Device.cpu())) {
            NDArray k = fromDoubles(sub, k0, DataType.FLOAT64, 1, 1, 3, 3);
            NDArray loss = PlainAttention.plainAttention(q, k, v, mask).mul(c).sum();
            try (NDList dq = kernels.grad(loss, new NDList(q), false)) {
                try (NDArray s = dq.get(0).mul(rr).sum()) {
                    return s.getDouble();
                }
            } finally {
                loss.close();
            }
        }
    }

    private static double eval(
            Function<NDArray[], NDArray> f,
            double[][] base,
            long[][] shapes,
            int which,
            double[] replaced) {
        try (NDManager sub = NDManager.newBaseManager(Device.cpu())) {
            NDArray[] args = new NDArray[base.length];
            for (int i = 0; i < base.length; i++) {
                args[i] =
                        fromDoubles(
                                sub, i == which ? replaced : base[i], DataType.FLOAT64, shapes[i]);
            }
            return f.apply(args).getDouble();
        }
    }

    private static double[] gaussian(Random r, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = r.nextGaussian();
        }
        return d;
    }

    // The cast kernel: a dtype change that autograd records (DJL's toType does not).

    /** L = Σ c ⊙ fp32(fp16(x))², so ∂L/∂x = 2 c ⊙ x exactly for values representable in fp16. */
    @Test
    void gradientFlowsThroughARoundTripToHalf() {
        NDArray x = manager.create(new float[] {1f, -2f, 0.5f, 3f});
        NDArray c = manager.create(new float[] {1f, 2f, 3f, 4f});
        x.setRequiresGradient(true);
        NDArray half = kernels.cast(x, DataType.FLOAT16);
        assertEquals(DataType.FLOAT16, half.getDataType());
        NDArray back = kernels.cast(half.mul(half), DataType.FLOAT32);
        NDArray loss = back.mul(c).sum();
        float[] g = kernels.grad(loss, new NDList(x), false).get(0).toFloatArray();
        assertArrayEquals(new float[] {2f, -8f, 3f, 24f}, g, 0f);
    }

    /** The reason for the kernel: DJL's toType drops the autograd history when the type changes. */
    @Test
    void djlToTypeIsNotRecordedByAutograd() {
        NDArray x = manager.create(new float[] {1f, 2f});
        x.setRequiresGradient(true);
        NDArray loss = x.toType(DataType.FLOAT64, false).sum();
        assertThrows(EngineException.class, () -> kernels.grad(loss, new NDList(x), false));
    }

    @Test
    void sameTypeIsTheArrayItselfAndGradModeOffUsesToType() {
        NDArray x = manager.create(new float[] {1f, 2f});
        assertSame(x, kernels.cast(x, DataType.FLOAT32));
        JniUtils.setGradMode(false);
        NDArray d = kernels.cast(x, DataType.FLOAT64);
        assertArrayEquals(new double[] {1, 2}, d.toDoubleArray(), 0);
    }
}
