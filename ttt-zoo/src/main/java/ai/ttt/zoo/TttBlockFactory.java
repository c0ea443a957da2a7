package ai.ttt.zoo;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.translators.TttStreamingBlock;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds the block of a TTT-E2E model directory (docs/MODEL_FORMAT.md): DJL calls it when a
 * directory's {@code serving.properties} says {@code blockFactory=ai.ttt.zoo.TttBlockFactory}.
 *
 * <p>The weights are read from the directory's safetensors onto the DJL model's manager (and so its
 * device). The result is a {@link TttStreamingBlock} around the {@link TttLanguageModel}.
 *
 * <p>Arguments (Criteria {@code optArgument} or {@code serving.properties}):
 *
 * <ul>
 *   <li>{@value #PRECISION}: {@code fp32}, {@code fp16} (fp16 matmuls, fp32 norms, softmax and
 *       loss) or {@code fp64}; default fp32 on CPU, fp16 on GPU;
 *   <li>{@value #ATTENTION}: {@code fused} (the project's TorchScript kernel, default) or {@code
 *       plain} (DJL ops).
 * </ul>
 */
public class TttBlockFactory implements BlockFactory {

    /** Argument name: the compute precision. */
    public static final String PRECISION = "precision";

    /** Argument name: the attention kernel. */
    public static final String ATTENTION = "attention";

    private static final long serialVersionUID = 1L;

    /** Creates the factory (DJL instantiates it by class name). */
    public TttBlockFactory() {}

    /** {@inheritDoc} */
    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments)
            throws IOException {
        Device device = model.getNDManager().getDevice();
        Precision precision = precision(arguments, device);
        AttentionMode attention = attention(arguments);
        TttLanguageModel lm =
                ModelDirectory.load(
                        modelPath, model.getNDManager(), precision, attention.kernel(device));
        return new TttStreamingBlock(lm);
    }

    /**
     * Returns the precision an argument map asks for, defaulting by device.
     *
     * @param arguments the arguments
     * @param device the model's device
     * @return fp16 on a GPU and fp32 elsewhere unless {@value #PRECISION} says otherwise
     */
    public static Precision precision(Map<String, ?> arguments, Device device) {
        Object v = arguments == null ? null : arguments.get(PRECISION);
        if (v == null) {
            return device.isGpu() ? Precision.FP16 : Precision.FP32;
        }
        return Precision.parse(v.toString().trim());
    }

    /**
     * Returns the attention kernel an argument map asks for.
     *
     * @param arguments the arguments
     * @return fused unless {@value #ATTENTION} says otherwise
     */
    public static AttentionMode attention(Map<String, ?> arguments) {
        Object v = arguments == null ? null : arguments.get(ATTENTION);
        return v == null ? AttentionMode.FUSED : AttentionMode.parse(v.toString().trim());
    }
}
