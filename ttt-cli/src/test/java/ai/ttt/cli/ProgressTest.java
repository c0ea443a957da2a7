package ai.ttt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 (progress): files and pipes get plain periodic lines, never carriage-return frames; the
 * rate never prints as ".0 tok/s"; the switch is documented and checked.
 */
class ProgressTest {

    private static final long SECOND = 1_000_000_000L;

    /** A clock the test moves by hand. */
    private static final class Clock {
        long now;
    }

    private static Progress progress(
            Progress.Mode mode, long total, ByteArrayOutputStream sink, Clock clock) {
        long every = mode == Progress.Mode.BAR ? SECOND / 4 : 10 * SECOND;
        long first = mode == Progress.Mode.BAR ? SECOND : 10 * SECOND;
        return new Progress(
                "scoring",
                total,
                mode,
                new PrintStream(sink, true, StandardCharsets.UTF_8),
                () -> clock.now,
                first,
                every);
    }

    @Test
    void linesArePlainPeriodicAndEndWithASummary() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        Clock clock = new Clock();
        try (Progress p = progress(Progress.Mode.LINES, 30_000, sink, clock)) {
            for (int i = 1; i <= 30; i++) {
                clock.now = i * SECOND;
                p.stepTo(i * 1_000L);
            }
        }
        String out = sink.toString(StandardCharsets.UTF_8);
        assertFalse(out.contains("\r"), "no carriage returns in a file or pipe:\n" + out);
        assertEquals(
                "scoring: 10,000 of 30,000 tokens (33%), 1,000 tok/s, about 20 s left\n"
                        + "scoring: 20,000 of 30,000 tokens (66%), 1,000 tok/s, about 10 s left\n"
                        + "scoring: 30,000 of 30,000 tokens (100%), 1,000 tok/s\n"
                        + "scoring: 30,000 tokens in 30 s (1,000 tok/s)\n",
                out);
    }

    @Test
    void quickWorkPrintsNothing() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        Clock clock = new Clock();
        for (Progress.Mode mode : Progress.Mode.values()) {
            try (Progress p = progress(mode, 5_000, sink, clock)) {
                clock.now += SECOND / 2;
                p.stepTo(5_000);
            }
        }
        assertEquals("", sink.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theBarRedrawsInPlaceAndEndsItsLine() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        Clock clock = new Clock();
        try (Progress p = progress(Progress.Mode.BAR, 100, sink, clock)) {
            clock.now = 2 * SECOND;
            p.stepTo(1);
            clock.now = 3 * SECOND;
            p.stepTo(100);
        }
        String out = sink.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\rscoring   1% ["), out);
        assertTrue(out.contains("1/100 tok, 0.5 tok/s, about 3 min 18 s left"), out);
        assertTrue(out.endsWith("\n"), out);
        assertFalse(out.contains(" .0 tok/s"), out);
    }

    @Test
    void ratesKeepTheirLeadingDigit() {
        assertEquals("0.5", Progress.formatRate(0.5));
        assertEquals("0.0", Progress.formatRate(0.0));
        assertEquals("42.0", Progress.formatRate(42));
        assertEquals("1,234", Progress.formatRate(1234.4));
        assertEquals("4 min 05 s", Progress.duration(245));
        assertEquals("2 h 10 min", Progress.duration(7800));
    }

    @Test
    void theSwitchIsChecked() {
        assertEquals(Progress.Mode.OFF, Progress.mode("off"));
        assertEquals(Progress.Mode.LINES, Progress.mode("LINES"));
        assertEquals(Progress.Mode.BAR, Progress.mode("bar"));
        UserException e = assertThrows(UserException.class, () -> Progress.mode("fancy"));
        assertEquals("ttt.progress fancy must be auto, bar, lines or off", e.getMessage());
        assertEquals(10, Progress.lineSeconds(null));
        assertEquals(0, Progress.lineSeconds("0"));
        e = assertThrows(UserException.class, () -> Progress.lineSeconds("-2"));
        assertEquals(
                "ttt.progress.seconds -2 must be a whole number of seconds, 0 to 86400",
                e.getMessage());
    }

    @Test
    void aResumedRunCountsOnlyItsOwnTokensTowardsTheRate() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        Clock clock = new Clock();
        try (Progress p = progress(Progress.Mode.LINES, 100_000, sink, clock)) {
            p.resumeFrom(50_000);
            clock.now = 10 * SECOND;
            p.stepTo(60_000);
        }
        String out = sink.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("scoring: 60,000 of 100,000 tokens (60%), 1,000 tok/s"), out);
    }
}
