package ai.ttt.block.engine;

/**
 * How a {@link SequenceState} runs.
 *
 * @param testTimeTraining take a fast-weight step at the end of every mini-batch (false: the fast
 *     weights stay at W0, a plain sliding-window model)
 * @param differentiable training mode: every step is a new differentiable array (fast weights,
 *     caches), grad mode stays on, nothing is updated in place
 * @param secondOrder with {@code differentiable}: keep the inner gradients differentiable (exact
 *     meta-gradient); false gives the first-order variant
 */
public record StateOptions(boolean testTimeTraining, boolean differentiable, boolean secondOrder) {

    /**
     * Inference with test-time training.
     *
     * @return the options
     */
    public static StateOptions inference() {
        return new StateOptions(true, false, false);
    }

    /**
     * Inference with the fast weights frozen at W0.
     *
     * @return the options
     */
    public static StateOptions withoutTtt() {
        return new StateOptions(false, false, false);
    }

    /**
     * Training: the whole sequence stays differentiable.
     *
     * @param secondOrder exact meta-gradient (true) or first-order variant
     * @return the options
     */
    public static StateOptions training(boolean secondOrder) {
        return new StateOptions(true, true, secondOrder);
    }
}
