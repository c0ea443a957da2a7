package ai.ttt.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Short test documents, the same on every run. */
final class Documents {

    private static final String[] WORDS = {
        "and",
        "the",
        "LORD",
        "said",
        "unto",
        "him",
        "in",
        "that",
        "day",
        "of",
        "Israel",
        "people",
        "land",
        "house",
        "spake",
        "Moses",
        "king",
        "heaven",
        "earth",
        "water",
        "fire",
        "bread",
        "city",
        "gate",
        "spark",
        "executor",
        "partition",
        "café",
        "naïve",
        "über",
        "—",
        "日本",
    };

    private Documents() {}

    /**
     * Returns documents of sentences of a fixed vocabulary (with some multi-byte UTF-8), between
     * {@code minBytes} and about {@code maxBytes} long, each from its own seed.
     *
     * @param count how many
     * @param minBytes the shortest
     * @param maxBytes about the longest
     * @param seed the first document's seed
     * @return the documents
     */
    static List<String> generate(int count, int minBytes, int maxBytes, long seed) {
        List<String> documents = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SplittableRandom random = new SplittableRandom(seed + i);
            int length = minBytes + random.nextInt(Math.max(1, maxBytes - minBytes));
            StringBuilder text = new StringBuilder();
            boolean sentenceStart = true;
            while (text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                    < length) {
                String word = WORDS[random.nextInt(WORDS.length)];
                if (sentenceStart) {
                    word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
                }
                text.append(word);
                sentenceStart = random.nextInt(9) == 0;
                text.append(sentenceStart ? ".\n" : " ");
            }
            documents.add(text.toString());
        }
        return documents;
    }
}
