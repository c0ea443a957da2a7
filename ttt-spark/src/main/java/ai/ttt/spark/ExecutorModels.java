package ai.ttt.spark;

import ai.djl.Device;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models of this JVM (a Spark executor, or the driver in local mode): one per {@link ModelKey},
 * loaded when a task first needs it, shared by all later tasks, closed when the JVM exits.
 *
 * <p>Before the first load it sets two DJL defaults unless the user set them (as system properties,
 * for example through {@code spark.executor.extraJavaOptions}):
 *
 * <ul>
 *   <li>{@code ai.djl.offline=true}: nothing is ever downloaded on an executor (libtorch for the
 *       CPU is inside the jar; the models are embedded or given by path);
 *   <li>{@code ai.djl.pytorch.num_threads} = {@code spark.task.cpus} (default 1): PyTorch's thread
 *       pool is shared by the whole JVM, and Spark runs as many tasks at once as the executor has
 *       cores divided by {@code spark.task.cpus}; each task's rows run on its own thread, so more
 *       intra-op threads than the task's cores would oversubscribe the machine.
 * </ul>
 */
final class ExecutorModels {

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);

    /** How long the exit hook waits for running tasks before leaving a model to the OS. */
    static final long CLOSE_WAIT_MILLIS = 10_000;

    private static final Map<ModelKey, SharedModel> MODELS = new ConcurrentHashMap<>();
    private static final Map<ModelKey, AtomicInteger> LOADS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(() -> closeAll(CLOSE_WAIT_MILLIS), "ttt-spark-close-models"));
    }

    private ExecutorModels() {}

    /**
     * Takes a lease on the model a request names, on the device of the current task, loading it if
     * this JVM has not yet.
     *
     * @param request the transformer's request
     * @return the lease; close it when the task no longer uses the model
     * @throws IllegalStateException if the model cannot be loaded
     */
    static SharedModel.Lease acquire(ModelRequest request) {
        Device device = ExecutorDevice.forCurrentTask(request.device());
        ModelKey key = ModelKey.of(request, device);
        while (true) {
            SharedModel model = MODELS.computeIfAbsent(key, k -> newModel(k));
            SharedModel.Lease lease = model.acquire();
            if (lease != null) {
                return lease;
            }
            MODELS.remove(key, model); // closed meanwhile: load a fresh one
        }
    }

    private static SharedModel newModel(ModelKey key) {
        applyDjlDefaults();
        return new SharedModel(key);
    }

    private static synchronized void applyDjlDefaults() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            SparkEnv env = SparkEnv.get();
            int taskCpus = env == null ? 1 : env.conf().getInt("spark.task.cpus", 1);
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(taskCpus));
            LOG.info(
                    "ttt-spark: PyTorch intra-op threads = spark.task.cpus = {} (set the system"
                            + " property ai.djl.pytorch.num_threads to choose)",
                    taskCpus);
        }
    }

    /** Called by {@link SharedModel} after each successful load. */
    static void countLoad(ModelKey key) {
        LOADS.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    /**
     * Returns how many times this JVM has loaded a model (for tests: sharing means once).
     *
     * @param key the model
     * @return the number of loads
     */
    static int loadCount(ModelKey key) {
        AtomicInteger n = LOADS.get(key);
        return n == null ? 0 : n.get();
    }

    /**
     * Closes every model once its tasks are done (the JVM exit hook calls this).
     *
     * @param waitMillis how long to wait for each model's running tasks
     * @return the number of models still in use and left open
     */
    static int closeAll(long waitMillis) {
        int leftOpen = 0;
        for (ModelKey key : MODELS.keySet()) {
            if (!close(key, waitMillis)) {
                leftOpen++;
            }
        }
        return leftOpen;
    }

    /**
     * Closes one model once its tasks are done; a later task loads it again.
     *
     * @param key the model
     * @param waitMillis how long to wait for its running tasks
     * @return {@code true} if it is closed (or was not loaded), {@code false} if still in use
     */
    static boolean close(ModelKey key, long waitMillis) {
        SharedModel model = MODELS.get(key);
        if (model == null) {
            return true;
        }
        long start = System.nanoTime();
        if (!model.closeWhenIdle(waitMillis)) {
            LOG.warn("ttt-spark: {} is still in use by a task; not closing it", key);
            return false;
        }
        MODELS.remove(key, model);
        LOG.info(
                "ttt-spark: closed {} ({} ms)",
                key,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return true;
    }

    /**
     * Returns how many leases on a model are open (for tests: 0 once its tasks have ended).
     *
     * @param key the model
     * @return the number of tasks using it
     */
    static int users(ModelKey key) {
        SharedModel model = MODELS.get(key);
        return model == null ? 0 : model.users();
    }
}
