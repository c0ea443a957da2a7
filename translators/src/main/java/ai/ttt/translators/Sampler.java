package ai.ttt.translators;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits, in plain Java on the host.
 *
 * <p>The decode loop copies the last position's logits to a {@code float[]} (the only host sync per
 * step) and calls {@link #sample}. The row is processed as Hugging Face's {@code generate} does:
 *
 * <ol>
 *   <li>ids not allowed by the mask get probability 0 (they are never chosen);
 *   <li>repetition penalty: for every distinct id in {@code previousIds}, a positive logit is
 *       divided by the penalty and a negative one multiplied by it;
 *   <li>temperature 0: return the argmax (the lowest id on ties), consuming no randomness;
 *   <li>otherwise divide by the temperature, keep the top-k logits (all ties with the k-th), then
 *       the nucleus: the most likely tokens, in order, until their probability adds up to at least
 *       top-p (always at least one; tokens tied with the last one kept are kept too);
 *   <li>draw one token from the softmax of what is left.
 * </ol>
 *
 * <p>Each sampler owns a {@link SplittableRandom} seeded from {@link SamplingOptions#seed()}, and
 * each non-greedy {@link #sample} call draws exactly one number from it. The same seed, options and
 * logits therefore give the same tokens and the same text. Use one sampler per generated sequence;
 * a sampler is not thread-safe.
 */
public final class Sampler {

    private final SamplingOptions options;
    private final SplittableRandom random;

    /**
     * Creates a sampler.
     *
     * @param options the sampling options; their seed starts the random sequence
     */
    public Sampler(SamplingOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        this.random = new SplittableRandom(options.seed());
    }

    /**
     * Returns the options.
     *
     * @return the options this sampler was created with
     */
    public SamplingOptions options() {
        return options;
    }

    /**
     * Picks the next token id. The arrays are not modified.
     *
     * @param logits the model's logits for the next position, one per id of the model vocabulary;
     *     {@code -Infinity} is allowed (that id is never chosen), NaN and {@code +Infinity} are not
     * @param previousIds ids seen so far (prompt and generated), for the repetition penalty; may be
     *     {@code null} or empty; each must be a valid index into {@code logits}
     * @param allowed which ids may be chosen, typically {@link TttTokenizer#decodableMask(int)};
     *     {@code null} allows every id; otherwise the same length as {@code logits}
     * @return the chosen id, always an allowed one with a finite logit
     * @throws IllegalArgumentException if the inputs do not fit together, a logit is NaN or {@code
     *     +Infinity}, or no allowed id has a finite logit
     */
    public int sample(float[] logits, long[] previousIds, boolean[] allowed) {
        double[] scores = penalizedScores(logits, previousIds, allowed);
        if (options.isGreedy()) {
            return argmax(scores);
        }
        double[] weights = weights(scores);
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double u = random.nextDouble() * total;
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] > 0) {
                cumulative += weights[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // only reached through rounding at the very end
    }

    /**
     * Returns the distribution {@link #sample} draws from: probabilities after the mask, the
     * repetition penalty, temperature, top-k and top-p; for greedy options, one-hot on the argmax.
     *
     * @param logits as for {@link #sample}
     * @param previousIds as for {@link #sample}
     * @param allowed as for {@link #sample}
     * @return one probability per id, summing to 1
     */
    double[] probabilities(float[] logits, long[] previousIds, boolean[] allowed) {
        double[] scores = penalizedScores(logits, previousIds, allowed);
        double[] p;
        if (options.isGreedy()) {
            p = new double[scores.length];
            p[argmax(scores)] = 1;
            return p;
        }
        p = weights(scores);
        double total = 0;
        for (double w : p) {
            total += w;
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= total;
        }
        return p;
    }

    /**
     * Copies the logits, sets disallowed ids to -inf and applies the repetition penalty.
     *
     * @return the scores; at least one is finite
     */
    private double[] penalizedScores(float[] logits, long[] previousIds, boolean[] allowed) {
        Objects.requireNonNull(logits, "logits");
        int n = logits.length;
        if (allowed != null && allowed.length != n) {
            throw new IllegalArgumentException(
                    "allowed mask has length "
                            + allowed.length
                            + " but there are "
                            + n
                            + " logits");
        }
        double[] scores = new double[n];
        boolean anyFinite = false;
        for (int i = 0; i < n; i++) {
            float l = logits[i];
            if (Float.isNaN(l) || l == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logit of id " + i + " is " + l);
            }
            if (allowed == null || allowed[i]) {
                scores[i] = l;
                anyFinite |= l != Float.NEGATIVE_INFINITY;
            } else {
                scores[i] = Double.NEGATIVE_INFINITY;
            }
        }
        if (!anyFinite) {
            throw new IllegalArgumentException(
                    "no allowed token id has a finite logit (" + n + " logits)");
        }

        double penalty = options.repetitionPenalty();
        if (previousIds != null && penalty != 1) {
            BitSet seen = new BitSet(n);
            for (long id : previousIds) {
                if (id < 0 || id >= n) {
                    throw new IllegalArgumentException(
                            "previous id " + id + " is outside the " + n + " logits");
                }
                int i = (int) id;
                if (!seen.get(i)) {
                    seen.set(i);
                    double s = scores[i];
                    scores[i] = s < 0 ? s * penalty : s / penalty;
                }
            }
        }
        return scores;
    }

    /**
     * Applies temperature, top-k and top-p to the scores.
     *
     * @return unnormalized probabilities exp((s - max) / T), 0 for removed ids
     */
    private double[] weights(double[] scores) {
        double temperature = options.temperature();
        int n = scores.length;
        double maxScore = scores[argmax(scores)];
        // (s - max) / T <= 0 cannot overflow even for a tiny temperature; the largest is 0.
        double[] scaled = new double[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            double s = scores[i];
            if (s == Double.NEGATIVE_INFINITY) {
                scaled[i] = s;
            } else {
                scaled[i] = (s - maxScore) / temperature;
                count++;
            }
        }

        double threshold = Double.NEGATIVE_INFINITY;
        int topK = options.topK();
        if (topK > 0 && topK < count) {
            threshold = kthLargest(scaled, topK);
        }
        double topP = options.topP();
        if (topP < 1) {
            // The survivors of top-k, most likely last.
            double[] kept = new double[count];
            int m = 0;
            for (double t : scaled) {
                if (t != Double.NEGATIVE_INFINITY && t >= threshold) {
                    kept[m++] = t;
                }
            }
            Arrays.sort(kept, 0, m);
            double z = 0;
            for (int j = 0; j < m; j++) {
                z += Math.exp(kept[j]);
            }
            double cumulative = 0;
            for (int j = m - 1; j >= 0; j--) {
                cumulative += Math.exp(kept[j]) / z;
                if (cumulative >= topP) {
                    threshold = Math.max(threshold, kept[j]);
                    break;
                }
            }
        }

        double[] weights = scaled; // reused in place
        for (int i = 0; i < n; i++) {
            double t = scaled[i];
            weights[i] = t != Double.NEGATIVE_INFINITY && t >= threshold ? Math.exp(t) : 0;
        }
        return weights;
    }

    /**
     * Returns the k-th largest value that is not -inf, in O(n log k) with a min-heap of the k
     * largest values seen. There must be at least k such values.
     */
    private static double kthLargest(double[] values, int k) {
        double[] heap = new double[k];
        int size = 0;
        for (double v : values) {
            if (v == Double.NEGATIVE_INFINITY) {
                continue;
            }
            if (size < k) {
                int i = size++; // sift up
                while (i > 0) {
                    int parent = (i - 1) >>> 1;
                    if (heap[parent] <= v) {
                        break;
                    }
                    heap[i] = heap[parent];
                    i = parent;
                }
                heap[i] = v;
            } else if (v > heap[0]) {
                int i = 0; // replace the minimum and sift down
                while (true) {
                    int child = 2 * i + 1;
                    if (child >= k) {
                        break;
                    }
                    if (child + 1 < k && heap[child + 1] < heap[child]) {
                        child++;
                    }
                    if (heap[child] >= v) {
                        break;
                    }
                    heap[i] = heap[child];
                    i = child;
                }
                heap[i] = v;
            }
        }
        return heap[0];
    }

    private static int argmax(double[] scores) {
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] > bestScore) {
                best = i;
                bestScore = scores[i];
            }
        }
        return best;
    }
}
