package ai.ttt.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.ttt.block.engine.FeedResult;
import ai.ttt.block.engine.InnerGradient;
import ai.ttt.block.engine.MiniBatchLoss;
import ai.ttt.block.engine.SequenceState;
import ai.ttt.block.engine.StateOptions;
import ai.ttt.block.engine.StateOptions.Execution;
import ai.ttt.block.kernels.Kernels;
import ai.ttt.block.nn.TensorBinding;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.programs.TttProgram;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The TTT-E2E training objective (spec §4.1): for each sequence, the mean over its mini-batches of
 * the loss each mini-batch has <i>before</i> its own inner step, averaged over the batch,
 *
 * <pre>
 *   L(θ) = mean_s mean_i ℓ_i(W_{i−1}(θ); θ),   W_i = W_{i−1} − η·clip(∇_W ℓ_i(W_{i−1}))
 * </pre>
 *
 * differentiated with respect to every parameter θ, W0 included, through the chain of inner steps
 * (second-order terms included unless the first-order variant is asked for) and through the cached
 * keys/values of earlier mini-batches. Computed by the plain engine, a sequence state of DJL
 * operations, for which the model must run plain attention (fused attention has no second-order
 * gradient), or by the model's program in one call ({@link TttProgram#metaLoss}, which attends with
 * its own masked softmax whatever the model's attention mode).
 */
public final class MetaObjective {

    private MetaObjective() {}

    /**
     * Makes every parameter of the model a leaf that requires gradients (or freezes them all).
     *
     * @param model the model
     * @param trainable true to train
     */
    public static void setTrainable(TttLanguageModel model, boolean trainable) {
        for (Parameter p : model.parameterList()) {
            p.getArray().setRequiresGradient(trainable);
        }
    }

    /**
     * Computes the outer loss of a batch of sequences (a differentiable scalar).
     *
     * @param model the model, parameters trainable, plain attention
     * @param tokens {@code [B, T + 1]} int64, T a multiple of the mini-batch size
     * @param secondOrder exact meta-gradient (true) or the first-order variant
     * @param innerLrScale multiplier of the inner learning rate (warm-up)
     * @param gradient the autograd kernel for the inner steps
     * @param manager owns the arrays of the computation (close it after the gradient is taken)
     * @return the outer loss, a scalar with an autograd graph
     */
    public static NDArray outerLoss(
            TttLanguageModel model,
            NDArray tokens,
            boolean secondOrder,
            double innerLrScale,
            InnerGradient gradient,
            NDManager manager) {
        int batch = (int) tokens.getShape().get(0);
        int b = model.config().miniBatchSize();
        int n = model.config().trainingMiniBatches(tokens.getShape().get(1) - 1);
        StateOptions options = StateOptions.training(secondOrder).withInnerLrScale(innerLrScale);
        // Grad mode is per thread; the mean below must be recorded too.
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try (SequenceState state = SequenceState.create(model, batch, options, gradient)) {
            FeedResult r = state.feed(tokens, manager, false);
            // Each target's NLL is its pre-update prediction; the outer loss is the mean over
            // sequences and mini-batches of each mini-batch's mean.
            NDArray nll = r.targetNll().reshape(batch * n, b);
            NDArray next = tokens.get(new NDIndex(":, 1:")).reshape(batch * n, b);
            return new MiniBatchLoss(model.config(), model.precision().stream(), manager)
                    .of(nll, next)
                    .mean();
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /**
     * Computes the outer loss and its gradient with respect to every parameter.
     *
     * @param model the model, parameters trainable, plain attention
     * @param tokens {@code [B, T + 1]} int64
     * @param secondOrder exact meta-gradient or the first-order variant
     * @param innerLrScale multiplier of the inner learning rate
     * @param manager owns the results
     * @return the loss and the gradient of each parameter
     */
    public static Result lossAndGradients(
            TttLanguageModel model,
            NDArray tokens,
            boolean secondOrder,
            double innerLrScale,
            NDManager manager) {
        return lossAndGradients(
                model, tokens, secondOrder, innerLrScale, Execution.PLAIN, false, manager);
    }

    /**
     * Computes the outer loss and its gradient with respect to every parameter, by the plain engine
     * (a sequence state of DJL operations) or by the model's program in one call ({@link
     * TttProgram#metaLoss}: the same objective, tested against the plain engine), through the whole
     * sequence's graph or recomputed per mini-batch ({@link RecomputedMetaGradient} on the plain
     * engine, the program's {@code meta_loss_recomputed} on the program: memory grows with the
     * sequence only by the stored keys, values and fast weights). The gradient is the same.
     *
     * @param model the model, parameters trainable (plain attention for the plain engine; fp32 or
     *     fp64 for the program)
     * @param tokens {@code [B, T + 1]} int64
     * @param secondOrder exact meta-gradient or the first-order variant
     * @param innerLrScale multiplier of the inner learning rate
     * @param execution which engine computes the loss
     * @param recompute recompute per mini-batch instead of keeping the sequence's graph
     * @param manager owns the results
     * @return the loss and the gradient of each parameter
     */
    public static Result lossAndGradients(
            TttLanguageModel model,
            NDArray tokens,
            boolean secondOrder,
            double innerLrScale,
            Execution execution,
            boolean recompute,
            NDManager manager) {
        Kernels kernels = Kernels.forDevice(manager.getDevice());
        if (execution == Execution.PROGRAM) {
            NDArray loss =
                    TttProgram.metaLoss(model, tokens, secondOrder, innerLrScale, recompute).get(0);
            return gradientsOf(model, loss, kernels);
        }
        if (recompute) {
            return RecomputedMetaGradient.lossAndGradients(
                    model, tokens, secondOrder, innerLrScale, manager);
        }
        NDArray loss =
                outerLoss(
                        model,
                        tokens,
                        secondOrder,
                        innerLrScale,
                        InnerGradient.of(kernels),
                        manager);
        return gradientsOf(model, loss, kernels);
    }

    /** The loss (detached) and its gradient with respect to each of the model's parameters. */
    private static Result gradientsOf(TttLanguageModel model, NDArray loss, Kernels kernels) {
        List<Parameter> params = model.parameterList();
        NDList arrays = new NDList();
        for (Parameter p : params) {
            arrays.add(p.getArray());
        }
        NDList grads = kernels.grad(loss, arrays, false, false);
        Map<Parameter, NDArray> byParameter = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            byParameter.put(params.get(i), grads.get(i));
        }
        return new Result(loss.stopGradient(), byParameter);
    }

    /**
     * The outer loss and its gradients.
     *
     * @param loss the scalar loss (detached)
     * @param gradients d loss / d parameter, same shapes as the parameters
     */
    public record Result(NDArray loss, Map<Parameter, NDArray> gradients) {

        /**
         * Returns the gradient of a tensor of the model format (a view of a fused gradient).
         *
         * @param model the model
         * @param name a model-format name, e.g. {@code layers.0.attn.wq.weight}
         * @return the gradient of that tensor
         */
        public NDArray gradientOf(TttLanguageModel model, String name) {
            TensorBinding b = model.bindings().get(name);
            if (b == null) {
                throw new IllegalArgumentException("no tensor named " + name);
            }
            return b.view(gradients.get(b.parameter()));
        }
    }
}
