package ai.ttt.translators;

import ai.djl.inference.streaming.StreamingBlock;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.ttt.block.nn.TttLanguageModel;
import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The DJL block of a loaded TTT-E2E model: a {@link TttLanguageModel} that also streams, so that
 * {@code Predictor.streamingPredict} works.
 *
 * <p>Inputs, by the names of the arrays:
 *
 * <ul>
 *   <li>{@code [tokens [B, T]]}: {@link #forward} returns the logits {@code [B, T, V]} of a whole
 *       sequence with the fast weights at W0 (the language model's own forward pass).
 *   <li>{@code [tokens [B, n], next [B, 1]]} (and optionally a boolean scalar named {@value #TTT}):
 *       a generation request. {@link #forwardStream} returns the {@link DecodeSteps}: the first
 *       element is the logits after reading the prompt with test-time training, each later element
 *       the logits after the ids the consumer wrote into {@code next}. With an int64 scalar {@value
 *       #PLAN} (a plan the generation translators register), {@link #forward} runs the whole
 *       generation and returns {@code [generated [k]]}, the generated ids; without one it returns
 *       the request unchanged.
 *   <li>{@code [tokens [1, n], score]}: {@link #forward} reads the sequence from the start with a
 *       fresh state (test-time training unless {@value #TTT} is false) and returns {@code [nll [1,
 *       n − 1]]} float32, the NLL of each token after the first.
 * </ul>
 */
public final class TttStreamingBlock extends AbstractBlock implements StreamingBlock {

    /** Name of the array holding the prompt. */
    public static final String TOKENS = "tokens";

    /** Name of the array the consumer writes the next ids into. */
    public static final String NEXT = "next";

    /** Name of the int64 scalar naming a planned generation, which {@link #forward} runs. */
    public static final String PLAN = "plan";

    /** Name of the array of generated ids {@link #forward} returns for a planned generation. */
    public static final String GENERATED = "generated";

    /** Name of the marker that makes {@link #forward} score {@code tokens}. */
    public static final String SCORE = "score";

    /** Name of the optional boolean scalar switching test-time training (default on). */
    public static final String TTT = "ttt";

    private static final byte VERSION = 1;

    private final TttLanguageModel model;

    /**
     * Wraps a language model.
     *
     * @param model the model
     */
    public TttStreamingBlock(TttLanguageModel model) {
        super(VERSION);
        this.model = addChildBlock("model", model);
    }

    /**
     * Returns the language model.
     *
     * @return the model
     */
    public TttLanguageModel languageModel() {
        return model;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        if (isGenerationRequest(inputs)) {
            // The decoding runs here, in the forward pass, so that DJL's Inference timer measures
            // it and the translators only encode the prompt and decode the result.
            return inputs.contains(PLAN) ? Generations.generate(model, inputs) : inputs;
        }
        if (inputs.contains(SCORE)) {
            return ScoringTranslator.score(model, inputs.get(TOKENS), ttt(inputs));
        }
        return model.forward(parameterStore, inputs, training, params);
    }

    /** {@inheritDoc} */
    @Override
    public Stream<NDList> forwardStream(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        DecodeSteps steps = steps(inputs);
        Spliterator<NDList> split =
                Spliterators.spliteratorUnknownSize(
                        steps, Spliterator.NONNULL | Spliterator.ORDERED);
        return StreamSupport.stream(split, false).onClose(steps::close);
    }

    /** {@inheritDoc} */
    @Override
    public Iterator<NDList> forwardStreamIter(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return steps(inputs);
    }

    /**
     * Starts the decoding steps of a generation request.
     *
     * @param inputs {@code [tokens, next]} and optionally {@code ttt}
     * @return the steps; close them (or the stream) to free the sequence state
     */
    public DecodeSteps steps(NDList inputs) {
        if (!isGenerationRequest(inputs)) {
            throw new IllegalArgumentException(
                    "streaming needs a generation request: arrays named "
                            + TOKENS
                            + " [B, n] and "
                            + NEXT
                            + " [B, 1], got "
                            + inputs);
        }
        return DecodeSteps.start(model, inputs.get(TOKENS), inputs.get(NEXT), ttt(inputs));
    }

    private static boolean ttt(NDList inputs) {
        return !inputs.contains(TTT) || inputs.get(TTT).getBoolean();
    }

    private static boolean isGenerationRequest(NDList inputs) {
        return inputs.size() >= 2 && inputs.contains(TOKENS) && inputs.contains(NEXT);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        if (inputShapes.length >= 2) {
            return inputShapes;
        }
        return model.getOutputShapes(inputShapes);
    }

    /**
     * Creates the array a generation request's consumer writes the next ids into.
     *
     * @param like the prompt, whose manager and batch size are used
     * @return {@code [B, 1]} int64 zeros named {@value #NEXT}
     */
    public static NDArray nextIds(NDArray like) {
        NDArray next =
                like.getManager().zeros(new Shape(like.getShape().get(0), 1), DataType.INT64);
        next.setName(NEXT);
        return next;
    }
}
