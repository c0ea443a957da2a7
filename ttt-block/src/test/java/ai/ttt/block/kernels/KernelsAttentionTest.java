package ai.ttt.block.kernels;

import static ai.ttt.block.kernels.KernelTestData.bandMask;
import static ai.ttt.block.kernels.KernelTestData.maxAbs;
import static ai.ttt.block.kernels.KernelTestData.maxAbsDiff;
import static ai.ttt.block.kernels.KernelTestData.normal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Fused attention against {@link PlainAttention}, values and first-order gradients. */
class KernelsAttentionTest {

    private static final double TOL = 1e-5;

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

    /** Shapes: MHA and GQA (H=4, Hkv=2), prefill with a cache segment, no cache, and decode. */
    @ParameterizedTest(name = "B={0} H={1} Hkv={2} n={3} cache={4} W={5} hd={6}")
    @CsvSource({
        "2, 4, 4, 5, 7, 6, 8",
        "2, 4, 2, 5, 7, 6, 8",
        "1, 4, 2, 6, 0, 3, 16",
        "2, 4, 4, 1, 9, 4, 8",
        "2, 4, 2, 1, 9, 4, 8",
        "1, 4, 1, 3, 4, 5, 8"
    })
    void fusedEqualsPlain(int b, int h, int hkv, int n, int cache, int window, int hd) {
        Random r = new Random(11 + 7L * h + hkv + 13L * n);
        NDArray q = normal(manager, r, DataType.FLOAT32, b, h, n, hd);
        NDArray k = normal(manager, r, DataType.FLOAT32, b, hkv, cache + n, hd);
        NDArray v = normal(manager, r, DataType.FLOAT32, b, hkv, cache + n, hd);
        NDArray mask = bandMask(manager, n, cache, window, DataType.FLOAT32);
        NDArray plain = PlainAttention.plainAttention(q, k, v, mask);
        assertEquals(new Shape(b, h, n, hd), plain.getShape());
        for (boolean differentiable : new boolean[] {false, true}) {
            NDArray fused = kernels.attention(q, k, v, mask, differentiable);
            assertEquals(plain.getShape(), fused.getShape());
            assertEquals(DataType.FLOAT32, fused.getDataType());
            assertSame(q.getManager(), fused.getManager());
            double diff = maxAbsDiff(fused, plain);
            assertTrue(diff <= TOL, "max |fused - plain| = " + diff);
        }
    }

    /** The band mask really hides keys: a visible-only computation gives the same rows. */
    @Test
    void bandMaskHidesKeysOutsideTheWindow() {
        Random r = new Random(5);
        int n = 3;
        int cache = 4;
        int window = 2;
        NDArray q = normal(manager, r, DataType.FLOAT32, 1, 2, n, 4);
        NDArray k = normal(manager, r, DataType.FLOAT32, 1, 2, cache + n, 4);
        NDArray v = normal(manager, r, DataType.FLOAT32, 1, 2, cache + n, 4);
        NDArray out =
                kernels.attention(
                        q, k, v, bandMask(manager, n, cache, window, DataType.FLOAT32), false);
        for (int i = 0; i < n; i++) {
            int pos = cache + i;
            String keys = ":, :, " + (pos - window + 1) + ":" + (pos + 1);
            NDArray qi = q.get(":, :, " + i + ":" + (i + 1));
            NDArray expected =
                    PlainAttention.plainAttention(
                            qi, k.get(keys), v.get(keys), manager.zeros(new Shape(1, window)));
            double diff = maxAbsDiff(out.get(":, :, " + i + ":" + (i + 1)), expected);
            assertTrue(diff <= TOL, "row " + i + ": " + diff);
        }
    }

