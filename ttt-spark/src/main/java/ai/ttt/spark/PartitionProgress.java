package ai.ttt.spark;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.spark.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress lines of one partition, in the executor's log: at most one every {@value
 * #INTERVAL_SECONDS} seconds while rows are read, a line when a long document starts, and a summary
 * when the partition ends. Spark's own progress (tasks done per stage) shows on the driver; these
 * lines show what a task is doing while it reads documents that take minutes.
 */
final class PartitionProgress {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionProgress.class);

    /** Seconds between two progress lines of one partition. */
    static final long INTERVAL_SECONDS = 10;

    /** Documents of at least this many tokens get a line of their own when they start. */
    static final long LONG_DOCUMENT_TOKENS = 16_384;

    private final String what;
    private final String where;
    private final long start = System.nanoTime();
    private long lastLine = start;
    private long documents;
    private long errors;
    private long tokens;

    /**
     * Starts counting.
     *
     * @param what the transformer ({@code TttScorer}, {@code TttGenerator})
     */
    PartitionProgress(String what) {
        this.what = what;
        TaskContext task = TaskContext.get();
        this.where =
                task == null
                        ? "(no task)"
                        : "partition " + task.partitionId() + " of stage " + task.stageId();
    }

    /**
     * Notes that a document starts; long ones get a line.
     *
     * @param documentTokens its tokens
     */
    void starting(long documentTokens) {
        if (documentTokens >= LONG_DOCUMENT_TOKENS) {
            LOG.info(
                    "{} {}: document {} has {} tokens; reading it",
                    what,
                    where,
                    documents + 1,
                    String.format(Locale.ROOT, "%,d", documentTokens));
        }
    }

    /**
     * Notes progress inside a long document (at most one line per interval).
     *
     * @param done tokens read
     * @param total tokens of the document
     */
    void reading(long done, long total) {
        if (due()) {
            LOG.info(
                    "{} {}: document {}: {}/{} tokens read",
                    what,
                    where,
                    documents + 1,
                    String.format(Locale.ROOT, "%,d", done),
                    String.format(Locale.ROOT, "%,d", total));
        }
    }

    /**
     * Notes a finished row.
     *
     * @param rowTokens tokens read for it (0 for a row with an error)
     * @param error whether the row got an error
     */
    void finished(long rowTokens, boolean error) {
        documents++;
        tokens += rowTokens;
        if (error) {
            errors++;
        }
        if (due()) {
            LOG.info("{} {}: {}", what, where, summary());
        }
    }

    /** Logs the partition's summary. */
    void done() {
        LOG.info("{} {} done: {}", what, where, summary());
    }

    private boolean due() {
        long now = System.nanoTime();
        if (now - lastLine < TimeUnit.SECONDS.toNanos(INTERVAL_SECONDS)) {
            return false;
        }
        lastLine = now;
        return true;
    }

    /**
     * Describes the counts so far.
     *
     * @return documents, errors, tokens, rate
     */
    String summary() {
        double seconds = (System.nanoTime() - start) / 1e9;
        return String.format(
                Locale.ROOT,
                "%,d documents (%,d with errors), %,d tokens in %.1f s (%,.0f tokens/s)",
                documents,
                errors,
                tokens,
                seconds,
                seconds > 0 ? tokens / seconds : 0.0);
    }
}
