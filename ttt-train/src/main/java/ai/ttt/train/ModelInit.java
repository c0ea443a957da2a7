package ai.ttt.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.TensorNames;
import ai.ttt.block.TttConfig;
import ai.ttt.block.WeightSource;
import ai.ttt.block.nn.TorchOps;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The initialisation of a model trained from scratch (spec §2.4): every matrix, the embedding and
 * the prime MLPs N(0, 0.02²), plain normal; every RMSNorm weight 1.
 */
public final class ModelInit {

    /** The standard deviation of every initial matrix. */
    public static final double STD = 0.02;

    private ModelInit() {}

    /**
     * Returns seeded initial weights for a config (each tensor from its own stream, so the result
     * does not depend on the order tensors are requested in).
     *
     * @param config the model config
     * @param seed the seed
     * @return the weights
     */
    public static WeightSource random(TttConfig config, long seed) {
        Map<String, long[]> shapes = TensorNames.expected(config);
        return (String name, NDManager manager) -> {
            long[] shape = shapes.get(name);
            int n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, (int) d);
            }
            float[] values = new float[n];
            if (shape.length == 1) {
                java.util.Arrays.fill(values, 1f);
            } else {
                SplittableRandom r =
                        new SplittableRandom(seed ^ (name.hashCode() * 0x9E3779B97F4A7C15L));
                for (int i = 0; i < n; i += 2) {
                    // Box–Muller, two samples per pair of uniforms.
                    double u1 = 1.0 - r.nextDouble();
                    double u2 = r.nextDouble();
                    double radius = Math.sqrt(-2 * Math.log(u1));
                    values[i] = (float) (STD * radius * Math.cos(2 * Math.PI * u2));
                    if (i + 1 < n) {
                        values[i + 1] = (float) (STD * radius * Math.sin(2 * Math.PI * u2));
                    }
                }
            }
            return TorchOps.owned(manager.create(values, new Shape(shape)));
        };
    }
}
