package ai.ttt.cli;

import ai.djl.Device;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.zoo.TttModelZoo;
import picocli.CommandLine.Option;

/** The options every command that runs a model shares. */
final class ModelOptions {

    @Option(
            names = "--model",
            paramLabel = "DIR|ID",
            description =
                    "A model directory (config.json, model.safetensors, tokenizer.json) or a zoo id:"
                            + " ai.ttt:kjv-5m, ai.ttt:tiny-random, or ai.ttt:NAME for a model"
                            + " directory NAME in the folders of -Dttt.model.dir or TTT_MODEL_DIR."
                            + " Default: the embedded model "
                            + TttModelZoo.DEFAULT_MODEL_DESCRIPTION
                            + ".")
    String model;

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
        return DeviceOption.parse(device);
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
     * Returns the model as the user named it, for messages and reports.
     *
     * @return {@code --model}, or the default model's zoo id
     */
    String modelName() {
        return model != null ? model : TttModelZoo.GROUP_ID + ":" + TttModelZoo.DEFAULT_MODEL;
    }
}
