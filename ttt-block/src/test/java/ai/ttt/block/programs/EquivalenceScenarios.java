package ai.ttt.block.programs;

import ai.ttt.block.programs.ProgramEquivalenceTest.Case;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ProgramEquivalenceTest}'s scenarios against the plain engine, with its bars, under a
 * subclass's switches (prefill, scoring and all logits; decoding across mini-batches; states moved
 * between the program and the plain engine).
 */
abstract class EquivalenceScenarios extends UnderProperties {

    Stream<Case> cases() {
        return ProgramEquivalenceTest.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void prefillScoringAndAllLogits(Case c) throws Exception {
        new ProgramEquivalenceTest().prefillScoringAndAllLogits(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decodingTokenByTokenAcrossMiniBatches(Case c) throws Exception {
        new ProgramEquivalenceTest().decodingTokenByTokenAcrossMiniBatches(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void statesMoveBetweenPlainAndProgram(Case c, @TempDir Path dir) throws Exception {
        new ProgramEquivalenceTest().statesMoveBetweenPlainAndProgram(c, dir);
    }
}
