package ai.ttt.spark;

import ai.djl.Device;

/**
 * What makes two loaded models the same within one executor JVM: the model, the device it was
 * resolved to, and how it computes. Test-time training and generation options are not part of it:
 * they belong to the sequence state of each row, so one loaded model serves them all.
 *
 * @param model the zoo id or model directory, as given
 * @param device the resolved device
 * @param precision {@code fp32}, {@code fp16} or {@code fp64}
 * @param attention {@code fused} or {@code plain}
 */
record ModelKey(String model, Device device, String precision, String attention) {

    /**
     * Returns the key of a request on a device: {@code auto} precision becomes fp16 on a GPU and
     * fp32 elsewhere, as {@code ai.ttt.zoo.TttBlockFactory} chooses.
     *
     * @param request the transformer's request
     * @param device the device resolved for the task
     * @return the key
     */
    static ModelKey of(ModelRequest request, Device device) {
        String precision =
                "auto".equals(request.precision())
                        ? (device.isGpu() ? "fp16" : "fp32")
                        : request.precision();
        return new ModelKey(request.model(), device, precision, request.attention());
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return model + " on " + device + " (" + precision + ", " + attention + " attention)";
    }
}
