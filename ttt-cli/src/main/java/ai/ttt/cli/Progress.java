package ai.ttt.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of long work on standard error: tokens done, rate and time left.
 *
 * <p>What it writes depends on where standard error goes and on the switch {@code ttt.progress}
 * (system property {@code -Dttt.progress=…}, or environment variable {@code TTT_PROGRESS}):
 *
 * <ul>
 *   <li>{@code auto} (default): a bar redrawn in place on a terminal, plain lines otherwise;
 *   <li>{@code bar}: the bar (carriage-return frames) wherever standard error goes;
 *   <li>{@code lines}: one plain line every {@value #LINE_SECONDS} seconds ({@code
 *       ttt.progress.seconds} or {@code TTT_PROGRESS_SECONDS} to change it) and a last line when
 *       done, safe for files and pipes (no carriage returns);
 *   <li>{@code off}: nothing ({@code -Dttt.noProgress=true} means the same).
 * </ul>
 *
 * <p>Quick work writes nothing at all: the bar appears after one second, the first line after one
 * interval.
 */
final class Progress implements AutoCloseable {

    /** How progress is shown. */
    enum Mode {
        /** Redrawn in place with carriage returns (a terminal). */
        BAR,
        /** Plain periodic lines (files, pipes, CI logs). */
        LINES,
        /** Nothing. */
        OFF
    }

    /** Seconds between two lines in {@link Mode#LINES}. */
    static final int LINE_SECONDS = 10;

    private static final long BAR_DELAY_NANOS = 1_000_000_000L;
    private static final long BAR_REDRAW_NANOS = 250_000_000L;

    private final String task;
    private long total;
    private final Mode mode;
    private final PrintStream err;
    private final LongSupplier clock;
    private final long firstNanos;
    private final long everyNanos;
    private final long start;
    private long baseline;
    private long done;
    private String message = "";
    private long lastWrite;
    private boolean written;
    private boolean closed;
    private int barWidth;

    Progress(
            String task,
            long total,
            Mode mode,
            PrintStream err,
            LongSupplier clock,
            long firstNanos,
            long everyNanos) {
        this.task = task;
        this.total = total;
        this.mode = mode;
        this.err = err;
        this.clock = clock;
        this.firstNanos = firstNanos;
        this.everyNanos = everyNanos;
        this.start = clock.getAsLong();
    }

    /**
     * Starts progress counting tokens, shown as the switch and standard error decide.
     *
     * @param task what is happening, e.g. "scoring"
     * @param total the number of tokens
     * @return the progress
     */
    static Progress tokens(String task, long total) {
        Mode mode = mode(System.getProperty("ttt.progress", System.getenv("TTT_PROGRESS")));
        PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        long line =
                lineSeconds(
                                System.getProperty(
                                        "ttt.progress.seconds",
                                        System.getenv("TTT_PROGRESS_SECONDS")))
                        * 1_000_000_000L;
        return mode == Mode.BAR
                ? new Progress(
                        task, total, mode, err, System::nanoTime, BAR_DELAY_NANOS, BAR_REDRAW_NANOS)
                : new Progress(task, total, mode, err, System::nanoTime, line, line);
    }

