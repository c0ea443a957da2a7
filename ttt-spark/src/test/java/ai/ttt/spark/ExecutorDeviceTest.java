package ai.ttt.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import java.util.Map;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;

/**
 * The device a task uses, from its resources. Spark assigns GPUs only on a cluster (or {@code
 * local-cluster}), never in {@code local[N]} mode, and this machine has none, so the resolution is
 * tested on the resource maps Spark would hand a task.
 */
class ExecutorDeviceTest {

    static final Map<String, ResourceInformation> NONE = Map.of();

    static Map<String, ResourceInformation> gpus(String... addresses) {
        return Map.of("gpu", new ResourceInformation("gpu", addresses));
    }

    @Test
    void autoTakesTheTasksFirstGpuElseTheCpu() {
        assertEquals(Device.cpu(), ExecutorDevice.resolve("auto", NONE));
        assertEquals(Device.gpu(0), ExecutorDevice.resolve("auto", gpus("0")));
        assertEquals(Device.gpu(3), ExecutorDevice.resolve("auto", gpus("3", "4")));
        assertEquals(Device.cpu(), ExecutorDevice.resolve("auto", gpus()));
    }

    @Test
    void cpuAndGpuAreTakenAsAsked() {
        assertEquals(Device.cpu(), ExecutorDevice.resolve("cpu", gpus("1")));
        assertEquals(Device.gpu(1), ExecutorDevice.resolve("gpu", gpus("1")));
        assertEquals(Device.gpu(0), ExecutorDevice.resolve("gpu", NONE));
    }

    @Test
    void badChoicesAndAddressesAreNamed() {
        assertEquals(
                "device must be auto, cpu or gpu, got \"tpu\"",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ExecutorDevice.resolve("tpu", NONE))
                        .getMessage());
        String message =
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ExecutorDevice.resolve("auto", gpus("GPU-9f3c")))
                        .getMessage();
        assertEquals(true, message.contains("\"GPU-9f3c\" is not a CUDA ordinal"), message);
    }
}
