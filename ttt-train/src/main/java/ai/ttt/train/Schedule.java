package ai.ttt.train;

/**
 * Learning-rate schedules (spec §4.2): the outer rate warms up linearly from 0 over the first
 * warm-up steps, then decays along a cosine to a floor; the inner-rate multiplier ramps linearly
 * from its start value to 1 over its own warm-up.
 *
 * @param peak the peak outer learning rate
 * @param floor the final outer learning rate
 * @param warmupSteps outer warm-up steps
 * @param totalSteps total steps
 * @param innerStart inner-rate multiplier at step 0
 * @param innerWarmupSteps steps over which the multiplier reaches 1
 */
public record Schedule(
        double peak,
        double floor,
        int warmupSteps,
        int totalSteps,
        double innerStart,
        int innerWarmupSteps) {

    /**
     * Returns the outer learning rate at a step.
     *
     * @param step 0-based
     * @return the rate
     */
    public double outer(int step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        int decaySteps = Math.max(1, totalSteps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }

    /**
     * Returns the inner learning-rate multiplier at a step.
     *
     * @param step 0-based
     * @return the multiplier, ending at 1
     */
    public double inner(int step) {
        if (step >= innerWarmupSteps) {
            return 1.0;
        }
        return innerStart + (1.0 - innerStart) * step / innerWarmupSteps;
    }
}