    /** d/d(q, k, v) of sum(c ⊙ attention) through the fused kernel equals the plain gradient. */
    @ParameterizedTest(name = "H={0} Hkv={1} n={2}")
    @CsvSource({"4, 4, 5", "4, 2, 5", "4, 4, 1", "4, 2, 1"})
    void gradientThroughFusedEqualsPlain(int h, int hkv, int n) {
        Random r = new Random(97 + h * 3L + hkv + n);
        int b = 2;
        int cache = 6;
        int hd = 8;
        NDArray q = normal(manager, r, DataType.FLOAT32, b, h, n, hd);
        NDArray k = normal(manager, r, DataType.FLOAT32, b, hkv, cache + n, hd);
        NDArray v = normal(manager, r, DataType.FLOAT32, b, hkv, cache + n, hd);
        NDArray c = normal(manager, r, DataType.FLOAT32, b, h, n, hd);
        NDArray mask = bandMask(manager, n, cache, 5, DataType.FLOAT32);
        q.setRequiresGradient(true);
        k.setRequiresGradient(true);
        v.setRequiresGradient(true);
        NDList inputs = new NDList(q, k, v);

        NDList fused =
                kernels.grad(kernels.attention(q, k, v, mask, true).mul(c).sum(), inputs, false);
        NDList plain =
                kernels.grad(
                        PlainAttention.plainAttention(q, k, v, mask).mul(c).sum(), inputs, false);
        String[] names = {"dq", "dk", "dv"};
        for (int i = 0; i < 3; i++) {
            assertEquals(inputs.get(i).getShape(), fused.get(i).getShape());
            assertTrue(maxAbs(plain.get(i)) > 1e-3, names[i] + " is not trivially zero");
            double diff = maxAbsDiff(fused.get(i), plain.get(i));
            assertTrue(diff <= TOL, names[i] + ": max |fused - plain| = " + diff);
        }
    }

    /** With differentiable=false nothing is recorded, yet the output can feed a later graph. */
    @Test
    void evalAttentionRecordsNoGraphButFeedsLaterGraphs() {
        Random r = new Random(3);
        NDArray q = normal(manager, r, DataType.FLOAT32, 1, 2, 3, 4);
        NDArray k = normal(manager, r, DataType.FLOAT32, 1, 2, 3, 4);
        NDArray v = normal(manager, r, DataType.FLOAT32, 1, 2, 3, 4);
        NDArray w = normal(manager, r, DataType.FLOAT32, 4, 4);
        q.setRequiresGradient(true);
        w.setRequiresGradient(true);
        NDArray out =
                kernels.attention(q, k, v, bandMask(manager, 3, 0, 3, DataType.FLOAT32), false);
        // An ordinary tensor, not an inference tensor: in-place updates and saving for backward
        // work.
        out.addi(manager.zeros(out.getShape()));
        NDArray loss = out.matMul(w).sum();
        NDList g = kernels.grad(loss, new NDList(q, w), false);
        assertEquals(0.0, maxAbs(g.get(0)), "no path from q through eval attention");
        // d/dw sum(out · w) = column sums of out, broadcast over w's columns.
        NDArray expected = out.reshape(-1, 4).sum(new int[] {0}).reshape(4, 1).repeat(1, 4);
        assertTrue(maxAbsDiff(g.get(1), expected) <= TOL);
    }

    /** The calling thread's grad mode is restored whatever it was. */
    @Test
    void gradModeIsRestored() {
        Random r = new Random(4);
        NDArray q = normal(manager, r, DataType.FLOAT32, 1, 2, 3, 4);
        NDArray mask = bandMask(manager, 3, 0, 3, DataType.FLOAT32);
        q.setRequiresGradient(true);
        JniUtils.setGradMode(false);
        NDArray out = kernels.attention(q, q, q, mask, true);
        assertFalse(JniUtils.isGradMode());
        JniUtils.setGradMode(true);
        // The output has a graph: its gradient with respect to q is not zero.
        NDList g = kernels.grad(out.sum(), new NDList(q), false);
        assertTrue(maxAbs(g.singletonOrThrow()) > 1e-4);
        kernels.attention(q, q, q, mask, false);
        assertTrue(JniUtils.isGradMode());
    }

    /**
     * Names that DJL would interpret (lists, tuples, dicts, methods) are neither used nor changed.
     */
    @Test
    void argumentNamesAreHarmlessAndUnchanged() {
        Random r = new Random(8);
        NDArray q = normal(manager, r, DataType.FLOAT32, 1, 4, 2, 8);
        NDArray k = normal(manager, r, DataType.FLOAT32, 1, 2, 5, 8);
        NDArray v = normal(manager, r, DataType.FLOAT32, 1, 2, 5, 8);
        NDArray mask = bandMask(manager, 2, 3, 4, DataType.FLOAT32);
        NDArray expected = PlainAttention.plainAttention(q, k, v, mask);
        q.setName("layers.0.attn.q");
        k.setName("k[]");
        v.setName("v()");
        mask.setName("module_method:mask");
        NDArray fused = kernels.attention(q, k, v, mask, false);
        assertTrue(maxAbsDiff(fused, expected) <= TOL);
        assertEquals("layers.0.attn.q", q.getName());
        assertEquals("k[]", k.getName());
        assertEquals("v()", v.getName());
        assertEquals("module_method:mask", mask.getName());
    }

