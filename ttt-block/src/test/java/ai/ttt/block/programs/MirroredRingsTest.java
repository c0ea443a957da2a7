package ai.ttt.block.programs;

import ai.ttt.block.programs.ProgramEquivalenceTest.Case;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The program with mirrored rings ({@link TttProgram#mirrorsRings()}), which the FlashAttention
 * path on CUDA always uses, tested on the CPU against the plain engine with the bars of {@link
 * ProgramEquivalenceTest}: every chunk of more than one token then attends its window as one
 * contiguous view in position order (with a band mask here, FlashAttention's window there), the
 * mirror halves are written with each chunk and copied after decoded tokens and restores, and
 * states still save and restore between the program and the plain engine (which see the first
 * halves only).
 */
class MirroredRingsTest {

    private static final String PROPERTY = "ttt.mirrorRings";

    @BeforeAll
    static void mirror() {
        System.setProperty(PROPERTY, "true");
    }

    @AfterAll
    static void restore() {
        System.clearProperty(PROPERTY);
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
