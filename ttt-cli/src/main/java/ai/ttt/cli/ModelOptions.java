package ai.ttt.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.zoo.TttModelZoo;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every command that runs a model shares. */
final class ModelOptions {

    @Option(
            names = "--model",
            paramLabel = "DIR",
            description =
                    "Model directory (config.json, model.safetensors, tokenizer.json). Default: the"
                            + " embedded model "
                            + TttModelZoo.DEFAULT_MODEL_DESCRIPTION
                            + ".")
    Path model;

    @Option(
            names = "--device",
            defaultValue = "cpu",
            description =
                    "cpu or gpu (gpu needs a CUDA libtorch 2.7.1; see README). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(
            names = "--precision",
            description =
                    "fp32, fp16 (GPU: fp16 matmuls, fp32 norms/softmax/loss) or fp64. Default: fp32 on cpu, fp16 on gpu.")
    String precision;

    @Option(
            names = "--attention",
            defaultValue = "fused",
            description =
                    "fused (TorchScript kernel) or plain (DJL ops). Default: ${DEFAULT-VALUE}.")
    String attention;

    /** Returns the device, checking that it exists. */
    Device device() {
        switch (device.toLowerCase()) {
            case "cpu":
                return Device.cpu();
            case "gpu":
                if (Engine.getEngine("PyTorch").getGpuCount() == 0) {
                    throw new UserException(
                            "--device gpu: no CUDA device visible to PyTorch (see README: GPU)");
                }
                return Device.gpu();
            default:
                throw new UserException("--device " + device + " must be cpu or gpu");
        }
    }

    /** Returns the precision, defaulting by device. */
    Precision precision(Device d) {
        if (precision == null) {
            return d.isGpu() ? Precision.FP16 : Precision.FP32;
        }
        return Precision.parse(precision);
    }

    /** Returns the attention mode. */
    AttentionMode attention() {
        return AttentionMode.parse(attention);
    }

    /**
     * Returns the model directory: {@code --model}, or the embedded default model extracted.
     *
     * @return the directory
     * @throws IOException if the embedded model cannot be extracted
     */
    Path requireModel() throws IOException {
        if (model == null) {
            return TttModelZoo.defaultModelDirectory();
        }
        return model;
    }

    /**
     * Loads a model directory with these options (device, precision, attention).
     *
     * @param dir the model directory
     * @param manager owns the weights (on the device of these options)
     * @return the model
     * @throws java.io.IOException if the directory is missing or invalid
     */
    ai.ttt.block.nn.TttLanguageModel load(Path dir, ai.djl.ndarray.NDManager manager)
            throws java.io.IOException {
        Device d = manager.getDevice();
        return ai.ttt.block.ModelDirectory.load(dir, manager, precision(d), attention().kernel(d));
    }
}
