package ai.ttt.block.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The autograd-recorded cast, and the DJL behaviour that makes it necessary. */
class KernelsCastTest {

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
