package ai.ttt.cli.bench;

import java.util.Locale;

/** The three ways of running the same engine that {@code ttt bench} compares. */
public enum BenchMode {
    /** TTT-E2E: sliding window, the last S = L/4 blocks learn at test time, E2E MLP width. */
    TTT_E2E("ttt-e2e"),
    /** Sliding-window attention only (S = 0), baseline MLP width. */
    SWA("swa"),
    /** Full attention: the window covers the whole context (S = 0), baseline MLP width. */
    FULL("full");

    private final String label;

    BenchMode(String label) {
        this.label = label;
    }

    /**
     * Returns the name used on the command line and in outputs.
     *
     * @return e.g. {@code ttt-e2e}
     */
    public String label() {
        return label;
    }

    /**
     * Returns whether the fast weights take test-time-training steps.
     *
     * @return true for {@link #TTT_E2E}
     */
    public boolean testTimeTraining() {
        return this == TTT_E2E;
    }

    /**
     * Parses a label.
     *
     * @param name ttt-e2e, swa or full (any case)
     * @return the mode
     * @throws IllegalArgumentException naming the value if unknown
     */
    public static BenchMode parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (BenchMode m : values()) {
            if (m.label.equals(n)) {
                return m;
            }
        }
        throw new IllegalArgumentException(
                "mode \"" + name + "\" is not one of ttt-e2e, swa, full");
    }
}
