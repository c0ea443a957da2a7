package ai.ttt.block.programs;

import ai.ttt.block.programs.ProgramEquivalenceTest.Case;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The program as it runs on CUDA, RoPE as one matrix per position applied by a batched matmul
 * ({@code rope_turns}) on mirrored rings, tested on the CPU against the plain engine with the bars
 * of {@link ProgramEquivalenceTest}: the turns hold the same cos and ±sin values as the elementwise
 * tables, so fp64 agrees to 1e-8 and fp32 is no less exact.
 */
class RopeTurnsTest {

    private static final String[] PROPERTIES = {"ttt.ropeTurns", "ttt.mirrorRings"};

    @BeforeAll
    static void useTurns() {
        for (String p : PROPERTIES) {
            System.setProperty(p, "true");
        }
    }

    @AfterAll
    static void restore() {
        for (String p : PROPERTIES) {
            System.clearProperty(p);
        }
    }

    static java.util.stream.Stream<Case> cases() {
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