    /** fp16 q/k/v on CPU: fused and plain (fp32 softmax) both match the fp32 reference. */
    @Test
    void fp16AttentionOnCpu() {
        Random r = new Random(21);
        int n = 4;
        int cache = 5;
        NDArray q = normal(manager, r, DataType.FLOAT32, 2, 4, n, 16);
        NDArray k = normal(manager, r, DataType.FLOAT32, 2, 2, cache + n, 16);
        NDArray v = normal(manager, r, DataType.FLOAT32, 2, 2, cache + n, 16);
        NDArray mask = bandMask(manager, n, cache, 6, DataType.FLOAT32);
        NDArray reference = PlainAttention.plainAttention(q, k, v, mask);
        NDArray q16 = q.toType(DataType.FLOAT16, true);
        NDArray k16 = k.toType(DataType.FLOAT16, true);
        NDArray v16 = v.toType(DataType.FLOAT16, true);
        NDArray mask16 = mask.toType(DataType.FLOAT16, true);
        NDArray plain16 = PlainAttention.plainAttention(q16, k16, v16, mask16);
        assertEquals(DataType.FLOAT16, plain16.getDataType());
        assertTrue(maxAbsDiff(plain16, reference) <= 5e-3, "plain fp16");
        NDArray fused16;
        try {
            fused16 = kernels.attention(q16, k16, v16, mask16, false);
        } catch (EngineException e) {
            Assumptions.abort(
                    "scaled_dot_product_attention rejects fp16 on this CPU build: "
                            + e.getMessage());
            return;
        }
        assertEquals(DataType.FLOAT16, fused16.getDataType());
        double diff = maxAbsDiff(fused16, reference);
        assertTrue(diff <= 5e-3, "fused fp16 vs fp32 reference: " + diff);
    }

    @Test
    void invalidArgumentsAreRejected() {
        NDArray q = manager.zeros(new Shape(1, 4, 2, 8));
        NDArray k = manager.zeros(new Shape(1, 3, 5, 8));
        NDArray k2 = manager.zeros(new Shape(1, 2, 5, 8));
        NDArray mask = manager.zeros(new Shape(2, 5));
        assertThrows(IllegalArgumentException.class, () -> kernels.attention(q, k, k, mask, false));
        assertThrows(
                IllegalArgumentException.class,
                () -> kernels.attention(q, k2, k2, manager.zeros(new Shape(2, 4)), false));
        assertThrows(
                IllegalArgumentException.class,
                () -> kernels.attention(q, k2, k2, mask.toType(DataType.FLOAT64, true), false));
        assertThrows(
                IllegalArgumentException.class,
                () -> kernels.attention(q, k2, manager.zeros(new Shape(1, 2, 4, 8)), mask, false));
        assertThrows(
                IllegalArgumentException.class,
                () -> kernels.attention(q.reshape(4, 2, 8), k2, k2, mask, false));
        assertThrows(
                IllegalArgumentException.class, () -> PlainAttention.plainAttention(q, k, k, mask));
    }

    @Test
    void sharedInstancesAreCachedPerDeviceAndNotClosable() {
        assertSame(kernels, Kernels.forDevice(Device.cpu()));
        assertEquals(Device.cpu(), kernels.getDevice());
        kernels.close();
        NDArray x = manager.ones(new Shape(1, 1, 1, 2));
        kernels.attention(x, x, x, manager.zeros(new Shape(1, 1)), false);
    }

    @Test
    void privateInstanceFailsAfterClose() {
        Kernels own = new Kernels(Device.cpu());
        NDArray x = manager.ones(new Shape(1, 1, 1, 2));
        NDArray mask = manager.zeros(new Shape(1, 1));
        assertEquals(2, own.attention(x, x, x, mask, false).getShape().get(3));
        own.close();
        own.close();
        assertThrows(IllegalStateException.class, () -> own.attention(x, x, x, mask, false));
    }
}
