package ai.ttt.block.kernels;

import static ai.ttt.block.kernels.KernelTestData.bandMask;
import static ai.ttt.block.kernels.KernelTestData.normal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A kernel call leaves nothing behind but its results, which belong to the caller. */
class KernelsMemoryTest {

    private static final int CALLS = 100;

    @Test
    void hundredCallsLeakNoArrays() {
        Kernels kernels = Kernels.forDevice(Device.cpu());
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Random r = new Random(2);
            NDArray q = normal(m, r, DataType.FLOAT32, 1, 4, 3, 8);
            NDArray k = normal(m, r, DataType.FLOAT32, 1, 2, 6, 8);
            NDArray v = normal(m, r, DataType.FLOAT32, 1, 2, 6, 8);
            NDArray mask = bandMask(m, 3, 3, 4, DataType.FLOAT32);
            // Names that force the alias path, which creates and closes handles.
            q.setName("layers.0.q");
            k.setName("k[]");
            q.setRequiresGradient(true);
            k.setRequiresGradient(true);
            NDArray loss = kernels.attention(q, k, v, mask, true).sum();
            // Warm up once so lazily created state is not counted.
            kernels.attention(q, k, v, mask, false).close();
            kernels.grad(loss, new NDList(q, k), true, false).close();

            // The engine's system manager: the parent of every base manager and model manager.
            NDManager system = m.getParentManager();
            int before = m.getManagedArrays().size();
            int systemBefore = system.getManagedArrays().size();
            assertTrue(systemBefore >= before, "the system manager counts recursively");
            for (int i = 0; i < CALLS; i++) {
                NDArray a = kernels.attention(q, k, v, mask, i % 2 == 0);
                assertSame(m, a.getManager());
                a.close();
                NDList g = kernels.grad(loss, new NDList(q, k), true, i % 3 == 0);
                assertSame(m, g.get(0).getManager());
                g.close();
            }
            assertEquals(
                    before, m.getManagedArrays().size(), "arrays left in the caller's manager");
            assertEquals(
                    systemBefore,
                    system.getManagedArrays().size(),
                    "arrays left anywhere under the system manager");
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }
}
