package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.ttt.block.Fixtures;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.TttConfig;
import ai.ttt.block.safetensors.Checkpoint;
import ai.ttt.cli.TttCommand;
import ai.ttt.train.TrainPresets;
import ai.ttt.translators.TttTokenizer;
import ai.ttt.zoo.TttModelZoo;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded models are what their READMEs say: the default {@value TttModelZoo#DEFAULT_MODEL} is
 * the trained Bible model of {@code ttt train --preset default}, and it learns at test time on the
 * held-out Revelation; {@value TttModelZoo#TINY_RANDOM} is the official fixture tiny-L4-S1
 * converted, with the byte-level tokenizer and BOS = EOS = 256 (its {@code <|endoftext|>}).
 */
class EmbeddedModelTest {

    @TempDir Path tmp;

    @Test
    void embeddedModelIsTheConvertedFixtureWithTheByteTokenizer() throws Exception {
        Path embedded = TttModelZoo.embeddedModelDirectory(TttModelZoo.TINY_RANDOM);
        Path fresh = TestModels.convertTiny(tmp.resolve("fresh"));
        TttConfig e = ModelDirectory.readConfig(embedded);
        TttConfig f = ModelDirectory.readConfig(fresh);
        TttConfig expected =
                f.toBuilder().bosTokenId(OptionalInt.of(256)).eosTokenIds(List.of(256)).build();
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

    @Test
    void theDefaultModelIsTheTrainedBibleModelAndLearnsAtTestTime() throws Exception {
        Path dir = TttModelZoo.defaultModelDirectory();
        assertEquals(TrainPresets.defaultModel(2), ModelDirectory.readConfig(dir));
        assertArrayEquals(
                Files.readAllBytes(Fixtures.get("tokenizers/byte/tokenizer.json")),
                Files.readAllBytes(dir.resolve("tokenizer.json")));
        assertTrue(Files.readString(dir.resolve("README.md")).contains("King James"));
        assertTrue(Files.size(dir.resolve("model.safetensors")) <= 25L << 20, "size budget");

        // Training text: far below the 5.55 nats of a uniform guess over 257 ids.
        Path genesis = tmp.resolve("genesis.txt");
        Files.writeString(genesis, GENESIS);
        assertTrue(meanNll(genesis, true) < 1.5, "Genesis 1:1-5");

        // Held out: the first 8 KiB of Revelation (64 mini-batches), read with test-time training
        // and with the fast weights frozen.
        String revelation;
        try (var in = EmbeddedModelTest.class.getResourceAsStream("/kjv/revelation.txt")) {
            revelation = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Path text = tmp.resolve("revelation.txt");
        Files.writeString(text, revelation.substring(0, 8192));
        double ttt = meanNll(text, true);
        double frozen = meanNll(text, false);
        System.out.printf("kjv-5m on Revelation[0, 8K): TTT %.4f, frozen %.4f%n", ttt, frozen);
        assertTrue(ttt < frozen - 0.01, "TTT " + ttt + " vs frozen " + frozen);
    }

    private double meanNll(Path text, boolean ttt) throws Exception {
        Path out = tmp.resolve("score-" + text.getFileName() + "-" + ttt + ".json");
        List<String> args =
                new java.util.ArrayList<>(
                        List.of("score", "--text", text.toString(), "--output", out.toString()));
        if (!ttt) {
            args.add("--no-ttt");
        }
        assertEquals(0, TttCommand.execute(args.toArray(new String[0])));
        return JsonParser.parseString(Files.readString(out))
                .getAsJsonObject()
                .get("mean_nll")
                .getAsDouble();
    }

    private static final String GENESIS =
            "In the beginning God created the heaven and the earth.\n"
                    + "And the earth was without form, and void; and darkness was upon the face of"
                    + " the deep. And the Spirit of God moved upon the face of the waters.\n"
                    + "And God said, Let there be light: and there was light.\n"
                    + "And God saw the light, that it was good: and God divided the light from the"
                    + " darkness.\n"
                    + "And God called the light Day, and the darkness he called Night. And the"
                    + " evening and the morning were the first day.\n";
}
