package ai.ttt.convert;

import ai.ttt.block.safetensors.DType;

/**
 * Choices of a conversion. A {@code null} leaves the choice to the source checkpoint or the
 * default.
 *
 * @param window sliding window k (default: the source's, else 8192)
 * @param miniBatch mini-batch b (default: the source's, else 1024)
 * @param primeLayers S, blocks given a prime MLP (default L/4; 0 allowed; Hugging Face only)
 * @param primeInit how new prime MLPs start (Hugging Face only)
 * @param seed seed of the random part of the prime initialisation
 * @param dtype F32 or F16 output
 */
public record ConvertOptions(
        Integer window,
        Integer miniBatch,
        Integer primeLayers,
        PrimeInit primeInit,
        long seed,
        DType dtype) {

    /** The window when the source has none (the paper's k). */
    public static final int DEFAULT_WINDOW = 8192;

    /** The mini-batch when the source has none (the paper's b). */
    public static final int DEFAULT_MINI_BATCH = 1024;

    /** How a converted model's new prime MLPs start. */
    public enum PrimeInit {
        /**
         * w1, w3 ~ N(0, 0.02²), w2 = 0, pre-norm weight 1: the prime MLP adds exactly zero, so the
         * converted model computes the original function until its first update.
         */
        ZERO_OUTPUT,
        /** A copy of the block's static MLP and of its pre-norm (changes the function). */
        COPY_STATIC
    }

    /** Validates the options. */
    public ConvertOptions {
        if (primeInit == null) {
            primeInit = PrimeInit.ZERO_OUTPUT;
        }
        if (dtype == null) {
            dtype = DType.F32;
        }
        if (dtype != DType.F32 && dtype != DType.F16) {
            throw new IllegalArgumentException("output dtype " + dtype + " must be F32 or F16");
        }
        if (window != null && window < 1) {
            throw new IllegalArgumentException("window " + window + " must be at least 1");
        }
        if (miniBatch != null && miniBatch < 1) {
            throw new IllegalArgumentException("mini-batch " + miniBatch + " must be at least 1");
        }
        if (primeLayers != null && primeLayers < 0) {
            throw new IllegalArgumentException("prime layers " + primeLayers + " must be ≥ 0");
        }
    }

    /**
     * Returns the defaults.
     *
     * @return all choices left to the source or default
     */
    public static ConvertOptions defaults() {
        return new ConvertOptions(null, null, null, PrimeInit.ZERO_OUTPUT, 0, DType.F32);
    }
}
