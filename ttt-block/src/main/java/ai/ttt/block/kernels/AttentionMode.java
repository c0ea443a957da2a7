package ai.ttt.block.kernels;

import ai.djl.Device;
import ai.ttt.block.nn.AttentionKernel;

/** Which attention implementation a model runs. */
public enum AttentionMode {
    /** The project's TorchScript {@code scaled_dot_product_attention} kernel (first order only). */
    FUSED,
    /** Plain DJL ops: the reference, and the only one with second-order gradients (training). */
    PLAIN;

    /**
     * Returns the kernel for a device.
     *
     * @param device the model's device
     * @return the kernel
     */
    public AttentionKernel kernel(Device device) {
        if (this == PLAIN) {
            return (q, k, v, mask, differentiable) -> PlainAttention.plainAttention(q, k, v, mask);
        }
        Kernels kernels = Kernels.forDevice(device);
        return kernels::attention;
    }

    /**
     * Parses {@code fused} or {@code plain}.
     *
     * @param name the name, any case
     * @return the mode
     * @throws IllegalArgumentException naming the value if unknown
     */
    public static AttentionMode parse(String name) {
        for (AttentionMode m : values()) {
            if (m.name().equalsIgnoreCase(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("attention \"" + name + "\" is not one of fused, plain");
    }
}
