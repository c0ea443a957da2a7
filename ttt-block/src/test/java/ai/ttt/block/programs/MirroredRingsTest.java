package ai.ttt.block.programs;

import java.util.List;

/**
 * The program with mirrored rings ({@link TttProgram#mirrorsRings()}), which the FlashAttention
 * path on CUDA always uses, tested on the CPU against the plain engine with the bars of {@link
 * ProgramEquivalenceTest}: every chunk of more than one token then attends its window as one
 * contiguous view in position order (with a band mask here, FlashAttention's window there), the
 * mirror halves are written with each chunk and copied after decoded tokens and restores, and
 * states still save and restore between the program and the plain engine (which see the first
 * halves only).
 */
class MirroredRingsTest extends EquivalenceScenarios {

    @Override
    List<String> properties() {
        return List.of("ttt.mirrorRings");
    }
}
