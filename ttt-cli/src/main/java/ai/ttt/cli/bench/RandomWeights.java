package ai.ttt.cli.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.TensorNames;
import ai.ttt.block.TttConfig;
import ai.ttt.block.WeightSource;
import java.util.Map;

/**
 * Random weights for a config: every matrix N(0, 0.02²) (spec §2.4), every norm scale 1.
 *
 * <p>Arrays are drawn by PyTorch's generator on the target device; seed it first ({@code
 * Engine.setRandomSeed}) for reproducible weights, since the model loads tensors in a fixed order.
 */
public final class RandomWeights {

    private static final float STD = 0.02f;

    private RandomWeights() {}

    /**
     * Returns a weight source for the config's tensors.
     *
     * @param config the config
     * @return the source
     */
    public static WeightSource of(TttConfig config) {
        Map<String, long[]> shapes = TensorNames.expected(config);
        return (name, manager) -> create(shapes, name, manager);
    }

    private static NDArray create(Map<String, long[]> shapes, String name, NDManager manager) {
        long[] shape = shapes.get(name);
        if (shape == null) {
            throw new IllegalArgumentException("no tensor named " + name);
        }
        if (shape.length == 1) {
            return manager.ones(new Shape(shape), DataType.FLOAT32);
        }
        return manager.randomNormal(0f, STD, new Shape(shape), DataType.FLOAT32);
    }

    /**
     * Returns the number of parameters of a config (tied embeddings counted once).
     *
     * @param config the config
     * @return the count
     */
    public static long parameterCount(TttConfig config) {
        long total = 0;
        for (long[] s : TensorNames.expected(config).values()) {
            long n = 1;
            for (long d : s) {
                n *= d;
            }
            total += n;
        }
        return total;
    }
}
