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
 * @param innerLrScale multiplies the config's inner learning rate (the trainer's warm-up; 1 at
 *     inference)
 * @param execution how chunks are computed at inference (training always runs {@link
 *     Execution#PLAIN})
 */
public record StateOptions(
        boolean testTimeTraining,
        boolean differentiable,
        boolean secondOrder,
        double innerLrScale,
        Execution execution) {

    /**
     * The system property that sets the default {@link Execution}: {@code program} or {@code
     * plain}.
     */
    public static final String EXECUTION_PROPERTY = "ttt.execution";

    /** How an inference state computes its chunks. */
    public enum Execution {
        /** The model's TorchScript program: one engine call per chunk (the default). */
        PROGRAM,
        /** The blocks' DJL operations, one engine call per op: the reference. */
        PLAIN;

        /**
         * Returns the default: {@code -Dttt.execution=plain|program}, else {@link #PROGRAM}.
         *
         * @return the default execution
         * @throws IllegalArgumentException naming the property if its value is unknown
         */
        public static Execution byDefault() {
            String v = System.getProperty(EXECUTION_PROPERTY, "program");
            for (Execution e : values()) {
                if (e.name().equalsIgnoreCase(v.trim())) {
                    return e;
                }
            }
            throw new IllegalArgumentException(
                    "-D" + EXECUTION_PROPERTY + "=" + v + " is not one of program, plain");
        }
    }

    /** Validates the scale. */
    public StateOptions {
        if (!(innerLrScale >= 0) || Double.isInfinite(innerLrScale)) {
            throw new IllegalArgumentException("innerLrScale " + innerLrScale + " must be ≥ 0");
        }
        if (execution == null) {
            throw new IllegalArgumentException("execution must not be null");
        }
    }

    /**
     * Inference with test-time training.
     *
     * @return the options
     */
    public static StateOptions inference() {
        return new StateOptions(true, false, false, 1.0, Execution.byDefault());
    }

    /**
     * Inference with the fast weights frozen at W0.
     *
     * @return the options
     */
    public static StateOptions withoutTtt() {
        return new StateOptions(false, false, false, 1.0, Execution.byDefault());
    }

    /**
     * Training: the whole sequence stays differentiable.
     *
     * @param secondOrder exact meta-gradient (true) or first-order variant
     * @return the options
     */
    public static StateOptions training(boolean secondOrder) {
        return new StateOptions(true, true, secondOrder, 1.0, Execution.PLAIN);
    }

    /**
     * Returns these options with the inner gradients treated as constants (same values, no graph of
     * the inner gradient).
     *
     * @return the options
     */
    public StateOptions firstOrder() {
        return new StateOptions(testTimeTraining, differentiable, false, innerLrScale, execution);
    }

    /**
     * Returns these options with another inner learning-rate scale.
     *
     * @param scale the multiplier of the config's inner learning rate
     * @return the options
     */
    public StateOptions withInnerLrScale(double scale) {
        return new StateOptions(testTimeTraining, differentiable, secondOrder, scale, execution);
    }

    /**
     * Returns these options with another execution.
     *
     * @param e the execution of inference chunks
     * @return the options
     */
    public StateOptions withExecution(Execution e) {
        return new StateOptions(testTimeTraining, differentiable, secondOrder, innerLrScale, e);
    }
}
