package ai.ttt.translators;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.ttt.block.Fixtures;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {

    private static final SamplingOptions PLAIN = new SamplingOptions(1.0, 0, 1.0, 1.0, 1234);

    private static float[] logitsOf(double... probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.log(probabilities[i]);
        }
        return logits;
    }

    private static double[] softmax(float[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l / temperature);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] / temperature - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static int[] counts(Sampler sampler, float[] logits, boolean[] allowed, int draws) {
        int[] counts = new int[logits.length];
        for (int i = 0; i < draws; i++) {
            counts[sampler.sample(logits, null, allowed)]++;
        }
        return counts;
    }

    /** Pearson's chi-square statistic of observed counts against expected probabilities. */
    private static double chiSquare(int[] counts, double[] p) {
        int n = Arrays.stream(counts).sum();
        double chi2 = 0;
        for (int i = 0; i < counts.length; i++) {
            if (p[i] == 0) {
                assertEquals(0, counts[i], "id " + i + " has probability 0");
            } else {
                double expected = n * p[i];
                chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
            }
        }
        return chi2;
    }

    private static void assertProbabilities(double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            int id = i;
            assertEquals(
                    expected[i],
                    actual[i],
                    1e-6,
                    () -> "id " + id + " in " + Arrays.toString(actual));
        }
    }

    @Test
    void greedyIsArgmax() {
        Sampler sampler = new Sampler(SamplingOptions.greedy());
        SplittableRandom random = new SplittableRandom(1);
        for (int round = 0; round < 200; round++) {
            float[] logits = new float[1 + random.nextInt(300)];
            int best = 0;
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (random.nextGaussian() * 5);
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            assertEquals(best, sampler.sample(logits, null, null));
        }
        // Ties go to the lowest id, as torch.argmax.
        assertEquals(1, sampler.sample(new float[] {0f, 3f, 3f, 1f}, null, null));
    }

    @Test
    void disallowedIdsAreNeverChosenEvenWithTheTopLogit() {
        float[] logits = {1f, 2f, 50f, 0.5f, 40f};
        boolean[] allowed = {true, true, false, true, false};
        assertEquals(1, new Sampler(SamplingOptions.greedy()).sample(logits, null, allowed));

        int[] counts = counts(new Sampler(PLAIN.withTemperature(5)), logits, allowed, 20000);
        assertEquals(0, counts[2]);
        assertEquals(0, counts[4]);
        assertTrue(counts[0] > 0 && counts[1] > 0 && counts[3] > 0, Arrays.toString(counts));
    }

    @Test
    void paddingIdsOfTheModelVocabularyAreNeverChosen() throws IOException {
        // Fixture models have 512 logits, the byte tokenizer only 257 ids.
        boolean[] mask;
        try (TttTokenizer bytes = TttTokenizer.load(Fixtures.get("tokenizers/byte"))) {
            mask = bytes.decodableMask(512);
        }
        Sampler sampler = new Sampler(PLAIN.withTemperature(2).withSeed(5));
        SplittableRandom random = new SplittableRandom(2);
        for (int step = 0; step < 2000; step++) {
            float[] logits = new float[512];
            for (int i = 0; i < logits.length; i++) {
                // The padding ids get the largest logits.
                logits[i] = (float) random.nextGaussian() + (i > 256 ? 10f : 0f);
            }
            int id = sampler.sample(logits, null, mask);
            assertTrue(id <= 256, "sampled padding id " + id);
        }
    }

    @Test
    void topKOfOneIsGreedy() {
        SplittableRandom random = new SplittableRandom(3);
        for (long seed = 0; seed < 20; seed++) {
            Sampler topOne = new Sampler(PLAIN.withTopK(1).withSeed(seed));
            Sampler greedy = new Sampler(SamplingOptions.greedy());
            for (int round = 0; round < 50; round++) {
                float[] logits = new float[64];
                boolean[] allowed = new boolean[64];
                for (int i = 0; i < logits.length; i++) {
                    logits[i] = (float) random.nextGaussian();
                    allowed[i] = random.nextInt(4) != 0;
                }
                allowed[random.nextInt(64)] = true;
                assertEquals(
                        greedy.sample(logits, null, allowed), topOne.sample(logits, null, allowed));
            }
        }
    }

    /**
     * Temperature-1 sampling draws from softmax(logits): chi-square with 5 degrees of freedom must
     * stay below 20.52, the 0.1% critical value (deterministic for the fixed seed).
     */
    @Test
    void frequenciesMatchSoftmax() {
        float[] logits = {1.0f, 0.5f, 0.0f, -0.5f, -1.0f, 2.0f};
        int draws = 60000;
        double chi2 =
                chiSquare(counts(new Sampler(PLAIN), logits, null, draws), softmax(logits, 1));
        assertTrue(chi2 < 20.52, "chi-square " + chi2);

        // Temperature 2 flattens: the draws follow softmax(logits / 2) instead.
        int[] hot = counts(new Sampler(PLAIN.withTemperature(2).withSeed(9)), logits, null, draws);
        assertTrue(chiSquare(hot, softmax(logits, 2)) < 20.52, Arrays.toString(hot));
        assertTrue(chiSquare(hot, softmax(logits, 1)) > 100, "temperature must matter");

        // ... and the distribution used is exactly softmax.
        assertProbabilities(
                softmax(logits, 0.7),
                new Sampler(PLAIN.withTemperature(0.7)).probabilities(logits, null, null));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        float[] logits = logitsOf(0.5, 0.3, 0.15, 0.05);
        assertProbabilities(new double[] {1, 0, 0, 0}, nucleus(logits, 0.45));
        assertProbabilities(new double[] {1, 0, 0, 0}, nucleus(logits, 1e-9)); // at least one
        assertProbabilities(new double[] {0.5 / 0.8, 0.3 / 0.8, 0, 0}, nucleus(logits, 0.75));
        assertProbabilities(
                new double[] {0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}, nucleus(logits, 0.9));
        assertProbabilities(new double[] {0.5, 0.3, 0.15, 0.05}, nucleus(logits, 0.97));
        assertProbabilities(new double[] {0.5, 0.3, 0.15, 0.05}, nucleus(logits, 1.0));

        // Order does not matter, and sampling stays inside the nucleus.
        float[] shuffled = logitsOf(0.05, 0.3, 0.5, 0.15);
        int[] counts = counts(new Sampler(PLAIN.withTopP(0.75)), shuffled, null, 20000);
        assertEquals(0, counts[0]);
        assertEquals(0, counts[3]);
        assertTrue(chiSquare(counts, new double[] {0, 0.375, 0.625, 0}) < 13.82); // df 1
    }

    private static double[] nucleus(float[] logits, double topP) {
        return new Sampler(PLAIN.withTopP(topP)).probabilities(logits, null, null);
    }

    @Test
    void topKKeepsTiesAndRunsBeforeTopP() {
        float[] logits = {3f, 2f, 2f, 1f};
        double[] topTwo = new Sampler(PLAIN.withTopK(2)).probabilities(logits, null, null);
        double z = Math.exp(3) + 2 * Math.exp(2);
        assertProbabilities(
                new double[] {Math.exp(3) / z, Math.exp(2) / z, Math.exp(2) / z, 0}, topTwo);

        // p = 0.4, 0.3, 0.2, 0.1. Top-p 0.5 alone keeps two tokens; after top-k 2 renormalizes to
        // 4/7, 3/7, the first token alone reaches 0.5.
        float[] p = logitsOf(0.4, 0.3, 0.2, 0.1);
        assertProbabilities(
                new double[] {0.4 / 0.7, 0.3 / 0.7, 0, 0},
                new Sampler(PLAIN.withTopP(0.5)).probabilities(p, null, null));
        assertProbabilities(
                new double[] {1, 0, 0, 0},
                new Sampler(PLAIN.withTopK(2).withTopP(0.5)).probabilities(p, null, null));
        // Top-k larger than the vocabulary is no filter.
        assertProbabilities(
                softmax(p, 1), new Sampler(PLAIN.withTopK(100)).probabilities(p, null, null));
    }

    /**
     * Random rows against a literal transcription of Hugging Face's warpers: TopK removes scores
     * below the k-th largest; TopP sorts ascending and removes tokens whose cumulative probability
     * is at most 1 - p, keeping the most likely one.
     */
    @Test
    void matchesHuggingFaceWarpersOnRandomRows() {
        SplittableRandom random = new SplittableRandom(11);
        for (int round = 0; round < 300; round++) {
            int n = 1 + random.nextInt(200);
            float[] logits = new float[n];
            boolean[] allowed = new boolean[n];
            boolean ties = random.nextBoolean();
            for (int i = 0; i < n; i++) {
                logits[i] = ties ? random.nextInt(6) : (float) (random.nextGaussian() * 3);
                allowed[i] = random.nextInt(5) != 0;
            }
            allowed[random.nextInt(n)] = true;
            double temperature = 0.3 + 2 * random.nextDouble();
            int topK = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(n + 5);
            // Ties at the nucleus boundary are resolved differently (by sort position in HF).
            double topP = ties || random.nextInt(3) == 0 ? 1.0 : 0.05 + 0.94 * random.nextDouble();
            SamplingOptions options = new SamplingOptions(temperature, topK, topP, 1.0, 0);
            assertProbabilities(
                    reference(logits, allowed, options),
                    new Sampler(options).probabilities(logits, null, allowed));
        }
    }

    private static double[] reference(float[] logits, boolean[] allowed, SamplingOptions o) {
        int n = logits.length;
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            scores[i] = allowed[i] ? logits[i] / o.temperature() : Double.NEGATIVE_INFINITY;
        }
        if (o.topK() > 0) {
            double[] sorted = scores.clone();
            Arrays.sort(sorted);
            double kth = sorted[Math.max(0, n - Math.min(o.topK(), n))];
            for (int i = 0; i < n; i++) {
                if (scores[i] < kth) {
                    scores[i] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        if (o.topP() < 1) {
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
            double max = scores[order[n - 1]];
            double z = 0;
            for (double s : scores) {
                z += Math.exp(s - max);
            }
            double cumulative = 0;
            boolean[] remove = new boolean[n];
            for (int j = 0; j < n; j++) {
                cumulative += Math.exp(scores[order[j]] - max) / z;
                remove[order[j]] = cumulative <= 1 - o.topP() && j < n - 1;
            }
            for (int i = 0; i < n; i++) {
                if (remove[i]) {
                    scores[i] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        double max = Arrays.stream(scores).max().orElseThrow();
        double[] p = new double[n];
        double z = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(scores[i] - max);
            z += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= z;
        }
        return p;
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        float[] logits = {2.0f, 1.9f, -1.0f, -1.1f};
        long[] previous = {0, 2};
        SamplingOptions penalized = PLAIN.withRepetitionPenalty(2);
        assertProbabilities(
                softmax(new float[] {1.0f, 1.9f, -2.0f, -1.1f}, 1),
                new Sampler(penalized).probabilities(logits, previous, null));

        // Greedy sees the penalty too: id 0 was the argmax, now id 1 is.
        assertEquals(0, new Sampler(SamplingOptions.greedy()).sample(logits, previous, null));
        assertEquals(
                1,
                new Sampler(SamplingOptions.greedy().withRepetitionPenalty(2))
                        .sample(logits, previous, null));

        // Applied once per id, however often it was seen: 2.0 / 2 = 1.0 still beats 0.9.
        assertEquals(
                0,
                new Sampler(SamplingOptions.greedy().withRepetitionPenalty(2))
                        .sample(new float[] {2.0f, 0.9f}, new long[] {0, 0, 0}, null));

        // A penalty below 1 favours repeats; penalty 1 changes nothing.
        assertEquals(
                2,
                new Sampler(SamplingOptions.greedy().withRepetitionPenalty(0.1))
                        .sample(new float[] {2.0f, 1.0f, 0.5f}, new long[] {2}, null));
        assertProbabilities(
                softmax(logits, 1), new Sampler(PLAIN).probabilities(logits, previous, null));
    }

    @Test
    void sameSeedGivesTheSameSequenceAndText() throws IOException {
        int[] first = sequence(42);
        assertArrayEquals(first, sequence(42));
        assertNotEquals(Arrays.toString(first), Arrays.toString(sequence(43)));

        try (TttTokenizer bytes = TttTokenizer.load(Fixtures.get("tokenizers/byte"))) {
            String text = generate(bytes, 7);
            assertEquals(text, generate(bytes, 7));
            assertNotEquals(text, generate(bytes, 8));
        }
    }

    /** 500 draws from fixed pseudo-random logits. */
    private static int[] sequence(long seed) {
        Sampler sampler = new Sampler(SamplingOptions.defaults().withSeed(seed).withTopP(0.9));
        SplittableRandom logitsRandom = new SplittableRandom(0);
        int[] ids = new int[500];
        for (int i = 0; i < ids.length; i++) {
            float[] logits = new float[100];
            for (int j = 0; j < logits.length; j++) {
                logits[j] = (float) logitsRandom.nextGaussian();
            }
            ids[i] = sampler.sample(logits, null, null);
        }
        return ids;
    }

    /** A toy decode loop over the byte tokenizer's 257 ids in a 512-logit "model". */
    private static String generate(TttTokenizer tokenizer, long seed) {
        Sampler sampler =
                new Sampler(new SamplingOptions(0.9, 40, 0.95, 1.3, seed)); // every filter at work
        IncrementalDecoder decoder = new IncrementalDecoder(tokenizer, true);
        boolean[] mask = tokenizer.decodableMask(512);
        long[] history = new long[200];
        StringBuilder out = new StringBuilder();
        for (int step = 0; step < history.length; step++) {
            float[] logits = new float[512];
            SplittableRandom model = new SplittableRandom(step == 0 ? 0 : history[step - 1]);
            for (int j = 0; j < logits.length; j++) {
                logits[j] = (float) (model.nextGaussian() * 2 + (j >= 'a' && j <= 'z' ? 3 : 0));
            }
            int id = sampler.sample(logits, Arrays.copyOf(history, step), mask);
            history[step] = id;
            out.append(decoder.push(id));
        }
        return out.append(decoder.flush()).toString();
    }

    @Test
    void extremeInputsStayFinite() {
        // A tiny temperature is greedy in effect, without overflow to NaN.
        float[] logits = {1f, 3f, 2f, Float.NEGATIVE_INFINITY};
        double[] p = new Sampler(PLAIN.withTemperature(1e-30)).probabilities(logits, null, null);
        assertProbabilities(new double[] {0, 1, 0, 0}, p);
        // -Infinity logits are allowed and never chosen.
        int[] counts = counts(new Sampler(PLAIN), logits, null, 5000);
        assertEquals(0, counts[3]);
        // The caller's arrays are left alone.
        float[] copy = logits.clone();
        new Sampler(PLAIN.withRepetitionPenalty(3))
                .sample(logits, new long[] {1, 2}, new boolean[] {true, true, true, true});
        assertArrayEquals(copy, logits);
    }

    @Test
    void badInputsAreRejectedWithClearMessages() {
        Sampler sampler = new Sampler(PLAIN.withRepetitionPenalty(1.5));
        float[] logits = {1f, 2f, 3f};
        assertMessage(
                "allowed mask has length 2 but there are 3 logits",
                () -> sampler.sample(logits, null, new boolean[2]));
        assertMessage(
                "logit of id 1 is NaN",
                () -> sampler.sample(new float[] {0f, Float.NaN, 1f}, null, null));
        assertMessage(
                "logit of id 0 is Infinity",
                () -> sampler.sample(new float[] {Float.POSITIVE_INFINITY, 1f}, null, null));
        assertMessage(
                "previous id 3 is outside the 3 logits",
                () -> sampler.sample(logits, new long[] {0, 3}, null));
        assertMessage(
                "no allowed token id has a finite logit (3 logits)",
                () -> sampler.sample(logits, null, new boolean[3]));
        assertMessage(
                "no allowed token id has a finite logit (2 logits)",
                () ->
                        sampler.sample(
                                new float[] {Float.NEGATIVE_INFINITY, 5f},
                                null,
                                new boolean[] {true, false}));
        assertThrows(NullPointerException.class, () -> sampler.sample(null, null, null));
        assertThrows(NullPointerException.class, () -> new Sampler(null));
    }

    private static void assertMessage(String message, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertEquals(message, e.getMessage());
    }
}
