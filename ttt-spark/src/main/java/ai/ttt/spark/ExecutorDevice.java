package ai.ttt.spark;

import ai.djl.Device;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * The device a task runs its model on, from the transformer's {@code device} param and the
 * resources Spark gave the task.
 *
 * <p>With GPU scheduling ({@code spark.executor.resource.gpu.amount} and {@code
 * spark.task.resource.gpu.amount}), Spark hands each task the addresses of its GPUs; the first one
 * is the CUDA ordinal the model is loaded on, so tasks of one executor that hold different GPUs get
 * a model each, and tasks that share a GPU share its model.
 */
final class ExecutorDevice {

    /** The name Spark's resource scheduling uses for GPUs. */
    static final String GPU_RESOURCE = "gpu";

    private ExecutorDevice() {}

    /**
     * Resolves the device for the current task.
     *
     * @param choice {@code auto}, {@code cpu} or {@code gpu}
     * @return the device
     */
    static Device forCurrentTask(String choice) {
        TaskContext task = TaskContext.get();
        Map<String, ResourceInformation> resources = task == null ? Map.of() : task.resourcesJMap();
        return resolve(choice, resources);
    }

    /**
     * Resolves a device choice against a task's resources.
     *
     * @param choice {@code auto} (the task's first GPU if it was given one, else the CPU), {@code
     *     cpu}, or {@code gpu} (the task's first GPU, or GPU 0 when Spark assigned none)
     * @param resources the task's resources by name ({@code TaskContext.resources()})
     * @return the device
     * @throws IllegalArgumentException for another choice, or a GPU address that is not a number
     */
    static Device resolve(String choice, Map<String, ResourceInformation> resources) {
        ResourceInformation gpus = resources.get(GPU_RESOURCE);
        String address =
                gpus == null || gpus.addresses().length == 0 ? null : gpus.addresses()[0].trim();
        switch (choice) {
            case "cpu":
                return Device.cpu();
            case "auto":
                return address == null ? Device.cpu() : Device.gpu(ordinal(address));
            case "gpu":
                return Device.gpu(address == null ? 0 : ordinal(address));
            default:
                throw new IllegalArgumentException(
                        "device must be auto, cpu or gpu, got \"" + choice + "\"");
        }
    }

    private static int ordinal(String address) {
        try {
            return Integer.parseInt(address);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "the task's GPU address \""
                            + address
                            + "\" is not a CUDA ordinal (the GPU discovery script must list"
                            + " device numbers)",
                    e);
        }
    }
}
