package ai.ttt.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;

/** Where a model's tensors come from (a checkpoint on disk, or arrays built in memory). */
@FunctionalInterface
public interface WeightSource {

    /**
     * Loads one tensor, in the layout of docs/MODEL_FORMAT.md.
     *
     * @param name the tensor name, e.g. {@code layers.0.attn.wq.weight}
     * @param manager the manager (and device) that will own the array
     * @return a float array owned by the engine (not aliasing a Java buffer)
     * @throws IOException if it cannot be read
     */
    NDArray load(String name, NDManager manager) throws IOException;
}
