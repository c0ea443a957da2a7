package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;

/**
 * How a {@link SequenceState}'s chunks are computed. The state cuts what it is fed into chunks at
 * mini-batch boundaries and keeps the host-side counters (position, open count); a runner does the
 * device work of one chunk: {@link PlainChunks} with DJL operations (the reference, and the only
 * one that trains), {@link ProgramChunks} with the project's TorchScript program.
 */
interface ChunkRunner {

    /**
     * Reads a chunk of n ≤ b new inputs at the state's position.
     *
     * @param inputs {@code [B, n]} int64
     * @param targets {@code [B, t]} int64 (t = n, or n − 1 for the feed's last chunk), or null
     * @param step the chunk is a whole mini-batch with known targets: take the TTT step
     * @param outputs what the feed asked for
     * @param complete more inputs follow in this feed (no last logits needed)
     * @param keepOpen keep the chunk for the open mini-batch (test-time training, no step)
     * @return what the caller keeps
     */
    Segment run(
            NDArray inputs,
            NDArray targets,
            boolean step,
            SequenceState.Outputs outputs,
            boolean complete,
            boolean keepOpen);

    /**
     * Re-runs the suffix blocks on the open mini-batch, which decoding filled, and takes its step.
     *
     * @param nextToken {@code [B, 1]} int64, the mini-batch's last target
     * @return {@code [B]} the mini-batch loss
     */
    NDArray closeOpenMiniBatch(NDArray nextToken);

    /**
     * Tells the runner that the state was moved (restored from a file, or resumed for training) to
     * a position and open count, with its buffers already in place.
     *
     * @param position the new position
     * @param openCount the new open count
     */
    void moveTo(long position, int openCount);

    /**
     * Which rows of a chunk need logits: all of them when stepping, keeping logits, or scoring.
     *
     * @param step whether the chunk steps
     * @param hasTargets whether its targets are known
     * @param outputs what the feed asked for
     * @return true for every row, false for at most the last
     */
    static boolean allRows(boolean step, boolean hasTargets, SequenceState.Outputs outputs) {
        return step
                || outputs == SequenceState.Outputs.ALL_LOGITS
                || (hasTargets && outputs != SequenceState.Outputs.LAST_LOGITS);
    }
}
