package ai.ttt.cli;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.ttt.block.ModelDirectory;
import ai.ttt.translators.TttTokenizer;
import ai.ttt.zoo.TttBlockFactory;
import ai.ttt.zoo.TttModelZoo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** Loads models the way a DJL user does: through Criteria, by path or by zoo id. */
final class ModelLoading {

    private ModelLoading() {}

    /**
     * Loads the model of {@code --model} (a directory or a zoo id), or the embedded default when
     * none is given, through {@code Criteria}: every command reaches a model the way a DJL user
     * does.
     *
     * @param options the model flags
     * @param input the input type
     * @param output the output type
     * @param arguments translator arguments
     * @param <I> the input type
     * @param <O> the output type
     * @return the model
     * @throws IOException if the model directory is missing or invalid (a user error)
     */
    static <I, O> ZooModel<I, O> load(
            ModelOptions options, Class<I> input, Class<O> output, Map<String, Object> arguments)
            throws IOException {
        return load(options.modelName(), options, input, output, arguments);
    }

    /**
     * Loads a named model (a directory or a zoo id) with the device, precision and attention of
     * {@code options}, through {@code Criteria}.
     *
     * @param model a model directory or a zoo id ({@link TttModelZoo#isZooId})
     * @param options the device, precision and attention flags
     * @param input the input type
     * @param output the output type
     * @param arguments translator arguments
     * @param <I> the input type
     * @param <O> the output type
     * @return the model
     * @throws IOException if the model directory is missing or invalid (a user error)
     */
    static <I, O> ZooModel<I, O> load(
            String model,
            ModelOptions options,
            Class<I> input,
            Class<O> output,
            Map<String, Object> arguments)
            throws IOException {
        Device device = options.device();
        Criteria.Builder<I, O> b =
                Criteria.builder()
                        .setTypes(input, output)
                        .optDevice(device)
                        .optArguments(new HashMap<>(arguments)) // DJL adds to the map it is given
                        .optArgument(
                                TttBlockFactory.PRECISION,
                                options.precision(device).name().toLowerCase(Locale.ROOT))
                        .optArgument(
                                TttBlockFactory.ATTENTION,
                                options.attention().name().toLowerCase(Locale.ROOT));
        if (!TttModelZoo.isZooId(model)) {
            Path dir = Paths.get(model);
            ModelDirectory.readConfig(dir); // names the missing directory or config.json
            // NDList → NDList is the block's own arrays: only text types need the tokenizer.
            if (input != NDList.class
                    && !Files.isRegularFile(dir.resolve(TttTokenizer.TOKENIZER_JSON))) {
                throw new NoSuchFileException(
                        dir.resolve(TttTokenizer.TOKENIZER_JSON).toString(),
                        null,
                        "the model directory has no tokenizer; copy the model's tokenizer.json"
                                + " into it");
            }
        }
        TttModelZoo.locate(b, model);
        try {
            return b.build().loadModel();
        } catch (ModelNotFoundException | MalformedModelException e) {
            throw new UserException("cannot load the model " + model + ": " + rootMessage(e));
        }
    }

    /** The most specific message in a cause chain. */
    static String rootMessage(Throwable e) {
        String message = e.getMessage();
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c.getMessage() != null) {
                message = c.getMessage();
            }
        }
        return message == null ? e.toString() : message;
    }
}