    /**
     * Picks the mode from the switch's value.
     *
     * @param value auto, bar, lines, off, or null (auto)
     * @return the mode
     * @throws UserException if the value is none of those
     */
    static Mode mode(String value) {
        if (Boolean.getBoolean("ttt.noProgress")) {
            return Mode.OFF;
        }
        String v = value == null ? "auto" : value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "auto":
            case "":
                return stderrIsTerminal() ? Mode.BAR : Mode.LINES;
            case "bar":
                return Mode.BAR;
            case "lines":
                return Mode.LINES;
            case "off":
                return Mode.OFF;
            default:
                throw new UserException(
                        "ttt.progress " + value + " must be auto, bar, lines or off");
        }
    }

    /**
     * Reads the seconds between two lines.
     *
     * @param value a whole number ≥ 0, or null ({@value #LINE_SECONDS})
     * @return the seconds
     * @throws UserException if the value is not such a number
     */
    static long lineSeconds(String value) {
        if (value == null || value.isBlank()) {
            return LINE_SECONDS;
        }
        try {
            long seconds = Long.parseLong(value.trim());
            if (seconds >= 0 && seconds <= 86_400) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new UserException(
                "ttt.progress.seconds " + value + " must be a whole number of seconds, 0 to 86400");
    }

    /** Whether standard error is a terminal (Linux: where file descriptor 2 points). */
    private static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false; // unknown: plain lines are safe everywhere
        }
    }

    /**
     * Continues work begun earlier (a resumed run): {@code done} tokens count as done, but not
     * towards the rate.
     *
     * @param alreadyDone tokens done before this run
     */
    void resumeFrom(long alreadyDone) {
        baseline = alreadyDone;
        done = alreadyDone;
    }

    /**
     * Records progress.
     *
     * @param tokensDone tokens done so far
     */
    void stepTo(long tokensDone) {
        done = tokensDone;
        long now = clock.getAsLong();
        if (mode == Mode.OFF || closed || now - start < firstNanos) {
            return;
        }
        if (!written || now - lastWrite >= everyNanos) {
            write(now);
        }
    }

    /**
     * Records progress of work whose size is learnt as it goes (a prompt read inside DJL).
     *
     * @param tokensDone tokens done so far
     * @param tokensTotal tokens in all
     */
    void stepTo(long tokensDone, long tokensTotal) {
        total = tokensTotal;
        stepTo(tokensDone);
    }

    /**
     * Sets a short extra message (e.g. the current loss).
     *
     * @param text the message
     */
    void message(String text) {
        message = text == null ? "" : text;
    }

    private void write(long now) {
        lastWrite = now;
        written = true;
        if (mode == Mode.BAR) {
            String frame = barFrame(now);
            int pad = Math.max(0, barWidth - frame.length());
            barWidth = frame.length();
            err.print("\r" + frame + " ".repeat(pad));
        } else {
            err.println(line(now));
        }
        err.flush();
    }

    /** One line: "scoring: 12,288 of 29,000 tokens (42%), 1,234 tok/s, about 13 s left". */
    String line(long now) {
        StringBuilder sb = new StringBuilder(task).append(": ");
        sb.append(String.format(Locale.ROOT, "%,d of %,d tokens", done, total));
        if (total > 0) {
            sb.append(String.format(Locale.ROOT, " (%d%%)", percent()));
        }
        appendRateAndEta(sb, now);
        return sb.toString();
    }

    private String barFrame(long now) {
        int width = 24;
        int filled = total <= 0 ? 0 : (int) Math.min(width, done * width / total);
        StringBuilder sb = new StringBuilder(task).append(' ');
        sb.append(String.format(Locale.ROOT, "%3d%% [", percent()));
        sb.append("=".repeat(filled)).append(" ".repeat(width - filled)).append("] ");
        sb.append(String.format(Locale.ROOT, "%,d/%,d tok", done, total));
        appendRateAndEta(sb, now);
        return sb.toString();
    }

    private void appendRateAndEta(StringBuilder sb, long now) {
        double seconds = (now - start) / 1e9;
        double rate = seconds <= 0 ? 0 : (done - baseline) / seconds;
        if (rate > 0) {
            sb.append(", ").append(formatRate(rate)).append(" tok/s");
            if (done < total) {
                sb.append(", about ").append(duration((total - done) / rate)).append(" left");
            }
        }
        if (!message.isEmpty()) {
            sb.append(", ").append(message);
        }
    }

    private int percent() {
        return total <= 0 ? 100 : (int) Math.min(100, done * 100 / total);
    }

    /** A rate with enough digits to mean something, never ".0". */
    static String formatRate(double rate) {
        return rate >= 100
                ? String.format(Locale.ROOT, "%,.0f", rate)
                : String.format(Locale.ROOT, "%.1f", rate);
    }

    /** Seconds as "13 s", "4 min 05 s" or "2 h 10 min". */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }

    /**
     * Ends the display: the bar's line is finished; lines end with a summary if any was shown.
     * Closing twice is fine.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!written) {
            return;
        }
        long now = clock.getAsLong();
        if (mode == Mode.BAR) {
            write(now);
            err.println();
        } else {
            double seconds = (now - start) / 1e9;
            StringBuilder sb = new StringBuilder(task).append(": ");
            sb.append(String.format(Locale.ROOT, "%,d tokens in %s", done, duration(seconds)));
            if (seconds > 0 && done > baseline) {
                sb.append(" (").append(formatRate((done - baseline) / seconds)).append(" tok/s)");
            }
            err.println(sb);
        }
        err.flush();
    }
}
