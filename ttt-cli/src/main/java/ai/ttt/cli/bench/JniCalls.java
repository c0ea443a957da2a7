package ai.ttt.cli.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of calls into DJL's PyTorch JNI library ({@code ai.djl.pytorch.jni.PyTorchLibrary}), by
 * native method name, recorded by {@link JniCallAgent} when the JVM runs with it.
 *
 * <p>Every engine operation DJL performs is one such call, so this is a count of engine operations
 * seen from the Java side, independent of PyTorch's own profiler.
 */
public final class JniCalls {

    private static final Map<String, LongAdder> COUNTS = new ConcurrentHashMap<>();
    private static volatile boolean installed;

    private JniCalls() {}

    /**
     * Records one call (called by the rewritten {@code PyTorchLibrary} methods).
     *
     * @param method the native method's name
     */
    public static void record(String method) {
        COUNTS.computeIfAbsent(method, k -> new LongAdder()).increment();
    }

    /** Marks the agent as installed (called from its {@code premain}). */
    static void markInstalled() {
        installed = true;
    }

    /**
     * Returns whether the agent rewrote {@code PyTorchLibrary} in this JVM.
     *
     * @return true when calls are being counted
     */
    public static boolean installed() {
        return installed;
    }

    /**
     * Returns a copy of the counts so far.
     *
     * @return method name → calls, sorted by name
     */
    public static Map<String, Long> snapshot() {
        Map<String, Long> m = new TreeMap<>();
        COUNTS.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /**
     * Returns the calls made between two snapshots.
     *
     * @param before the earlier snapshot
     * @param after the later snapshot
     * @return method name → calls in between (zero counts left out)
     */
    public static Map<String, Long> difference(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> m = new TreeMap<>();
        after.forEach(
                (k, v) -> {
                    long d = v - before.getOrDefault(k, 0L);
                    if (d != 0) {
                        m.put(k, d);
                    }
                });
        return m;
    }
}
