package ai.ttt.translators;

import java.util.Arrays;

/**
 * How well a model predicts a text: the negative log-likelihood of each token given everything
 * before it.
 *
 * <p>The arrays are aligned: {@code tokenNll[i] = −log p(tokenIds[i] | earlier tokens)} in nats.
 * They cover every token that had a prediction: with a BOS token prepended (when the model defines
 * one) that is every token of the text; without one, every token but the first.
 *
 * @param tokenIds the scored tokens
 * @param tokenNll their negative log-likelihoods (nats)
 * @param testTimeTraining whether the model learned while reading (TTT) or kept W0
 */
public record ScoreResult(long[] tokenIds, float[] tokenNll, boolean testTimeTraining) {

    /** Checks that the arrays are aligned. */
    public ScoreResult {
        if (tokenIds.length != tokenNll.length) {
            throw new IllegalArgumentException(
                    tokenIds.length + " token ids but " + tokenNll.length + " NLL values");
        }
    }

    /**
     * Returns the number of scored tokens: every token read but the first (BOS when the model has
     * one), which has no prediction. {@code ttt score}'s {@code "tokens"} and ttt-spark's {@code
     * score.tokens} mean the same count.
     *
     * @return the count
     */
    public int size() {
        return tokenNll.length;
    }

    /**
     * Returns the mean NLL per token (nats).
     *
     * @return the mean, or NaN if nothing was scored
     */
    public double meanNll() {
        return meanNll(0, tokenNll.length);
    }

    /**
     * Returns the mean NLL of the scored tokens {@code [from, to)}.
     *
     * @param from the first index
     * @param to one past the last index
     * @return the mean, or NaN if the range is empty
     */
    public double meanNll(int from, int to) {
        if (from < 0 || to > tokenNll.length || from > to) {
            throw new IndexOutOfBoundsException(
                    "range [" + from + ", " + to + ") of " + tokenNll.length);
        }
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += tokenNll[i];
        }
        return to == from ? Double.NaN : sum / (to - from);
    }

    /**
     * Returns the perplexity, exp(mean NLL).
     *
     * @return the perplexity
     */
    public double perplexity() {
        return Math.exp(meanNll());
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o instanceof ScoreResult
                && ((ScoreResult) o).testTimeTraining == testTimeTraining
                && Arrays.equals(((ScoreResult) o).tokenIds, tokenIds)
                && Arrays.equals(((ScoreResult) o).tokenNll, tokenNll);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(tokenIds) + Arrays.hashCode(tokenNll);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return String.format(
                "ScoreResult[tokens=%d, meanNll=%.4f, perplexity=%.2f, ttt=%s]",
                size(), meanNll(), perplexity(), testTimeTraining);
    }
}
