package ai.ttt.block;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Llama 3 RoPE scaling against a direct transcription of its published formula. */
class RopeScalingTest {

    /** The formula as Meta published it (llama-models, apply_scaling), one frequency at a time. */
    static double reference(double freq, double factor, double low, double high, double oldLen) {
        double lowWavelen = oldLen / low;
        double highWavelen = oldLen / high;
        double wavelen = 2 * Math.PI / freq;
        if (wavelen < highWavelen) {
            return freq;
        }
        if (wavelen > lowWavelen) {
            return freq / factor;
        }
        double smooth = (oldLen / wavelen - low) / (high - low);
        return (1 - smooth) * freq / factor + smooth * freq;
    }

    @Test
    void llama3MatchesPublishedFormula() {
        // Llama 3.1 8B: head_dim 128, θ = 500000, factor 8, low 1, high 4, original 8192.
        double[] scaled =
                RopeScaling.inverseFrequencies(128, 500000, RopeScaling.llama3(8, 1, 4, 8192));
        int low = 0;
        int mid = 0;
        int high = 0;
        for (int j = 0; j < 64; j++) {
            double freq = 1.0 / Math.pow(500000, 2.0 * j / 128);
            double expected = reference(freq, 8, 1, 4, 8192);
            assertEquals(expected, scaled[j], 1e-15 * Math.abs(expected), "j=" + j);
            if (expected == freq) {
                high++;
            } else if (Math.abs(expected - freq / 8) < 1e-18) {
                low++;
            } else {
                mid++;
            }
        }
        // All three regimes are exercised.
        assertEquals(64, low + mid + high);
        org.junit.jupiter.api.Assertions.assertTrue(low > 0 && mid > 0 && high > 0);
    }

    @Test
    void linearDividesEveryFrequency() {
        double[] plain = RopeScaling.inverseFrequencies(16, 10000, null);
        double[] scaled = RopeScaling.inverseFrequencies(16, 10000, RopeScaling.linear(4));
        for (int j = 0; j < 8; j++) {
            assertEquals(plain[j] / 4, scaled[j], 0);
        }
    }
}
