package ai.ttt.spark;

import java.util.Iterator;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.util.TaskCompletionListener;

/**
 * The rows of one partition, each mapped by a {@link RowReader} that uses this JVM's shared model.
 *
 * <p>The model is leased when the first row is read (an empty partition loads nothing) and given
 * back when the last row has been read, or when the task ends (a consumer such as {@code limit} may
 * stop early). Rows are read lazily, one at a time, as Spark pulls them.
 */
final class PartitionRows implements Iterator<Row> {

    /** Maps one row with the model. */
    @FunctionalInterface
    interface RowReader {
        /**
         * Reads a row.
         *
         * @param model the lease on the shared model
         * @param progress the partition's progress
         * @param row the input row
         * @return the output row; never throws for a bad row (its error column says why)
         */
        Row read(SharedModel.Lease model, PartitionProgress progress, Row row);
    }

    private final Iterator<Row> rows;
    private final ModelRequest request;
    private final RowReader reader;
    private final PartitionProgress progress;
    private SharedModel.Lease lease;
    private boolean finished;

    /**
     * Wraps a partition.
     *
     * @param rows the input rows
     * @param request the model to lease
     * @param what the transformer's name, for progress lines
     * @param reader maps each row
     */
    PartitionRows(Iterator<Row> rows, ModelRequest request, String what, RowReader reader) {
        this.rows = rows;
        this.request = request;
        this.reader = reader;
        this.progress = new PartitionProgress(what);
    }

    /** {@inheritDoc} */
    @Override
    public boolean hasNext() {
        boolean more = rows.hasNext();
        if (!more && !finished) {
            finished = true;
            progress.done();
            if (lease != null) {
                lease.close();
            }
        }
        return more;
    }

    /** {@inheritDoc} */
    @Override
    public Row next() {
        Row row = rows.next();
        if (lease == null) {
            SharedModel.Lease acquired = ExecutorModels.acquire(request);
            lease = acquired;
            TaskContext task = TaskContext.get();
            if (task != null) {
                task.addTaskCompletionListener((TaskCompletionListener) ctx -> acquired.close());
            }
        }
        return reader.read(lease, progress, row);
    }
}
