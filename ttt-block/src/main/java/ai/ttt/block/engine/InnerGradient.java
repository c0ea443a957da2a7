package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.ttt.block.kernels.Kernels;

/**
 * Functional autograd: the gradient of a scalar with respect to chosen tensors, accumulating into
 * no {@code .grad} and holding no JVM-wide lock (so sequences on different threads can take test-
 * time-training steps at once). The project's implementation is a TorchScript {@code
 * torch.autograd.grad} kernel.
 */
@FunctionalInterface
public interface InnerGradient {

    /**
     * Differentiates.
     *
     * @param loss a scalar computed from {@code wrt} with grad mode on
     * @param wrt tensors that require gradients
     * @param createGraph keep the gradients differentiable (second order; implies the graph is
     *     retained)
     * @param retainGraph keep the graph for a later differentiation of the same loss
     * @return d loss / d wrt, one array per input, same shapes (zeros where unused)
     */
    NDList grad(NDArray loss, NDList wrt, boolean createGraph, boolean retainGraph);

    /**
     * Returns the project's implementation: {@link Kernels#grad} (a graph that is created is also
     * retained).
     *
     * @param kernels the kernels of the arrays' device
     * @return the inner gradient
     */
    static InnerGradient of(Kernels kernels) {
        return (loss, wrt, createGraph, retainGraph) ->
                kernels.grad(loss, wrt, retainGraph || createGraph, createGraph);
    }
}
