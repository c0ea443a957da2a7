package ai.ttt.it;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.ttt.block.Fixtures;
import ai.ttt.convert.ConvertOptions;
import ai.ttt.convert.OfficialConverter;
import ai.ttt.translators.ScoreResult;
import ai.ttt.translators.TokenSelector;
import ai.ttt.zoo.TttModelZoo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Model directories and helpers shared by the integration tests. */
final class TestModels {

    private TestModels() {}

    /**
     * Converts the official fixture tiny-L4-S1 into {@code dir} as a user would (ttt convert) and
     * adds the byte-level tokenizer.
     */
    static Path convertTiny(Path dir) throws IOException {
        OfficialConverter.convert(
                Fixtures.get("official/tiny-L4-S1"), dir, ConvertOptions.defaults());
        Files.copy(Fixtures.get("tokenizers/byte/tokenizer.json"), dir.resolve("tokenizer.json"));
        return dir;
    }

    /** The embedded default model as a scorer (String → ScoreResult), without arguments. */
    static Criteria<String, ScoreResult> defaultScorer() {
        return Criteria.builder()
                .setTypes(String.class, ScoreResult.class)
                .optGroupId(TttModelZoo.GROUP_ID)
                .optArtifactId(TttModelZoo.DEFAULT_MODEL)
                .build();
    }

    /** Live native arrays in every manager of the PyTorch engine. */
    static int liveArrays() {
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            return m.getParentManager().getManagedArrays().size();
        }
    }

    /**
     * A selector that forces the byte tokens of a text (byte tokenizer: id = byte), then EOS 256,
     * ignoring the logits. Not thread-safe.
     */
    static TokenSelector forcing(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] at = {0};
        return (logits, previous, allowed) -> at[0] < bytes.length ? bytes[at[0]++] & 0xFF : 256;
    }
}
