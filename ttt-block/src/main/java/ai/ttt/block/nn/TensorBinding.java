package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;

/**
 * Where a tensor of the model format (docs/MODEL_FORMAT.md) lives among the blocks' parameters: a
 * whole parameter, or a column range of a fused one (wq, wk, wv in Wqkv; w1, w3 in w13).
 *
 * @param parameter the parameter holding it
 * @param from first column (last axis), or −1 for the whole parameter
 * @param to end column (exclusive), or −1 for the whole parameter
 */
public record TensorBinding(Parameter parameter, long from, long to) {

    /**
     * Binds a whole parameter.
     *
     * @param p the parameter
     * @return the binding
     */
    public static TensorBinding whole(Parameter p) {
        return new TensorBinding(p, -1, -1);
    }

    /**
     * Returns this tensor's part of an array shaped like the parameter (its value, or a gradient).
     *
     * @param full an array with the parameter's shape
     * @return a view of the tensor
     */
    public NDArray view(NDArray full) {
        if (from < 0) {
            return full;
        }
        return full.get(new NDIndex("..., {}:{}", from, to));
    }
}
