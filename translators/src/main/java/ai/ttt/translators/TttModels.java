package ai.ttt.translators;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.ttt.block.TttConfig;
import ai.ttt.block.nn.TttLanguageModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Helpers shared by the translators and sessions: the model behind a DJL block, prompts, ids. */
public final class TttModels {

    private TttModels() {}

    /**
     * Returns the TTT-E2E language model behind a DJL block.
     *
     * @param block a {@link TttLanguageModel} or a {@link TttStreamingBlock} around one
     * @return the language model
     * @throws IllegalArgumentException if the block is neither (the model was not loaded through
     *     {@code ai.ttt.zoo.TttBlockFactory})
     */
    public static TttLanguageModel languageModel(Block block) {
        if (block instanceof TttLanguageModel) {
            return (TttLanguageModel) block;
        }
        if (block instanceof TttStreamingBlock) {
            return ((TttStreamingBlock) block).languageModel();
        }
        throw new IllegalArgumentException(
                "the model's block is "
                        + (block == null ? "missing" : block.getClass().getName())
                        + ", not a TTT-E2E language model (load the model directory with"
                        + " blockFactory=ai.ttt.zoo.TttBlockFactory, as its serving.properties"
                        + " says)");
    }

    /**
     * Loads the {@code tokenizer.json} of a loaded DJL model's directory. The tokenizer is closed
     * when the model is closed.
     *
     * @param model a model whose directory holds {@code tokenizer.json}
     * @return the tokenizer
     * @throws IOException naming the directory if the tokenizer is missing or invalid
     * @throws IllegalArgumentException naming the tokenizer file if it produces ids outside the
     *     model's vocabulary
     */
    public static TttTokenizer loadTokenizer(Model model) throws IOException {
        Path dir = model.getModelPath();
        if (dir == null) {
            throw new NoSuchFileException("(unknown)", null, "the model has no directory");
        }
        Path file = dir.resolve(TttTokenizer.TOKENIZER_JSON);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(
                    file.toString(),
                    null,
                    "the model directory has no tokenizer.json; text generation and scoring need"
                            + " the model's tokenizer");
        }
        TttTokenizer tokenizer = TttTokenizer.load(file);
        if (model.getBlock() != null) {
            try {
                tokenizer.requireFits(languageModel(model.getBlock()).config().vocabSize());
            } catch (IllegalArgumentException e) {
                tokenizer.close();
                throw e;
            }
        }
        NDManager manager = model.getNDManager();
        manager.attachInternal("ttt-tokenizer-" + NDManager.nextUid(), tokenizer);
        return tokenizer;
    }

    /**
     * Encodes text as the start of a sequence: BOS first when the model defines one.
     *
     * @param tokenizer the tokenizer
     * @param config the model config
     * @param text the text (may be empty)
     * @return the ids
     */
    public static long[] encodeStart(TttTokenizer tokenizer, TttConfig config, String text) {
        long[] ids = text.isEmpty() ? new long[0] : tokenizer.encode(text);
        if (config.bosTokenId().isEmpty()) {
            return ids;
        }
        long[] withBos = new long[ids.length + 1];
        withBos[0] = config.bosTokenId().getAsInt();
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    /**
     * Copies logits or NLLs to the host as float32, whatever the compute precision: fp64 models
     * produce float64 arrays, which {@link NDArray#toFloatArray()} refuses, and everything the host
     * does with them (sampling, JSON, {@link ScoreResult}) is in float32.
     *
     * @param values a floating-point array of any shape (float16, float32 or float64)
     * @return its values in row-major order, as float32
     */
    public static float[] toFloats(NDArray values) {
        if (values.getDataType() == DataType.FLOAT32) {
            return values.toFloatArray();
        }
        try (NDArray f = values.toType(DataType.FLOAT32, false)) {
            return f.toFloatArray();
        }
    }

    /**
     * Returns the ids that end generation: the options' if set, else the model's.
     *
     * @param options the options
     * @param config the model config
     * @return the EOS ids
     */
    static Set<Long> eosIds(GenerationOptions options, TttConfig config) {
        Set<Long> ids = new LinkedHashSet<>();
        if (options.eosIds() != null) {
            ids.addAll(options.eosIds());
        } else {
            List<Integer> model = config.eosTokenIds();
            for (int id : model) {
                ids.add((long) id);
            }
        }
        return ids;
    }
}
