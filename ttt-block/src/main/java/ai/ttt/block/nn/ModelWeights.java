package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;

/** Helpers shared by the blocks for wrapping loaded weights as DJL parameters. */
final class ModelWeights {

    private ModelWeights() {}

    /**
     * Wraps a loaded array as a frozen parameter (the model's weights are constants at inference;
     * the trainer unfreezes them explicitly).
     */
    static Parameter parameter(String name, NDArray array) {
        Parameter p =
                Parameter.builder()
                        .setName(name)
                        .setType(Parameter.Type.OTHER)
                        .optRequiresGrad(false)
                        .build();
        p.setArray(array);
        return p;
    }

    /** Creates a 0-d constant on the manager's device, once, so hot loops pass no Java scalars. */
    static NDArray scalar(NDManager manager, double value, DataType type) {
        return TorchOps.constant(manager, value, type);
    }
}
