package ai.ttt.block.programs;

/**
 * What one program call over a chunk computes besides updating the state.
 *
 * @param step the chunk is a whole mini-batch whose targets are known: take the TTT step
 * @param hasTargets targets are passed (the NLL of each is computed when {@code allRows})
 * @param allRows compute the logits of every row (else at most the last row's)
 * @param keepLogits return the logits of every row
 * @param wantLast return the logits of the last row
 * @param keepOpen keep the chunk's suffix input and tokens for the open mini-batch
 */
public record ChunkFlags(
        boolean step,
        boolean hasTargets,
        boolean allRows,
        boolean keepLogits,
        boolean wantLast,
        boolean keepOpen) {

    /**
     * Returns the flags as bits, in the order of the program's {@code flags} argument.
     *
     * @return a number in 0 … 63
     */
    int bits() {
        return (step ? 1 : 0)
                | (hasTargets ? 2 : 0)
                | (allRows ? 4 : 0)
                | (keepLogits ? 8 : 0)
                | (wantLast ? 16 : 0)
                | (keepOpen ? 32 : 0);
    }

    /**
     * Returns the flags as the program reads them.
     *
     * @return six 0/1 values
     */
    long[] values() {
        return new long[] {
            step ? 1 : 0,
            hasTargets ? 1 : 0,
            allRows ? 1 : 0,
            keepLogits ? 1 : 0,
            wantLast ? 1 : 0,
            keepOpen ? 1 : 0
        };
    }

    /**
     * Whether a call of one token with these flags is what the program's lean {@code decode}
     * computes: no step, no NLL, no logits beyond the last row's.
     *
     * @return true for generation's single-token feeds
     */
    boolean decodable() {
        return !step && !(hasTargets && allRows) && !keepLogits;
    }

    /**
     * Returns how many arrays the chunk call returns: NLL (and the loss when stepping), then the
     * logits, then the last logits, each only when asked for.
     *
     * @return 0 … 4
     */
    public int outputCount() {
        int nll = hasTargets && allRows ? (step ? 2 : 1) : 0;
        return nll + (keepLogits ? 1 : 0) + (wantLast ? 1 : 0);
    }
}
