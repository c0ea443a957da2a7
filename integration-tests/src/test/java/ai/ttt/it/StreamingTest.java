package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.inference.streaming.IteratorBytesSupplier;
import ai.djl.inference.streaming.StreamingTranslator.StreamOutput;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.ttt.translators.FinishReason;
import ai.ttt.translators.TextStream;
import ai.ttt.zoo.TttModelZoo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Acceptance 2: streaming gives the non-streaming text, and never half a character. */
class StreamingTest {

    private static final String PROMPT = "Streaming test: ";

    private static <I, O> Criteria<I, O> criteria(
            Class<I> in, Class<O> out, String key, Object value) {
        Criteria.Builder<I, O> b =
                Criteria.builder()
                        .setTypes(in, out)
                        .optGroupId("ai.ttt")
                        .optArtifactId(TttModelZoo.DEFAULT_MODEL)
                        .optArgument("maxNewTokens", 48)
                        .optArgument("seed", 7)
                        .optArgument("topK", 0);
        return (key == null ? b : b.optArgument(key, value)).build();
    }

    @Test
    void streamingAndNonStreamingGiveTheSameTextForAFixedSeed() throws Exception {
        String expected;
        try (ZooModel<String, String> zoo =
                        criteria(String.class, String.class, null, null).loadModel();
                Predictor<String, String> p = zoo.newPredictor()) {
            expected = p.predict(PROMPT);
        }
        assertFalse(expected.isEmpty());
        try (ZooModel<String, TextStream> zoo =
                        criteria(String.class, TextStream.class, null, null).loadModel();
                Predictor<String, TextStream> p = zoo.newPredictor()) {
            // Iterative mode: pieces are generated as the caller iterates.
            TextStream stream = p.streamingPredict(PROMPT).getIterativeOutput();
            List<String> pieces = stream.readPieces();
            assertTrue(pieces.size() > 1, "streamed in pieces: " + pieces);
            assertEquals(expected, String.join("", pieces));
            assertTrue(stream.finishReason() != null);

            // Asynchronous mode: a worker computes, this thread reads.
            StreamOutput<TextStream> async = p.streamingPredict(PROMPT);
            TextStream out = async.getAsyncOutput();
            ExecutorService worker = Executors.newSingleThreadExecutor();
            try {
                Future<?> done = worker.submit(async::computeAsyncOutput);
                assertEquals(expected, out.readAll());
                done.get(60, TimeUnit.SECONDS);
            } finally {
                worker.shutdownNow();
            }

            // predict on the streaming types returns the same text, already complete.
            assertEquals(expected, p.predict(PROMPT).readAll());
        }
    }

    @Test
    void multiByteUtf8StreamsOutWithoutReplacementCharactersOrSplitCharacters() throws Exception {
        // 2-, 3- and 4-byte characters; the byte tokenizer gives one token per byte, so every
        // multi-byte character arrives in several tokens.
        String text = "héllo 東京 🎉 naïve Ωmega";
        List<String> pieces;
        try (ZooModel<String, TextStream> zoo =
                        criteria(
                                        String.class,
                                        TextStream.class,
                                        "tokenSelector",
                                        TestModels.forcing(text))
                                .loadModel();
                Predictor<String, TextStream> p = zoo.newPredictor()) {
            TextStream stream = p.streamingPredict("x").getIterativeOutput();
            pieces = new ArrayList<>();
            for (String piece : stream) {
                pieces.add(piece);
            }
            assertEquals(FinishReason.EOS, stream.finishReason());
        }
        assertEquals(text, String.join("", pieces));
        assertTrue(pieces.size() >= text.codePointCount(0, text.length()) - 1, "" + pieces);
        for (String piece : pieces) {
            assertFalse(piece.isEmpty());
            assertFalse(piece.contains("\uFFFD"), "replacement character in " + piece);
            assertFalse(Character.isLowSurrogate(piece.charAt(0)), "split surrogate pair");
            assertFalse(
                    Character.isHighSurrogate(piece.charAt(piece.length() - 1)),
                    "split surrogate pair");
        }
        assertTrue(pieces.contains("東") || pieces.stream().anyMatch(s -> s.contains("東")));
        assertTrue(pieces.stream().anyMatch(s -> s.contains("🎉")));

        // The same through Input/Output streaming (DJL Serving): UTF-8 chunks of whole characters.
        try (ZooModel<Input, Output> zoo =
                        criteria(
                                        Input.class,
                                        Output.class,
                                        "tokenSelector",
                                        TestModels.forcing(text))
                                .loadModel();
                Predictor<Input, Output> p = zoo.newPredictor()) {
            Input in = new Input();
            in.add("x");
            Output out = p.streamingPredict(in).getIterativeOutput();
            IteratorBytesSupplier chunks = (IteratorBytesSupplier) out.getData();
            StringBuilder all = new StringBuilder();
            while (chunks.hasNext()) {
                byte[] chunk = chunks.next();
                String s =
                        StandardCharsets.UTF_8
                                .newDecoder()
                                .decode(java.nio.ByteBuffer.wrap(chunk))
                                .toString();
                assertFalse(s.contains("\uFFFD"));
                all.append(s);
            }
            assertEquals(text, all.toString());
        }
    }
}
