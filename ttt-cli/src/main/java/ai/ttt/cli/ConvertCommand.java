package ai.ttt.cli;

import ai.ttt.block.TttConfig;
import ai.ttt.block.safetensors.DType;
import ai.ttt.convert.ConvertOptions;
import ai.ttt.convert.HfConverter;
import ai.ttt.convert.OfficialConverter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ttt convert}: a Hugging Face or official checkpoint → a TTT-E2E model directory. */
@Command(
        name = "convert",
        mixinStandardHelpOptions = true,
        description =
                "Convert a Hugging Face (Llama, Mistral, Qwen2, Qwen3) or official TTT-E2E checkpoint.")
public final class ConvertCommand implements Callable<Integer> {

    @Option(names = "--from", required = true, description = "hf or official.")
    String from;

    @Option(
            names = "--input",
            required = true,
            paramLabel = "DIR",
            description = "Source checkpoint directory.")
    Path input;

    @Option(
            names = "--output",
            required = true,
            paramLabel = "DIR",
            description = "Model directory to create (must not exist or be empty).")
    Path output;

    @Option(
            names = "--window",
            description =
                    "Sliding window k, keys per query including itself (default: the source's, else 8192).")
    Integer window;

    @Option(
            names = "--mini-batch",
            description = "Test-time-training mini-batch b (default: the source's, else 1024).")
    Integer miniBatch;

    @Option(
            names = "--prime-layers",
            description =
                    "hf: S, the last blocks that get a prime MLP (default L/4; 0 = plain sliding window).")
    Integer primeLayers;

    @Option(
            names = "--prime-init",
            defaultValue = "zero",
            description =
                    "hf: zero (prime MLP outputs 0 until its first update) or copy (a copy of the static MLP). Default: ${DEFAULT-VALUE}.")
    String primeInit;

    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "Seed of the prime initialisation. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(
            names = "--dtype",
            defaultValue = "f32",
            description = "Output dtype: f32 or f16. Default: ${DEFAULT-VALUE}.")
    String dtype;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(input)) {
            throw new NoSuchFileException(input.toString(), null, "input directory not found");
        }
        ConvertOptions.PrimeInit init;
        switch (primeInit.toLowerCase()) {
            case "zero":
                init = ConvertOptions.PrimeInit.ZERO_OUTPUT;
                break;
            case "copy":
                init = ConvertOptions.PrimeInit.COPY_STATIC;
                break;
            default:
                throw new UserException("--prime-init " + primeInit + " must be zero or copy");
        }
        DType type;
        switch (dtype.toLowerCase()) {
            case "f32":
                type = DType.F32;
                break;
            case "f16":
                type = DType.F16;
                break;
            default:
                throw new UserException("--dtype " + dtype + " must be f32 or f16");
        }
        ConvertOptions options =
                new ConvertOptions(window, miniBatch, primeLayers, init, seed, type);
        TttConfig config;
        switch (from.toLowerCase()) {
            case "hf":
                config = HfConverter.convert(input, output, options);
                break;
            case "official":
                if (primeLayers != null) {
                    throw new UserException("--prime-layers applies to --from hf only");
                }
                config = OfficialConverter.convert(input, output, options);
                break;
            default:
                throw new UserException("--from " + from + " must be hf or official");
        }
        System.out.printf(
                "converted %s → %s: %d layers (%d with fast weights), window %d, mini-batch %d%n",
                input,
                output,
                config.numLayers(),
                config.numPrimeLayers(),
                config.slidingWindow(),
                config.miniBatchSize());
        return 0;
    }
}
