package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.translators.GenerationOptions;
import ai.ttt.translators.ScoreResult;
import ai.ttt.translators.TttModels;
import ai.ttt.translators.TttSession;
import ai.ttt.translators.TttTokenizer;
import ai.ttt.zoo.TttModelZoo;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acceptance 3: sessions read documents into the fast weights, and survive save and restore. */
class SessionTest {

    // 222 bytes + BOS = 223 tokens: 13 whole mini-batches of 16 and 15 tokens left open.
    static final String DOCUMENT =
            "In the test-time-training model, reading is learning: every mini-batch of tokens"
                    + " takes one gradient step on the fast weights of the last blocks, so the"
                    + " document stays in the weights after it has left the attention window. ";
    static final String CONTINUATION = "What did the document say about reading?";

    static ZooModel<String, String> zoo;
    static TttLanguageModel model;
    static TttTokenizer tokenizer;

    @TempDir Path tmp;

    @BeforeAll
    static void load() throws Exception {
        zoo =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optGroupId("ai.ttt")
                        .optArtifactId(TttModelZoo.TINY_RANDOM)
                        .build()
                        .loadModel();
        model = TttModels.languageModel(zoo.getBlock());
        tokenizer = TttModels.loadTokenizer(zoo);
    }

    @AfterAll
    static void close() {
        zoo.close();
    }

    @Test
    void restoredSessionGivesTheSameNextTokenNllAsOneThatNeverStopped() throws Exception {
        assertEquals(223, tokenizer.encode(DOCUMENT).length + 1);
        Path saved = tmp.resolve("session");
        try (TttSession uninterrupted = TttSession.create(model, tokenizer);
                TttSession first = TttSession.create(model, tokenizer)) {
            uninterrupted.ingest(DOCUMENT);
            first.ingest(DOCUMENT);
            first.save(saved);
            assertTrue(Files.isRegularFile(saved.resolve("state.safetensors")));
            try (TttSession restored = TttSession.load(model, tokenizer, saved)) {
                assertEquals(uninterrupted.position(), restored.position());
                assertEquals(uninterrupted.textTail(), restored.textTail());
                assertArrayEquals(uninterrupted.nextTokenLogits(), restored.nextTokenLogits());
                for (long id : new long[] {32, 87, 101, 256}) {
                    assertEquals(uninterrupted.nextTokenNll(id), restored.nextTokenNll(id), 0.0);
                }
                ScoreResult a = uninterrupted.score(CONTINUATION);
                ScoreResult b = restored.score(CONTINUATION);
                assertEquals(CONTINUATION.length(), a.size());
                assertArrayEquals(a.tokenNll(), b.tokenNll(), 1e-6f);
                GenerationOptions o = GenerationOptions.defaults().withMaxNewTokens(20);
                assertEquals(uninterrupted.generate(" ", o), restored.generate(" ", o));
                assertArrayEquals(uninterrupted.nextTokenLogits(), restored.nextTokenLogits());
            }
            // Not a session: a clear error naming the directory.
            Exception e =
                    assertThrows(
                            NoSuchFileException.class,
                            () -> TttSession.load(model, tokenizer, tmp.resolve("nothing")));
            assertTrue(e.getMessage().contains("nothing"));
        }
    }

    @Test
    void memoryDoesNotGrowWithWhatWasRead() {
        try (TttSession s = TttSession.create(model, tokenizer)) {
            s.ingest(DOCUMENT);
            long[] one = footprint();
            long[] progress = {0};
            s.ingest(DOCUMENT.repeat(2), (done, total) -> progress[0]++);
            assertTrue(progress[0] > 1, "progress reported per piece");
            long[] three = footprint();
            s.ingest(DOCUMENT.repeat(4));
            long[] seven = footprint();
            System.out.printf(
                    "native arrays under the model after %d, %d, %d tokens read:"
                            + " %s, %s, %s (tensors, tensor bytes, scalars)%n",
                    1 + 222,
                    1 + 3 * 222,
                    s.position(),
                    Arrays.toString(one),
                    Arrays.toString(three),
                    Arrays.toString(seven));
            assertEquals(1 + 7 * 222, s.position());
            // Every tensor (fast weights, KV rings, open mini-batch, logits) stays the same...
            assertEquals(one[0], seven[0], "tensors");
            assertEquals(one[1], seven[1], "tensor bytes");
            assertEquals(three[1], seven[1], "tensor bytes");
            // ...and the engine's cache of 0-d chunk-length constants is bounded by b.
            assertTrue(seven[2] - one[2] <= model.config().miniBatchSize(), "scalars");
        }
    }

    /** Non-scalar arrays, their bytes, and 0-d arrays under the model's manager. */
    private static long[] footprint() {
        long[] f = new long[3];
        for (NDArray a : zoo.getNDManager().getManagedArrays()) {
            if (a.getShape().dimension() == 0) {
                f[2]++;
            } else {
                f[0]++;
                f[1] += a.size() * a.getDataType().getNumOfBytes();
            }
        }
        return f;
    }

    @Test
    void theLossOnARepeatedPassageDropsWhileItIsLearned() {
        // The embedded model's weights are random; what it shows is the mechanism: the second
        // reading of a passage is predicted better because the fast weights learned the first.
        // The passage (229 tokens) is far longer than the attention window (32), so attention
        // cannot simply copy from the first reading.
        double firstTtt;
        double secondTtt;
        try (TttSession s = TttSession.create(model, tokenizer, true)) {
            firstTtt = s.score(DOCUMENT).meanNll();
            secondTtt = s.score(DOCUMENT).meanNll();
        }
        double firstW0;
        double secondW0;
        try (TttSession s = TttSession.create(model, tokenizer, false)) {
            firstW0 = s.score(DOCUMENT).meanNll();
            secondW0 = s.score(DOCUMENT).meanNll();
        }
        System.out.printf(
                "mean NLL first/second reading: TTT %.4f -> %.4f, W0 %.4f -> %.4f%n",
                firstTtt, secondTtt, firstW0, secondW0);
        assertTrue(secondTtt < firstTtt, "TTT learns the passage");
        assertTrue(
                firstTtt - secondTtt > Math.abs(firstW0 - secondW0),
                "the drop comes from test-time training");
    }

    @Test
    void sessionsOnSeveralThreadsOverOneModel() throws Exception {
        GenerationOptions o = GenerationOptions.defaults().withMaxNewTokens(8);
        List<String> sequential = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            sequential.add(run(i, o));
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<String>> futures = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int k = i;
                futures.add(pool.submit(() -> run(k, o)));
            }
            for (int i = 0; i < 2; i++) {
                assertEquals(sequential.get(i), futures.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static String run(int k, GenerationOptions o) {
        try (TttSession s = TttSession.create(model, tokenizer)) {
            s.ingest(DOCUMENT.substring(k * 50));
            String text = s.generate("Answer: ", o.withSampling(o.sampling().withSeed(k)));
            assertFalse(s.textTail().isEmpty());
            return text + "|" + s.nextTokenNll(32);
        }
    }
}
