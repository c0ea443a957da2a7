package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.ttt.block.nn.DecoderBlock;
import ai.ttt.block.nn.TttLanguageModel;
import java.util.ArrayList;
import java.util.List;

/**
 * A batch of sequences' private fast weights: the prime-MLP matrices of the last S blocks, one set
 * per sequence, always in the stream type (fp32 on CPU and GPU).
 *
 * <p>Layout: for suffix layer j (0 … S−1), {@code gateUp(j)} is {@code [B, d, 2Fp]} (w1 | w3) and
 * {@code down(j)} is {@code [B, Fp, d]} (w2). Copied from the model's W0, which is never modified.
 * In inference the arrays are updated in place; in training each step replaces them by new,
 * differentiable arrays.
 */
public final class FastWeights {

    private final List<NDArray> tensors;

    private FastWeights(List<NDArray> tensors) {
        this.tensors = tensors;
    }

    /**
     * Copies W0 once per sequence.
     *
     * @param model the model holding W0
     * @param batch B
     * @param manager owns the copies
     * @param requiresGradient whether autograd tracks them (leaves of the inner gradient)
     * @return the fast weights
     */
    public static FastWeights copyOf(
            TttLanguageModel model, int batch, NDManager manager, boolean requiresGradient) {
        List<NDArray> tensors = new ArrayList<>();
        for (DecoderBlock layer : model.layers()) {
            if (layer.hasPrime()) {
                tensors.add(perSequence(layer.prime().w13().getArray(), batch, manager));
                tensors.add(perSequence(layer.prime().w2().getArray(), batch, manager));
            }
        }
        for (NDArray t : tensors) {
            t.setRequiresGradient(requiresGradient);
        }
        return new FastWeights(tensors);
    }

    /**
     * Broadcasts W0 to every sequence as differentiable functions of W0 (training, where W0 is a
     * parameter being learned); grad mode must be on.
     *
     * @param model the model holding W0 (requiring gradients)
     * @param batch B
     * @param manager owns the copies
     * @return the fast weights
     */
    public static FastWeights connectedTo(TttLanguageModel model, int batch, NDManager manager) {
        List<NDArray> tensors = new ArrayList<>();
        for (DecoderBlock layer : model.layers()) {
            if (layer.hasPrime()) {
                tensors.add(perSequence(layer.prime().w13().getArray(), batch, manager));
                tensors.add(perSequence(layer.prime().w2().getArray(), batch, manager));
            }
        }
        return new FastWeights(tensors);
    }

    /**
     * Wraps differentiable W0 arrays (training: W0 itself is a parameter being learned).
     *
     * @param perSequence alternating gate/up and down arrays, each {@code [B, …]}
     * @return the fast weights
     */
    public static FastWeights of(List<NDArray> perSequence) {
        return new FastWeights(new ArrayList<>(perSequence));
    }

    private static NDArray perSequence(NDArray w0, int batch, NDManager manager) {
        // Ops on a parameter land in the model's manager: close the view, move the copy.
        try (NDArray view = w0.expandDims(0)) {
            NDArray copy = view.repeat(0, batch);
            copy.attach(manager);
            return copy;
        }
    }

    /**
     * Returns the gate/up fast weight of suffix layer j.
     *
     * @param j 0 … S−1
     * @return {@code [B, d, 2Fp]}
     */
    public NDArray gateUp(int j) {
        return tensors.get(2 * j);
    }

    /**
     * Returns the down fast weight of suffix layer j.
     *
     * @param j 0 … S−1
     * @return {@code [B, Fp, d]}
     */
    public NDArray down(int j) {
        return tensors.get(2 * j + 1);
    }

    /**
     * Returns all fast-weight tensors in a fixed order (gate/up then down, layer by layer).
     *
     * @return 2·S arrays
     */
    public NDList asList() {
        return new NDList(tensors);
    }

    /**
     * Returns the number of suffix layers.
     *
     * @return S
     */
    public int numLayers() {
        return tensors.size() / 2;
    }

    /**
     * Replaces the tensors (functional update).
     *
     * @param next the new tensors, same order and shapes
     */
    void replace(List<NDArray> next) {
        for (int i = 0; i < tensors.size(); i++) {
            tensors.set(i, next.get(i));
        }
    }
}
