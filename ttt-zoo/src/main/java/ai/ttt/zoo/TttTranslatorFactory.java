package ai.ttt.zoo;

import ai.djl.Model;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
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
import java.util.Map;
import java.util.Set;

/**
 * The translators of a TTT-E2E model, by the Criteria's types:
 *
 * <ul>
 *   <li>{@code String → String}: text generation ({@link TextGenerationTranslator});
 *   <li>{@code String → TextStream}: streaming generation ({@link
 *       StreamingTextGenerationTranslator}, for {@code Predictor.streamingPredict});
 *   <li>{@code String → ScoreResult}: per-token NLL and perplexity ({@link ScoringTranslator});
 *   <li>{@code Input → Output}: DJL Serving ({@link TttServingTranslator}), streaming too.
 * </ul>
 *
 * <p>Generation options come from the arguments (names in {@link GenerationOptions}); invalid
 * values fail the load with a message naming the argument. The tokenizer is the model directory's
 * {@code tokenizer.json}, loaded once per translator and closed with the model.
 */
public class TttTranslatorFactory implements TranslatorFactory {

    private static final Set<Pair<Type, Type>> TYPES =
            Set.of(
                    new Pair<>(String.class, String.class),
                    new Pair<>(String.class, TextStream.class),
                    new Pair<>(String.class, ScoreResult.class),
                    new Pair<>(Input.class, Output.class));

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
        try {
            TttModels.languageModel(model.getBlock());
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
