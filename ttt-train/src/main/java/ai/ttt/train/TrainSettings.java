package ai.ttt.train;

/**
 * The hyperparameters of a training run (spec §4.2 for the defaults of the outer loop).
 *
 * @param sequenceLength T, targets per training sequence (a multiple of the mini-batch size)
 * @param batchSize sequences per step
 * @param steps total outer steps
 * @param peakLr peak outer learning rate
 * @param floorLr final outer learning rate of the cosine decay
 * @param warmupFraction fraction of steps of linear warm-up
 * @param weightDecay AdamW λ
 * @param beta1 AdamW β1
 * @param beta2 AdamW β2
 * @param gradClip global-norm clip of the outer gradient
 * @param innerLrStart inner-rate multiplier at the start
 * @param innerWarmupFraction fraction of steps over which it reaches 1
 * @param secondOrder exact meta-gradient (true) or the first-order variant
 * @param seed data order and initialisation seed
 * @param checkpointEvery steps between checkpoints
 */
public record TrainSettings(
        int sequenceLength,
        int batchSize,
        int steps,
        double peakLr,
        double floorLr,
        double warmupFraction,
        double weightDecay,
        double beta1,
        double beta2,
        double gradClip,
        double innerLrStart,
        double innerWarmupFraction,
        boolean secondOrder,
        long seed,
        int checkpointEvery) {

    /** Validates the settings; messages name the setting and value. */
    public TrainSettings {
        require(sequenceLength > 0, "sequence length " + sequenceLength + " must be positive");
        require(batchSize > 0, "batch size " + batchSize + " must be positive");
        require(steps > 0, "steps " + steps + " must be positive");
        require(peakLr > 0, "learning rate " + peakLr + " must be positive");
        require(
                warmupFraction >= 0 && warmupFraction < 1,
                "warm-up fraction " + warmupFraction + " must be in [0, 1)");
        require(
                checkpointEvery > 0,
                "checkpoint interval " + checkpointEvery + " must be positive");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * Returns the schedule these settings define.
     *
     * @return the schedule
     */
    public Schedule schedule() {
        return new Schedule(
                peakLr,
                floorLr,
                (int) Math.round(warmupFraction * steps),
                steps,
                innerLrStart,
                (int) Math.round(innerWarmupFraction * steps));
    }
}
