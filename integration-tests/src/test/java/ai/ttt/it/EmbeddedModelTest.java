package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.ttt.block.Fixtures;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.TttConfig;
import ai.ttt.block.safetensors.Checkpoint;
import ai.ttt.translators.TttTokenizer;
import ai.ttt.zoo.TttModelZoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default model is what its README says: the official fixture tiny-L4-S1 converted,
 * with the byte-level tokenizer and BOS = EOS = 256 (its {@code <|endoftext|>}).
 */
class EmbeddedModelTest {

    @TempDir Path tmp;

    @Test
    void embeddedModelIsTheConvertedFixtureWithTheByteTokenizer() throws Exception {
        Path embedded = TttModelZoo.defaultModelDirectory();
        Path fresh = TestModels.convertTiny(tmp.resolve("fresh"));
        TttConfig e = ModelDirectory.readConfig(embedded);
        TttConfig f = ModelDirectory.readConfig(fresh);
        TttConfig expected =
                new TttConfig(
                        f.vocabSize(),
                        f.hiddenSize(),
                        f.intermediateSize(),
                        f.primeIntermediateSize(),
                        f.numLayers(),
                        f.numHeads(),
                        f.numKvHeads(),
                        f.headDim(),
                        f.ropeTheta(),
                        f.ropeLayout(),
                        f.ropeScaling(),
                        f.qkNorm(),
                        f.attentionBias(),
                        f.normPlacement(),
                        f.tieWordEmbeddings(),
                        f.rmsNormEps(),
                        f.slidingWindow(),
                        f.miniBatchSize(),
                        f.numPrimeLayers(),
                        f.innerLr(),
                        f.innerGradClip(),
                        OptionalInt.of(256),
                        List.of(256));
        assertEquals(expected, e);
        try (Checkpoint a = Checkpoint.open(embedded);
                Checkpoint b = Checkpoint.open(fresh)) {
            assertEquals(b.names(), a.names());
            for (String name : b.names()) {
                assertArrayEquals(b.readFloats(name), a.readFloats(name), 0f, name);
            }
        }
        assertArrayEquals(
                Files.readAllBytes(Fixtures.get("tokenizers/byte/tokenizer.json")),
                Files.readAllBytes(embedded.resolve("tokenizer.json")));
        try (TttTokenizer t = TttTokenizer.load(embedded)) {
            assertEquals(256, t.tokenId("<|endoftext|>").getAsLong());
        }
        assertEquals(
                ModelDirectory.servingProperties(),
                Files.readString(embedded.resolve("serving.properties")));
        assertTrue(Files.readString(embedded.resolve("README.md")).contains("random"));
    }
}
