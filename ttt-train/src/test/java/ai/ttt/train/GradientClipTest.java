package ai.ttt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The outer gradient's global-norm clip (spec §4.2: clip 1.0 before AdamW). */
class GradientClipTest {

    @Test
    void scalesAllTensorsTogetherToTheGlobalNorm() {
        try (NDManager m = NDManager.newBaseManager()) {
            // ‖(3, 4, 12)‖ = 13 over the two tensors together.
            NDArray a = m.create(new float[] {3, 4});
            NDArray b = m.create(new float[] {12});
            double norm = MetaTrainer.clipToGlobalNorm(List.of(a, b), 1.0, m);
            assertEquals(13.0, norm, 1e-6);
            assertArrayEquals(new float[] {3f / 13, 4f / 13}, a.toFloatArray(), 1e-7f);
            assertArrayEquals(new float[] {12f / 13}, b.toFloatArray(), 1e-7f);

            NDArray c = m.create(new float[] {0.3f, -0.4f});
            assertEquals(0.5, MetaTrainer.clipToGlobalNorm(List.of(c), 1.0, m), 1e-7);
            assertArrayEquals(new float[] {0.3f, -0.4f}, c.toFloatArray(), 0f, "below: unchanged");
        }
    }
}
