package ai.ttt.cli;

import ai.ttt.translators.GenerationOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Generation flags shared by {@code generate} and {@code chat}. */
final class GenerationFlags {

    @Option(
            names = "--max-new-tokens",
            paramLabel = "N",
            defaultValue = "64",
            description = "Generate at most N tokens. Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(
            names = "--temperature",
            paramLabel = "T",
            description = "Sampling temperature; 0 = greedy. Default: 1.0.")
    Double temperature;

    @Option(
            names = "--top-k",
            paramLabel = "K",
            description = "Sample among the K most likely tokens; 0 = all. Default: 50.")
    Integer topK;

    @Option(
            names = "--top-p",
            paramLabel = "P",
            description = "Nucleus sampling threshold in (0, 1]; 1 = off. Default: 1.0.")
    Double topP;

    @Option(
            names = "--repetition-penalty",
            paramLabel = "R",
            description = "Penalise tokens already seen (> 1); 1 = off. Default: 1.0.")
    Double repetitionPenalty;

    @Option(
            names = "--seed",
            paramLabel = "S",
            description = "Sampling seed: the same seed gives the same text. Default: 0.")
    Long seed;

    @Option(
            names = "--stop",
            paramLabel = "TEXT",
            description = "Stop before this text (repeatable).")
    List<String> stop;

    @Option(
            names = "--no-ttt",
            description = "Keep the fast weights at W0 (no test-time training while reading).")
    boolean noTtt;

    /**
     * Returns the Criteria arguments for these flags, checking each value.
     *
     * @return argument name → value
     * @throws UserException naming the flag if a value is out of range
     */
    Map<String, Object> arguments() {
        if (maxNewTokens < 0) {
            throw new UserException("--max-new-tokens must be >= 0, got " + maxNewTokens);
        }
        if (temperature != null && !(temperature >= 0 && !temperature.isInfinite())) {
            throw new UserException(
                    "--temperature must be a finite number >= 0 (0 = greedy), got " + temperature);
        }
        if (topK != null && topK < 0) {
            throw new UserException("--top-k must be >= 0 (0 = off), got " + topK);
        }
        if (topP != null && !(topP > 0 && topP <= 1)) {
            throw new UserException("--top-p must be in (0, 1] (1 = off), got " + topP);
        }
        if (repetitionPenalty != null
                && !(repetitionPenalty > 0 && !repetitionPenalty.isInfinite())) {
            throw new UserException(
                    "--repetition-penalty must be a finite number > 0 (1 = off), got "
                            + repetitionPenalty);
        }
        if (stop != null && stop.stream().anyMatch(String::isEmpty)) {
            throw new UserException("--stop must not be empty");
        }
        Map<String, Object> args = new LinkedHashMap<>();
        args.put(GenerationOptions.MAX_NEW_TOKENS, maxNewTokens);
        if (temperature != null) {
            args.put(GenerationOptions.TEMPERATURE, temperature);
        }
        if (topK != null) {
            args.put(GenerationOptions.TOP_K, topK);
        }
        if (topP != null) {
            args.put(GenerationOptions.TOP_P, topP);
        }
        if (repetitionPenalty != null) {
            args.put(GenerationOptions.REPETITION_PENALTY, repetitionPenalty);
        }
        if (seed != null) {
            args.put(GenerationOptions.SEED, seed);
        }
        if (stop != null && !stop.isEmpty()) {
            args.put(GenerationOptions.STOP, List.copyOf(stop));
        }
        args.put(GenerationOptions.TTT, !noTtt);
        return args;
    }

    /**
     * Returns the generation options for these flags.
     *
     * @param defaultStop stop strings when none are given
     * @return the options
     */
    GenerationOptions options(List<String> defaultStop) {
        GenerationOptions o = GenerationOptions.fromArguments(arguments());
        if (stop == null || stop.isEmpty()) {
            o = o.withStop(defaultStop);
        }
        return o;
    }
}
