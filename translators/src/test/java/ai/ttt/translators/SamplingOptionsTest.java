package ai.ttt.translators;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class SamplingOptionsTest {

    @Test
    void defaultsFollowHuggingFace() {
        SamplingOptions d = SamplingOptions.defaults();
        assertEquals(new SamplingOptions(1.0, 50, 1.0, 1.0, 0L), d);
        assertFalse(d.isGreedy());
        SamplingOptions g = SamplingOptions.greedy();
        assertTrue(g.isGreedy());
        assertEquals(0.0, g.temperature());
        assertEquals(d.withTemperature(0), g);
    }

    @Test
    void withersChangeOneField() {
        SamplingOptions o =
                SamplingOptions.defaults()
                        .withTemperature(0.7)
                        .withTopK(0)
                        .withTopP(0.9)
                        .withRepetitionPenalty(1.2)
                        .withSeed(99);
        assertEquals(new SamplingOptions(0.7, 0, 0.9, 1.2, 99), o);
    }

    @Test
    void edgeValuesAreAccepted() {
        new SamplingOptions(0, 0, 1, 1, Long.MIN_VALUE);
        new SamplingOptions(100, Integer.MAX_VALUE, Double.MIN_VALUE, 1e-9, -1);
    }

    @Test
    void invalidValuesNameTheOptionAndValue() {
        SamplingOptions d = SamplingOptions.defaults();
        assertMessage(
                "temperature must be finite and >= 0 (0 = greedy), got -0.5",
                () -> d.withTemperature(-0.5));
        assertMessage(
                "temperature must be finite and >= 0 (0 = greedy), got NaN",
                () -> d.withTemperature(Double.NaN));
        assertMessage(
                "temperature must be finite and >= 0 (0 = greedy), got Infinity",
                () -> d.withTemperature(Double.POSITIVE_INFINITY));
        assertMessage("topK must be >= 0 (0 = no top-k filter), got -1", () -> d.withTopK(-1));
        assertMessage("topP must be in (0, 1] (1 = no top-p filter), got 0.0", () -> d.withTopP(0));
        assertMessage(
                "topP must be in (0, 1] (1 = no top-p filter), got 1.5", () -> d.withTopP(1.5));
        assertMessage(
                "topP must be in (0, 1] (1 = no top-p filter), got NaN",
                () -> d.withTopP(Double.NaN));
        assertMessage(
                "repetitionPenalty must be finite and > 0 (1 = no penalty), got 0.0",
                () -> d.withRepetitionPenalty(0));
        assertMessage(
                "repetitionPenalty must be finite and > 0 (1 = no penalty), got -2.0",
                () -> d.withRepetitionPenalty(-2));
        assertMessage(
                "repetitionPenalty must be finite and > 0 (1 = no penalty), got Infinity",
                () -> d.withRepetitionPenalty(Double.POSITIVE_INFINITY));
    }

    private static void assertMessage(String message, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(message, e.getMessage());
    }
}
