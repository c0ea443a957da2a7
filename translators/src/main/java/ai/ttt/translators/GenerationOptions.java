package ai.ttt.translators;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a generation does: how many tokens, how they are sampled, when to stop.
 *
 * <p>The DJL translators read these from Criteria arguments ({@code optArgument(name, value)}) or
 * from {@code serving.properties}; request parameters of the Input/Output translator may override
 * them per request, also under the snake_case names of Hugging Face's text-generation-inference.
 *
 * <table>
 *   <caption>Arguments</caption>
 *   <tr><th>argument</th><th>serving alias</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@value #MAX_NEW_TOKENS}</td><td>max_new_tokens</td><td>{@value
 *       #DEFAULT_MAX_NEW_TOKENS}</td><td>at most this many generated tokens (≥ 0)</td></tr>
 *   <tr><td>{@value #TEMPERATURE}</td><td>temperature</td><td>1.0</td><td>0 = greedy</td></tr>
 *   <tr><td>{@value #TOP_K}</td><td>top_k</td><td>50</td><td>0 = off</td></tr>
 *   <tr><td>{@value #TOP_P}</td><td>top_p</td><td>1.0</td><td>1 = off</td></tr>
 *   <tr><td>{@value #REPETITION_PENALTY}</td><td>repetition_penalty</td><td>1.0</td><td>1 =
 *       off</td></tr>
 *   <tr><td>{@value #SEED}</td><td>seed</td><td>0</td><td>same seed, same text</td></tr>
 *   <tr><td>{@value #STOP}</td><td>stop</td><td>none</td><td>stop strings: a list, a JSON array
 *       string, or one string; the text ends before the first one generated</td></tr>
 *   <tr><td>{@value #EOS_IDS}</td><td>eos_token_id</td><td>the model's {@code
 *       eos_token_id}</td><td>ids that end generation (not part of the text): a list, JSON array
 *       or {@code "2,3"}</td></tr>
 *   <tr><td>{@value #TTT}</td><td>ttt</td><td>true</td><td>test-time training while reading the
 *       prompt and the generated text</td></tr>
 *   <tr><td>{@value #TOKEN_SELECTOR}</td><td>-</td><td>none</td><td>a {@link TokenSelector}
 *       object replacing sampling (constrained or forced decoding)</td></tr>
 * </table>
 *
 * <p>{@code do_sample=false} (serving alias only) means temperature 0.
 *
 * @param maxNewTokens at most this many tokens are generated (an EOS token counts)
 * @param sampling temperature, top-k, top-p, repetition penalty and seed
 * @param stop stop strings (possibly empty); the returned text ends right before the first one
 * @param eosIds ids that end generation, or {@code null} for the model's {@code eos_token_id}
 * @param testTimeTraining learn while reading (true), or keep the fast weights at W0
 * @param tokenSelector replaces the sampler when not {@code null}
 */
public record GenerationOptions(
        int maxNewTokens,
        SamplingOptions sampling,
        List<String> stop,
        List<Long> eosIds,
        boolean testTimeTraining,
        TokenSelector tokenSelector) {

    /** Argument name: maximum number of new tokens. */
    public static final String MAX_NEW_TOKENS = "maxNewTokens";

    /** Argument name: sampling temperature. */
    public static final String TEMPERATURE = "temperature";

    /** Argument name: top-k. */
    public static final String TOP_K = "topK";

    /** Argument name: top-p. */
    public static final String TOP_P = "topP";

    /** Argument name: repetition penalty. */
    public static final String REPETITION_PENALTY = "repetitionPenalty";

    /** Argument name: seed of the sampler. */
    public static final String SEED = "seed";

    /** Argument name: stop strings. */
    public static final String STOP = "stop";

    /** Argument name: end-of-sequence ids. */
    public static final String EOS_IDS = "eosIds";

    /** Argument name: test-time training on or off. */
    public static final String TTT = "ttt";

    /** Argument name: a {@link TokenSelector} object. */
    public static final String TOKEN_SELECTOR = "tokenSelector";

    /**
     * Every argument name {@link #withArguments} reads: the camelCase names above and the
     * snake_case serving aliases ({@code max_new_tokens}, {@code top_k}, {@code top_p}, {@code
     * repetition_penalty}, {@code stop_sequences}, {@code eos_token_id}, {@code do_sample}).
     */
    public static final Set<String> ARGUMENT_NAMES =
            Collections.unmodifiableSet(
                    new TreeSet<>(
                            List.of(
                                    MAX_NEW_TOKENS,
                                    "max_new_tokens",
                                    TEMPERATURE,
                                    "do_sample",
                                    TOP_K,
                                    "top_k",
                                    TOP_P,
                                    "top_p",
                                    REPETITION_PENALTY,
                                    "repetition_penalty",
                                    SEED,
                                    STOP,
                                    "stop_sequences",
                                    EOS_IDS,
                                    "eos_token_id",
                                    TTT,
                                    TOKEN_SELECTOR)));

    /**
     * The names a request's {@code "parameters"} may carry ({@link TttServingTranslator}): those of
     * {@link #ARGUMENT_NAMES} but {@value #TOKEN_SELECTOR}, which is no JSON value.
     * Text-generation-inference parameters this model does not implement ({@code num_beams}, {@code
     * details}, {@code typical_p}, …) are not among them, so a request using one is refused instead
     * of silently generating something else.
     */
    public static final Set<String> REQUEST_PARAMETER_NAMES =
            without(ARGUMENT_NAMES, TOKEN_SELECTOR);

    private static Set<String> without(Set<String> names, String name) {
        Set<String> rest = new TreeSet<>(names);
        rest.remove(name);
        return Collections.unmodifiableSet(rest);
    }

    /**
     * Refuses names that are not in {@code known}: a misspelt option ({@code max_new_tokenz}) would
     * otherwise be ignored and the default used without a word.
     *
     * @param names the names given
     * @param known the names understood
     * @param what what the names are, for the message ("argument", "request parameter")
     * @throws IllegalArgumentException naming the first unknown name and listing the known ones
     */
    public static void requireKnown(Collection<String> names, Set<String> known, String what) {
        for (String n : names) {
            if (!known.contains(n)) {
                throw new IllegalArgumentException(
                        "unknown "
                                + what
                                + " \""
                                + n
                                + "\"; known: "
                                + String.join(", ", new TreeSet<>(known)));
            }
        }
    }

    /** Default maximum number of new tokens. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 64;

    /** Validates and copies. */
    public GenerationOptions {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException(
                    MAX_NEW_TOKENS + " must be >= 0, got " + maxNewTokens);
        }
        Objects.requireNonNull(sampling, "sampling");
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException(STOP + " strings must not be empty");
            }
        }
        if (eosIds != null) {
            eosIds = List.copyOf(eosIds);
            for (long id : eosIds) {
                if (id < 0) {
                    throw new IllegalArgumentException(
                            EOS_IDS + " must be token ids >= 0, got " + eosIds);
                }
            }
        }
    }

    /**
     * Returns the defaults: {@value #DEFAULT_MAX_NEW_TOKENS} new tokens, {@link
     * SamplingOptions#defaults()}, no stop strings, the model's EOS ids, test-time training on.
     *
     * @return the defaults
     */
    public static GenerationOptions defaults() {
        return new GenerationOptions(
                DEFAULT_MAX_NEW_TOKENS, SamplingOptions.defaults(), List.of(), null, true, null);
    }

    /**
     * Reads options from DJL arguments over the defaults.
     *
     * @param arguments Criteria arguments or model properties (other keys are ignored)
     * @return the options
     * @throws IllegalArgumentException naming the argument and value if one is invalid
     */
    public static GenerationOptions fromArguments(Map<String, ?> arguments) {
        return defaults().withArguments(arguments);
    }

    /**
     * Returns a copy with the values present in {@code arguments} (camelCase names, or the
     * snake_case serving aliases) replacing these.
     *
     * @param arguments arguments or request parameters (other keys are ignored)
     * @return the new options
     * @throws IllegalArgumentException naming the argument and value if one is invalid
     */
    public GenerationOptions withArguments(Map<String, ?> arguments) {
        int max = maxNewTokens;
        Object v = Arguments.first(arguments, MAX_NEW_TOKENS, "max_new_tokens");
        if (v != null) {
            max = Arguments.intValue(v, MAX_NEW_TOKENS);
            if (max < 0) {
                throw Arguments.bad(MAX_NEW_TOKENS, v, "an integer >= 0");
            }
        }
        SamplingOptions s = sampling;
        try {
            v = Arguments.first(arguments, TEMPERATURE);
            if (v != null) {
                s = s.withTemperature(Arguments.number(v, TEMPERATURE));
            }
            v = Arguments.first(arguments, "do_sample");
            if (v != null && !Arguments.bool(v, "do_sample")) {
                s = s.withTemperature(0);
            }
            v = Arguments.first(arguments, TOP_K, "top_k");
            if (v != null) {
                s = s.withTopK(Arguments.intValue(v, TOP_K));
            }
            v = Arguments.first(arguments, TOP_P, "top_p");
            if (v != null) {
                s = s.withTopP(Arguments.number(v, TOP_P));
            }
            v = Arguments.first(arguments, REPETITION_PENALTY, "repetition_penalty");
            if (v != null) {
                s = s.withRepetitionPenalty(Arguments.number(v, REPETITION_PENALTY));
            }
            v = Arguments.first(arguments, SEED);
            if (v != null) {
                s = s.withSeed(Arguments.integer(v, SEED));
            }
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith("argument ")
                    ? e
                    : new IllegalArgumentException("argument " + e.getMessage(), e);
        }
        List<String> stops = stop;
        v = Arguments.first(arguments, STOP, "stop_sequences");
        if (v != null) {
            stops = Arguments.strings(v, STOP);
            if (stops.stream().anyMatch(String::isEmpty)) {
                throw Arguments.bad(STOP, v, "non-empty strings");
            }
        }
        List<Long> eos = eosIds;
        v = Arguments.first(arguments, EOS_IDS, "eos_token_id");
        if (v != null) {
            eos = Arguments.ids(v, EOS_IDS);
            if (eos.stream().anyMatch(id -> id < 0)) {
                throw Arguments.bad(EOS_IDS, v, "token ids >= 0");
            }
        }
        boolean ttt = testTimeTraining;
        v = Arguments.first(arguments, TTT);
        if (v != null) {
            ttt = Arguments.bool(v, TTT);
        }
        TokenSelector selector = tokenSelector;
        v = Arguments.first(arguments, TOKEN_SELECTOR);
        if (v != null) {
            if (!(v instanceof TokenSelector)) {
                throw new IllegalArgumentException(
                        "argument "
                                + TOKEN_SELECTOR
                                + " must be a "
                                + TokenSelector.class.getName()
                                + ", got "
                                + v.getClass().getName());
            }
            selector = (TokenSelector) v;
        }
        return new GenerationOptions(max, s, stops, eos, ttt, selector);
    }

    /**
     * Returns a copy with another maximum number of new tokens.
     *
     * @param value the maximum, ≥ 0
     * @return the new options
     */
    public GenerationOptions withMaxNewTokens(int value) {
        return new GenerationOptions(
                value, sampling, stop, eosIds, testTimeTraining, tokenSelector);
    }

    /**
     * Returns a copy with other sampling options.
     *
     * @param value the sampling options
     * @return the new options
     */
    public GenerationOptions withSampling(SamplingOptions value) {
        return new GenerationOptions(
                maxNewTokens, value, stop, eosIds, testTimeTraining, tokenSelector);
    }

    /**
     * Returns a copy with other stop strings.
     *
     * @param value the stop strings
     * @return the new options
     */
    public GenerationOptions withStop(List<String> value) {
        return new GenerationOptions(
                maxNewTokens, sampling, value, eosIds, testTimeTraining, tokenSelector);
    }

    /**
     * Returns a copy with other EOS ids.
     *
     * @param value the ids, or {@code null} for the model's
     * @return the new options
     */
    public GenerationOptions withEosIds(List<Long> value) {
        return new GenerationOptions(
                maxNewTokens, sampling, stop, value, testTimeTraining, tokenSelector);
    }

    /**
     * Returns a copy with test-time training on or off.
     *
     * @param value whether to learn while reading
     * @return the new options
     */
    public GenerationOptions withTestTimeTraining(boolean value) {
        return new GenerationOptions(maxNewTokens, sampling, stop, eosIds, value, tokenSelector);
    }

    /**
     * Returns a copy with a token selector replacing the sampler.
     *
     * @param value the selector, or {@code null} for the sampler
     * @return the new options
     */
    public GenerationOptions withTokenSelector(TokenSelector value) {
        return new GenerationOptions(maxNewTokens, sampling, stop, eosIds, testTimeTraining, value);
    }
}
