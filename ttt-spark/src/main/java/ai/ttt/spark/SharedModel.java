package ai.ttt.spark;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.ttt.block.TttConfig;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.translators.TttModels;
import ai.ttt.translators.TttTokenizer;
import ai.ttt.zoo.TttBlockFactory;
import ai.ttt.zoo.TttTranslatorFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model loaded in this JVM, shared by every task that asks for the same {@link ModelKey}.
 *
 * <p>The model is loaded by the first task that needs it (through DJL's {@code Criteria}, as any
 * DJL user loads it); tasks arriving meanwhile wait for that load instead of starting their own.
 * Tasks then use it concurrently: the weights are only read, and every row runs its own {@link
 * ai.ttt.translators.TttSession}. Each task holds a {@link Lease} while it uses the model, so that
 * closing (at JVM exit) never frees weights a running task is reading.
 */
final class SharedModel {

    private static final Logger LOG = LoggerFactory.getLogger(SharedModel.class);

    private final ModelKey key;
    private ZooModel<String, String> zooModel;
    private TttLanguageModel languageModel;
    private TttTokenizer tokenizer;
    private int users;
    private boolean closed;

    /**
     * Creates the holder; nothing is loaded until {@link #acquire()}.
     *
     * @param key what to load
     */
    SharedModel(ModelKey key) {
        this.key = key;
    }

    /**
     * Returns the key.
     *
     * @return what this model is
     */
    ModelKey key() {
        return key;
    }

    /**
     * Takes a lease on the model, loading it first if no task has.
     *
     * @return the lease, or {@code null} if the model has been closed (ask {@link ExecutorModels}
     *     again for a fresh one)
     * @throws IllegalStateException naming the model and device if it cannot be loaded
     */
    synchronized Lease acquire() {
        if (closed) {
            return null;
        }
        if (zooModel == null) {
            load();
        }
        users++;
        return new Lease();
    }

    private void load() {
        long start = System.nanoTime();
        if (key.device().isGpu() && Engine.getEngine("PyTorch").getGpuCount() == 0) {
            throw new IllegalStateException(
                    "cannot load "
                            + key
                            + ": the task was given a GPU but PyTorch sees no CUDA device (the"
                            + " executors need a CUDA build of libtorch 2.7.1; see the README's"
                            + " GPU section)");
        }
        Criteria.Builder<String, String> criteria =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optDevice(key.device())
                        .optArgument(TttBlockFactory.PRECISION, key.precision())
                        .optArgument(TttBlockFactory.ATTENTION, key.attention());
        if (ModelRequest.isZooId(key.model())) {
            int colon = key.model().indexOf(':');
            criteria.optGroupId(key.model().substring(0, colon))
                    .optArtifactId(key.model().substring(colon + 1));
        } else {
            criteria.optModelPath(directory(key.model()))
                    .optTranslatorFactory(new TttTranslatorFactory());
        }
        try {
            zooModel = criteria.build().loadModel();
            languageModel = TttModels.languageModel(zooModel.getBlock());
            tokenizer = TttModels.loadTokenizer(zooModel);
        } catch (ModelNotFoundException | MalformedModelException | IOException e) {
            if (zooModel != null) {
                zooModel.close();
                zooModel = null;
            }
            throw new IllegalStateException("cannot load " + key + ": " + e.getMessage(), e);
        }
        ExecutorModels.countLoad(key);
        LOG.info(
                "ttt-spark: loaded {} in {} ms",
                key,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    /**
     * A model directory on this executor: a path or {@code file:} URL; a relative path that is not
     * in the working directory is looked up among the files and archives shipped to the executors
     * ({@code --archives my-model.zip#my-model}, which local mode unpacks elsewhere).
     */
    private static Path directory(String model) {
        Path dir = model.startsWith("file:") ? Paths.get(URI.create(model)) : Paths.get(model);
        if (!Files.isDirectory(dir) && !dir.isAbsolute() && SparkEnv.get() != null) {
            Path shipped = Paths.get(SparkFiles.get(model));
            if (Files.isDirectory(shipped)) {
                return shipped;
            }
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException(
                    "model directory "
                            + dir.toAbsolutePath()
                            + " does not exist on this executor (a model given by path must be on"
                            + " every executor, for example shipped with --archives)");
        }
        return dir;
    }

    /**
     * Returns how many leases are open.
     *
     * @return the number of tasks using the model
     */
    synchronized int users() {
        return users;
    }

    private synchronized void release() {
        users--;
        notifyAll();
    }

    /**
     * Closes the model once no task holds a lease, waiting at most {@code timeoutMillis}.
     *
     * @param timeoutMillis how long to wait for running tasks
     * @return {@code true} if closed (or never loaded), {@code false} if tasks still held it
     */
    synchronized boolean closeWhenIdle(long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        try {
            while (users > 0) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                wait(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        closed = true;
        if (zooModel != null) {
            zooModel.close(); // also closes the tokenizer, attached to the model's manager
            zooModel = null;
            languageModel = null;
            tokenizer = null;
        }
        return true;
    }

    /** A task's use of the model; close it when the task ends. Thread-safe. */
    final class Lease implements AutoCloseable {
        private final AtomicBoolean released = new AtomicBoolean();
        private final TttLanguageModel leasedModel = languageModel;
        private final TttTokenizer leasedTokenizer = tokenizer;

        /**
         * Returns the language model (shared: never modified by a row).
         *
         * @return the model
         */
        TttLanguageModel languageModel() {
            return leasedModel;
        }

        /**
         * Returns the model's tokenizer (shared: encoding is thread-safe).
         *
         * @return the tokenizer
         */
        TttTokenizer tokenizer() {
            return leasedTokenizer;
        }

        /**
         * Returns the model's configuration.
         *
         * @return the config
         */
        TttConfig config() {
            return leasedModel.config();
        }

        /**
         * Returns what was loaded.
         *
         * @return the key
         */
        ModelKey key() {
            return key;
        }

        /** Gives the lease back; later calls do nothing. */
        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                release();
            }
        }
    }
}
