package ai.ttt.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar on standard error for long work: count, rate (tokens/s) and ETA. */
final class Progress implements AutoCloseable {

    /** Below this many tokens the work is quick and no bar is drawn. */
    static final long MIN_TOKENS = 4096;

    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    /**
     * Starts a bar counting tokens, or none when the work is short.
     *
     * @param task what is happening, e.g. "scoring"
     * @param total the number of tokens
     * @return the progress
     */
    static Progress tokens(String task, long total) {
        if (total < MIN_TOKENS || Boolean.getBoolean("ttt.noProgress")) {
            return new Progress(null);
        }
        ProgressBar bar =
                new ProgressBarBuilder()
                        .setTaskName(task)
                        .setInitialMax(total)
                        .setUnit(" tok", 1)
                        .showSpeed()
                        .setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(500)
                        .continuousUpdate()
                        .build();
        return new Progress(bar);
    }

    /**
     * Records progress.
     *
     * @param done tokens done so far
     */
    void stepTo(long done) {
        if (bar != null) {
            bar.stepTo(done);
        }
    }

    /**
     * Sets a short extra message (e.g. the current loss).
     *
     * @param message the message
     */
    void message(String message) {
        if (bar != null) {
            bar.setExtraMessage(message);
        }
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
