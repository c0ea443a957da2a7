package ai.ttt.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/** The {@code --device} option: one reading of its values for every command. */
final class DeviceOption {

    private DeviceOption() {}

    /**
     * Returns the device a {@code --device} value names, checking that it exists.
     *
     * @param name {@code cpu} or {@code gpu}, any case
     * @return the device
     * @throws UserException naming the value when it is neither, or when it is {@code gpu} and
     *     PyTorch sees no CUDA device
     */
    static Device parse(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "cpu":
                return Device.cpu();
            case "gpu":
                if (Engine.getEngine("PyTorch").getGpuCount() == 0) {
                    throw new UserException(
                            "--device gpu: no CUDA device visible to PyTorch (see README: GPU)");
                }
                return Device.gpu();
            default:
                throw new UserException("--device " + name + " must be cpu or gpu");
        }
    }
}
