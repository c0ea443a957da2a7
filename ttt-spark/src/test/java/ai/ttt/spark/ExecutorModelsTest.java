package ai.ttt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The JVM's model cache outside Spark: one load for many concurrent tasks, leases that keep a model
 * open, and closing that waits for them. It uses {@code tiny-random} with plain attention, a key no
 * other test loads, so closing it here does not disturb the other test classes of this JVM.
 */
class ExecutorModelsTest {

    static final ModelRequest REQUEST =
            new ModelRequest("ai.ttt:tiny-random", "auto", "auto", "plain");
    static final ModelKey KEY = ModelKey.of(REQUEST, Device.cpu());

    @Test
    void concurrentTasksShareOneLoadAndClosingWaitsForThem() throws Exception {
        int loadsBefore = ExecutorModels.loadCount(KEY);
        ExecutorService tasks = Executors.newFixedThreadPool(4);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<SharedModel.Lease>> leases = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            leases.add(
                    tasks.submit(
                            () -> {
                                start.await();
                                return ExecutorModels.acquire(REQUEST);
                            }));
        }
        start.countDown();
        List<SharedModel.Lease> held = new ArrayList<>();
        for (Future<SharedModel.Lease> lease : leases) {
            held.add(lease.get(120, TimeUnit.SECONDS));
        }
        assertEquals(loadsBefore + 1, ExecutorModels.loadCount(KEY), "one load for 4 tasks");
        for (SharedModel.Lease lease : held) {
            assertSame(held.get(0).languageModel(), lease.languageModel());
        }
        assertEquals(4, ExecutorModels.users(KEY));

        assertFalse(ExecutorModels.close(KEY, 50), "leases are open: not closed");
        Future<Boolean> closing = tasks.submit(() -> ExecutorModels.close(KEY, 60_000));
        for (SharedModel.Lease lease : held) {
            lease.close();
            lease.close(); // a second close gives nothing back twice
        }
        assertTrue(closing.get(60, TimeUnit.SECONDS), "closed once the leases were returned");
        assertEquals(0, ExecutorModels.users(KEY));

        try (SharedModel.Lease again = ExecutorModels.acquire(REQUEST)) {
            assertNotNull(again.languageModel());
            assertEquals(loadsBefore + 2, ExecutorModels.loadCount(KEY), "loaded afresh");
        }
        assertTrue(ExecutorModels.close(KEY, 1000));
        tasks.shutdown();
    }

    @Test
    void aMissingModelDirectoryFailsTheTaskWithItsPath() {
        ModelRequest missing = new ModelRequest("/nonexistent/ttt-model", "cpu", "auto", "fused");
        String message =
                assertThrows(IllegalStateException.class, () -> ExecutorModels.acquire(missing))
                        .getMessage();
        assertTrue(
                message.contains("model directory /nonexistent/ttt-model does not exist"), message);
    }
}
