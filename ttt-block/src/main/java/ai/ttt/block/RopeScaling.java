package ai.ttt.block;

/**
 * A RoPE frequency scaling, as real checkpoints configure it ({@code rope_scaling} in config.json).
 *
 * <p>Supported: {@code "linear"} (every frequency divided by {@code factor}) and {@code "llama3"}
 * (Llama 3.1: low frequencies divided by {@code factor}, high ones kept, a smooth ramp between).
 *
 * @param ropeType {@link Type#LINEAR} or {@link Type#LLAMA3}
 * @param factor the scaling factor (&gt; 0)
 * @param lowFreqFactor llama3 only: wavelengths above {@code originalMaxPositions / lowFreqFactor}
 *     are fully scaled
 * @param highFreqFactor llama3 only: wavelengths below {@code originalMaxPositions /
 *     highFreqFactor} are kept
 * @param originalMaxPositions llama3 only: the pre-training context length
 */
public record RopeScaling(
        Type ropeType,
        double factor,
        double lowFreqFactor,
        double highFreqFactor,
        int originalMaxPositions) {

    /** The rope types this plugin implements, by their {@code rope_type} in config.json. */
    public enum Type {
        /** Every frequency divided by {@code factor}. */
        LINEAR("linear"),
        /** Llama 3.1: low frequencies divided by {@code factor}, high ones kept, a ramp between. */
        LLAMA3("llama3");

        private final String jsonName;

        Type(String jsonName) {
            this.jsonName = jsonName;
        }

        /**
         * Returns the name in config.json.
         *
         * @return {@code linear} or {@code llama3}
         */
        public String jsonName() {
            return jsonName;
        }

        /**
         * Returns the type of a {@code rope_type} value.
         *
         * @param name the value in config.json
         * @return the type, or {@code null} if this plugin does not implement it
         */
        public static Type fromJson(String name) {
            for (Type t : values()) {
                if (t.jsonName.equals(name)) {
                    return t;
                }
            }
            return null;
        }
    }

    /** The {@code rope_type} values this plugin implements. */
    public static final java.util.List<String> SUPPORTED =
            java.util.Arrays.stream(Type.values()).map(Type::jsonName).toList();

    /** Checks the type is given. */
    public RopeScaling {
        java.util.Objects.requireNonNull(ropeType, "ropeType");
    }

    /**
     * Creates a linear scaling.
     *
     * @param factor the factor every frequency is divided by
     * @return the scaling
     */
    public static RopeScaling linear(double factor) {
        return new RopeScaling(Type.LINEAR, factor, 0, 0, 0);
    }

    /**
     * Creates a Llama 3 scaling.
     *
     * @param factor the factor low frequencies are divided by
     * @param lowFreqFactor the low-frequency factor
     * @param highFreqFactor the high-frequency factor
     * @param originalMaxPositions the original context length
     * @return the scaling
     */
    public static RopeScaling llama3(
            double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
        return new RopeScaling(
                Type.LLAMA3, factor, lowFreqFactor, highFreqFactor, originalMaxPositions);
    }

    /**
     * Returns the RoPE inverse frequencies {@code θ^(−2j/hd)}, j &lt; hd/2, with an optional
     * scaling.
     *
     * @param headDim hd, even
     * @param theta the base θ
     * @param scaling the scaling, or {@code null} for none
     * @return hd/2 inverse frequencies
     */
    public static double[] inverseFrequencies(int headDim, double theta, RopeScaling scaling) {
        double[] inv = new double[headDim / 2];
        for (int j = 0; j < inv.length; j++) {
            inv[j] = 1.0 / Math.pow(theta, (2.0 * j) / headDim);
        }
        return scaling == null ? inv : scaling.apply(inv);
    }

    /**
     * Applies this scaling to unscaled inverse frequencies.
     *
     * @param inv unscaled inverse frequencies
     * @return scaled inverse frequencies (a new array)
     */
    public double[] apply(double[] inv) {
        double[] out = new double[inv.length];
        switch (ropeType) {
            case LINEAR:
                for (int j = 0; j < inv.length; j++) {
                    out[j] = inv[j] / factor;
                }
                return out;
            case LLAMA3:
                double lowWavelen = originalMaxPositions / lowFreqFactor;
                double highWavelen = originalMaxPositions / highFreqFactor;
                for (int j = 0; j < inv.length; j++) {
                    double wavelen = 2 * Math.PI / inv[j];
                    if (wavelen < highWavelen) {
                        out[j] = inv[j];
                    } else if (wavelen > lowWavelen) {
                        out[j] = inv[j] / factor;
                    } else {
                        // Smooth ramp between the two regimes.
                        double smooth =
                                (originalMaxPositions / wavelen - lowFreqFactor)
                                        / (highFreqFactor - lowFreqFactor);
                        out[j] = (1 - smooth) * inv[j] / factor + smooth * inv[j];
                    }
                }
                return out;
            default:
                throw new AssertionError(ropeType);
        }
    }
}
