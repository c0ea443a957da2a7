package ai.ttt.block.programs;

import java.util.List;

/**
 * The program as it runs on CUDA, RoPE as one matrix per position applied by a batched matmul
 * ({@code rope_turns}) on mirrored rings, tested on the CPU against the plain engine with the bars
 * of {@link ProgramEquivalenceTest}: the turns hold the same cos and ±sin values as the elementwise
 * tables, so fp64 agrees to 1e-8 and fp32 is no less exact.
 */
class RopeTurnsTest extends EquivalenceScenarios {

    @Override
    List<String> properties() {
        return List.of("ttt.ropeTurns", "ttt.mirrorRings");
    }
}
