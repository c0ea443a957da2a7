package ai.ttt.translators;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text that could be the beginning of a stop string is held
 * back until it is clear whether it is one, so nothing of a stop string is ever emitted.
 */
final class StopMatcher {

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopMatcher(List<String> stops) {
        this.stops = stops;
    }

    /**
     * Adds text and returns what can be emitted. After a stop string appears, {@link #stopped()} is
     * true and the returned text ends right before it.
     */
    String push(String piece) {
        if (stopped) {
            return "";
        }
        if (stops.isEmpty()) {
            return piece;
        }
        held.append(piece);
        int first = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (first < 0 || i < first)) {
                first = i;
            }
        }
        if (first >= 0) {
            stopped = true;
            String out = held.substring(0, first);
            held.setLength(0);
            return out;
        }
        String h = held.toString();
        int keep = 0;
        for (String s : stops) {
            int max = Math.min(s.length() - 1, h.length());
            for (int k = max; k > keep; k--) {
                if (h.regionMatches(h.length() - k, s, 0, k)) {
                    keep = k;
                    break;
                }
            }
        }
        held.delete(0, h.length() - keep);
        return h.substring(0, h.length() - keep);
    }

    /** Returns the held-back text (the stream ended without a stop string). */
    String flush() {
        String out = stopped ? "" : held.toString();
        held.setLength(0);
        return out;
    }

    boolean stopped() {
        return stopped;
    }
}
