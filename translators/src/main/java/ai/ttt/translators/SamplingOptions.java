package ai.ttt.translators;

/**
 * How {@link Sampler} picks the next token, with Hugging Face {@code generate} semantics.
 *
 * <p>Defaults ({@link #defaults()}) follow Hugging Face's {@code GenerationConfig} for sampling:
 * temperature {@value #DEFAULT_TEMPERATURE}, top-k {@value #DEFAULT_TOP_K}, top-p {@value
 * #DEFAULT_TOP_P} (off), repetition penalty {@value #DEFAULT_REPETITION_PENALTY} (off), and seed
 * {@value #DEFAULT_SEED}. {@link #greedy()} gives deterministic argmax decoding.
 *
 * @param temperature divides the logits before sampling; {@code 0} means greedy (argmax, the other
 *     filters and the seed are then irrelevant); must be finite and {@code >= 0}
 * @param topK keep only the {@code topK} most likely tokens (ties with the k-th are kept too);
 *     {@code 0} disables the filter; must be {@code >= 0}
 * @param topP nucleus sampling: keep the smallest set of most likely tokens whose probability adds
 *     up to at least {@code topP} (always at least one token); {@code 1} disables the filter; must
 *     be in {@code (0, 1]}
 * @param repetitionPenalty divides the positive logits and multiplies the negative logits of every
 *     token already seen (CTRL-style, as Hugging Face's {@code repetition_penalty}); {@code 1}
 *     disables it; must be finite and {@code > 0}
 * @param seed seeds the sampler's random generator: the same seed, options and logits give the same
 *     tokens, hence the same text
 */
public record SamplingOptions(
        double temperature, int topK, double topP, double repetitionPenalty, long seed) {

    /** Default temperature: sample from the model's distribution unchanged. */
    public static final double DEFAULT_TEMPERATURE = 1.0;

    /** Default top-k, as in Hugging Face. */
    public static final int DEFAULT_TOP_K = 50;

    /** Default top-p: no nucleus filter. */
    public static final double DEFAULT_TOP_P = 1.0;

    /** Default repetition penalty: none. */
    public static final double DEFAULT_REPETITION_PENALTY = 1.0;

    /** Default seed: runs are reproducible unless the caller picks a seed. */
    public static final long DEFAULT_SEED = 0L;

    /**
     * Validates the options.
     *
     * @param temperature the temperature, {@code >= 0}
     * @param topK the top-k, {@code >= 0}
     * @param topP the top-p, in {@code (0, 1]}
     * @param repetitionPenalty the repetition penalty, {@code > 0}
     * @param seed the seed
     * @throws IllegalArgumentException naming the option and its value if one is out of range
     */
    public SamplingOptions {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException(
                    "temperature must be finite and >= 0 (0 = greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException(
                    "topK must be >= 0 (0 = no top-k filter), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException(
                    "topP must be in (0, 1] (1 = no top-p filter), got " + topP);
        }
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException(
                    "repetitionPenalty must be finite and > 0 (1 = no penalty), got "
                            + repetitionPenalty);
        }
    }

    /**
     * Returns the default sampling options (see the class documentation).
     *
     * @return temperature 1, top-k 50, top-p 1, repetition penalty 1, seed 0
     */
    public static SamplingOptions defaults() {
        return new SamplingOptions(
                DEFAULT_TEMPERATURE,
                DEFAULT_TOP_K,
                DEFAULT_TOP_P,
                DEFAULT_REPETITION_PENALTY,
                DEFAULT_SEED);
    }

    /**
     * Returns options for greedy decoding: always the most likely allowed token.
     *
     * @return the defaults with temperature 0
     */
    public static SamplingOptions greedy() {
        return defaults().withTemperature(0);
    }

    /**
     * Returns whether these options pick the argmax (temperature 0).
     *
     * @return {@code true} for greedy decoding
     */
    public boolean isGreedy() {
        return temperature == 0;
    }

    /**
     * Returns a copy with another temperature.
     *
     * @param value the temperature
     * @return the new options
     */
    public SamplingOptions withTemperature(double value) {
        return new SamplingOptions(value, topK, topP, repetitionPenalty, seed);
    }

    /**
     * Returns a copy with another top-k.
     *
     * @param value the top-k, 0 for none
     * @return the new options
     */
    public SamplingOptions withTopK(int value) {
        return new SamplingOptions(temperature, value, topP, repetitionPenalty, seed);
    }

    /**
     * Returns a copy with another top-p.
     *
     * @param value the top-p, 1 for none
     * @return the new options
     */
    public SamplingOptions withTopP(double value) {
        return new SamplingOptions(temperature, topK, value, repetitionPenalty, seed);
    }

    /**
     * Returns a copy with another repetition penalty.
     *
     * @param value the penalty, 1 for none
     * @return the new options
     */
    public SamplingOptions withRepetitionPenalty(double value) {
        return new SamplingOptions(temperature, topK, topP, value, seed);
    }

    /**
     * Returns a copy with another seed.
     *
     * @param value the seed
     * @return the new options
     */
    public SamplingOptions withSeed(long value) {
        return new SamplingOptions(temperature, topK, topP, repetitionPenalty, value);
    }
}
