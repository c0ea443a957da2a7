package ai.ttt.cli.bench;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory readings: the process's peak resident set on Linux, and device memory in use on a GPU. */
public final class MemoryProbe {

    private static final Path STATUS = Path.of("/proc/self/status");

    private MemoryProbe() {}

    /**
     * Returns the peak resident set size of this process ({@code VmHWM}).
     *
     * @return bytes, or −1 where {@code /proc/self/status} does not exist
     */
    public static long peakRss() {
        return status("VmHWM:");
    }

    /**
     * Returns the current resident set size of this process ({@code VmRSS}).
     *
     * @return bytes, or −1 where {@code /proc/self/status} does not exist
     */
    public static long rss() {
        return status("VmRSS:");
    }

    /**
     * Returns the CPU time this process has used, all threads.
     *
     * @return nanoseconds, or −1 if the JVM cannot tell
     */
    public static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
        }
        return -1;
    }

    /**
     * Returns the system's load averages ({@code /proc/loadavg}): on a shared machine, how much
     * else was running.
     *
     * @return e.g. {@code "3.12 2.80 2.10 4/512 1234"}, or {@code "n/a"}
     */
    public static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg"), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "n/a";
        }
    }

    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(STATUS, StandardCharsets.UTF_8)) {
                if (line.startsWith(key)) {
                    String[] parts = line.substring(key.length()).trim().split("\\s+");
                    long kb = Long.parseLong(parts[0]);
                    return kb * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Returns the memory in use on a GPU, device-wide ({@code cudaMemGetInfo} through DJL).
     * PyTorch's caching allocator keeps what it reserved, so after a run this bounds the run's peak
     * reservation; other processes on the device count too.
     *
     * @param device the GPU
     * @return bytes in use, or −1 if it cannot be read
     */
    public static long gpuUsed(Device device) {
        try {
            MemoryUsage m = CudaUtils.getGpuMemory(device);
            return m.getCommitted();
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }

    /**
     * Returns the GPU memory this process holds, as the driver reports it ({@code nvidia-smi
     * --query-compute-apps}). PyTorch's caching allocator keeps every block it has reserved (DJL
     * never empties it), so at the end of a run this is the run's peak reservation plus the CUDA
     * context, and other processes on the device do not count. The allocator's own statistics (the
     * peak of what was allocated) are not reachable: neither DJL 0.35.1's JNI nor TorchScript
     * exposes them.
     *
     * @return bytes, or −1 if the driver does not list this process (no nvidia-smi, or another PID
     *     namespace)
     */
    public static long gpuProcessMemory() {
        long pid = ProcessHandle.current().pid();
        try {
            Process p =
                    new ProcessBuilder(
                                    "nvidia-smi",
                                    "--query-compute-apps=pid,used_memory",
                                    "--format=csv,noheader,nounits")
                            .redirectErrorStream(true)
                            .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                return -1;
            }
            long total = -1;
            for (String line : out.split("\\R")) {
                String[] f = line.split(",");
                if (f.length == 2 && f[0].trim().equals(Long.toString(pid))) {
                    total = Math.max(total, 0) + Long.parseLong(f[1].trim()) * 1024 * 1024;
                }
            }
            return total;
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * Returns the name of the first GPU as the driver reports it ({@code nvidia-smi}).
     *
     * @return e.g. {@code NVIDIA H100 80GB HBM3}, or {@code n/a}
     */
    public static String gpuName() {
        try {
            Process p =
                    new ProcessBuilder("nvidia-smi", "--query-gpu=name", "--format=csv,noheader")
                            .redirectErrorStream(true)
                            .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "n/a";
            }
            return out.lines().findFirst().orElse("n/a").trim();
        } catch (IOException | RuntimeException e) {
            return "n/a";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "n/a";
        }
    }
}
