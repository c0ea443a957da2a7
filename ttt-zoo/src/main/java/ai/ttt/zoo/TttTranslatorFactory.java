package ai.ttt.zoo;

import ai.djl.Model;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import ai.ttt.translators.GenerationOptions;
import ai.ttt.translators.ScoreResult;
import ai.ttt.translators.ScoringTranslator;
import ai.ttt.translators.StreamingTextGenerationTranslator;
import ai.ttt.translators.TextGenerationTranslator;
import ai.ttt.translators.TextStream;
import ai.ttt.translators.TttModels;
import ai.ttt.translators.TttServingTranslator;
import ai.ttt.translators.TttTokenizer;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The translators of a TTT-E2E model, by the Criteria's types:
 *
 * <ul>
 *   <li>{@code String → String}: text generation ({@link TextGenerationTranslator});
 *   <li>{@code String → TextStream}: streaming generation ({@link
 *       StreamingTextGenerationTranslator}, for {@code Predictor.streamingPredict});
 *   <li>{@code String → ScoreResult}: per-token NLL and perplexity ({@link ScoringTranslator});
 *   <li>{@code Input → Output}: DJL Serving ({@link TttServingTranslator}), streaming too;
 *   <li>{@code NDList → NDList}: the block's own arrays (no tokenizer needed).
 * </ul>
 *
 * <p>Generation options come from the arguments (names in {@link GenerationOptions}); an invalid
 * value or an unknown name ({@link #KNOWN_ARGUMENTS}) fails the load with an {@link
 * IllegalArgumentException} whose message names the argument (not wrapped by DJL). The tokenizer is
 * the model directory's {@code tokenizer.json}, loaded once per translator and closed with the
 * model.
 */
public class TttTranslatorFactory implements TranslatorFactory {

    private static final Set<Pair<Type, Type>> TYPES =
            Set.of(
                    new Pair<>(String.class, String.class),
                    new Pair<>(String.class, TextStream.class),
                    new Pair<>(String.class, ScoreResult.class),
                    new Pair<>(Input.class, Output.class),
                    new Pair<>(NDList.class, NDList.class));

    /**
     * The arguments DJL itself and DJL Serving read from a Criteria or {@code serving.properties},
     * and pass on to the factories with the rest.
     */
    static final Set<String> DJL_ARGUMENTS =
            Set.of(
                    "engine",
                    "blockFactory",
                    "translatorFactory",
                    "translator",
                    "application",
                    "model_name",
                    "artifact_id",
                    "job_queue_size",
                    "batch_size",
                    "max_batch_delay",
                    "max_idle_time",
                    "minWorkers",
                    "maxWorkers",
                    "load_on_devices",
                    "parallel_loading",
                    "required_memory_mb",
                    "reserved_memory_mb");

    /**
     * Every argument a TTT-E2E model understands: DJL's ({@link #DJL_ARGUMENTS}), the block's
     * ({@value TttBlockFactory#PRECISION}, {@value TttBlockFactory#ATTENTION}) and the translators'
     * ({@link GenerationOptions#ARGUMENT_NAMES}). Any other is refused, naming it.
     */
    public static final Set<String> KNOWN_ARGUMENTS = knownArguments();

    private static Set<String> knownArguments() {
        Set<String> known = new TreeSet<>(GenerationOptions.ARGUMENT_NAMES);
        known.addAll(DJL_ARGUMENTS);
        known.add(TttBlockFactory.PRECISION);
        known.add(TttBlockFactory.ATTENTION);
        return Collections.unmodifiableSet(known);
    }

    /** Creates the factory (DJL instantiates it by class name). */
    public TttTranslatorFactory() {}

    /** {@inheritDoc} */
    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        return TYPES;
    }

    /** {@inheritDoc} */
    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(
            Class<I> input, Class<O> output, Model model, Map<String, ?> arguments)
            throws TranslateException {
        if (!isSupported(input, output)) {
            throw new IllegalArgumentException(
                    "TttTranslatorFactory does not translate "
                            + input.getName()
                            + " → "
                            + output.getName()
                            + "; supported: "
                            + TYPES);
        }
        // An argument error is thrown as it is, not as a TranslateException: DJL's loader turns
        // that into a ModelNotFoundException, and Criteria into "No model with the specified URI
        // or the matching Input/Output type is found", with the argument's message three causes
        // down. DJL does not close a model whose translator fails, so this factory does.
        try {
            GenerationOptions.requireKnown(arguments.keySet(), KNOWN_ARGUMENTS, "argument");
            GenerationOptions.fromArguments(arguments); // every value, whatever the output type
        } catch (IllegalArgumentException e) {
            model.close();
            throw e;
        }
        try {
            TttModels.languageModel(model.getBlock());
            if (input == NDList.class) {
                // The block's own arrays in and out: no tokenizer (ttt score --token-ids).
                return (Translator<I, O>) new NoopTranslator();
            }
            if (output == ScoreResult.class) {
                TttTokenizer tokenizer = TttModels.loadTokenizer(model);
                return (Translator<I, O>) ScoringTranslator.fromArguments(tokenizer, arguments);
            }
            GenerationOptions options = GenerationOptions.fromArguments(arguments);
            TttTokenizer tokenizer = TttModels.loadTokenizer(model);
            if (input == Input.class) {
                return (Translator<I, O>) new TttServingTranslator(tokenizer, options);
            }
            if (output == TextStream.class) {
                return (Translator<I, O>) new StreamingTextGenerationTranslator(tokenizer, options);
            }
            return (Translator<I, O>) new TextGenerationTranslator(tokenizer, options);
        } catch (IOException | IllegalArgumentException e) {
            throw new TranslateException(
                    "cannot create the translator of "
                            + model.getModelPath()
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }
}
