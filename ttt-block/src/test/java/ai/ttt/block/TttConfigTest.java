package ai.ttt.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TttConfigTest {

    static TttConfig official() {
        return new TttConfig(
                512,
                64,
                128,
                128,
                4,
                4,
                4,
                16,
                10000,
                RopeLayout.INTERLEAVED,
                null,
                true,
                false,
                NormPlacement.SANDWICH,
                true,
                1e-6,
                32,
                16,
                1,
                1,
                1,
                OptionalInt.of(1),
                List.of(2));
    }

    @Test
    void builderDefaultsAreTheOfficialLayout() {
        TttConfig built =
                TttConfig.officialLayout()
                        .vocabSize(512)
                        .hiddenSize(64)
                        .intermediateSize(128)
                        .numLayers(4)
                        .numHeads(4)
                        .headDim(16)
                        .slidingWindow(32)
                        .miniBatchSize(16)
                        .numPrimeLayers(1)
                        .bosTokenId(OptionalInt.of(1))
                        .eosTokenIds(List.of(2))
                        .build();
        assertEquals(official(), built);
        assertEquals(official(), official().toBuilder().build());
        TttConfig variant = official().toBuilder().numKvHeads(2).innerLr(0.5).build();
        assertEquals(2, variant.numKvHeads());
        assertEquals(0.5, variant.innerLr());
        assertEquals(
                official().withTtt(64, 8, 2),
                official().toBuilder()
                        .slidingWindow(64)
                        .miniBatchSize(8)
                        .numPrimeLayers(2)
                        .build());
        InvalidConfigException e =
                assertThrows(
                        InvalidConfigException.class,
                        () -> official().toBuilder().numKvHeads(3).build());
        assertTrue(e.getMessage().contains("num_key_value_heads 3"), e.getMessage());
    }

    static JsonObject json(Consumer<JsonObject> edit) {
        JsonObject o = official().toJson();
        edit.accept(o);
        return o;
    }

    @Test
    void roundTripsThroughJson() {
        TttConfig c = official();
        assertEquals(
                c, TttConfig.fromJson(JsonParser.parseString(c.toJsonString()).getAsJsonObject()));
        TttConfig scaled =
                new TttConfig(
                        512,
                        64,
                        128,
                        96,
                        4,
                        4,
                        2,
                        16,
                        500000,
                        RopeLayout.ROTATE_HALF,
                        RopeScaling.llama3(8, 1, 4, 8192),
                        false,
                        true,
                        NormPlacement.PRE,
                        false,
                        1e-5,
                        8192,
                        1024,
                        0,
                        0.5,
                        0,
                        OptionalInt.empty(),
                        List.of(2, 3));
        assertEquals(scaled, TttConfig.fromJson(scaled.toJson()));
    }

    @Test
    void headDimDefaultsFromHiddenSize() {
        JsonObject o = json(j -> j.remove("head_dim"));
        assertEquals(16, TttConfig.fromJson(o).headDim());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "hidden_size 100, no head_dim|hidden_size=100;num_attention_heads=3;-head_dim|hidden_size 100 is not divisible by num_attention_heads 3",
                "kv heads|num_key_value_heads=3|num_attention_heads 4 is not divisible by num_key_value_heads 3",
                "odd head_dim|head_dim=15|head_dim 15 must be even for RoPE",
                "too many prime layers|num_prime_layers=5|num_prime_layers 5 must be between 0 and num_hidden_layers 4",
                "negative window|sliding_window=-1|sliding_window -1 must be positive",
                "zero mini-batch|mini_batch_size=0|mini_batch_size 0 must be positive",
                "bos outside vocab|bos_token_id=512|bos_token_id 512 is outside the vocabulary [0, 512)",
                "eos outside vocab|eos_token_id=-2|eos_token_id -2 is outside the vocabulary [0, 512)",
                "negative lr|inner_lr=-1|inner_lr -1.0 must be ≥ 0",
                "negative clip|inner_grad_clip=-0.5|inner_grad_clip -0.5 must be ≥ 0 (0 = no clip)",
                "eps|rms_norm_eps=0|rms_norm_eps 0.0 must be a positive number",
                "fractional int|vocab_size=5.5|vocab_size 5.5 must be an integer",
                "huge int|vocab_size=1000000000000|vocab_size 1000000000000 is out of range (a 32-bit integer, at most 2147483647)",
                "huge negative int|sliding_window=-3000000000|sliding_window -3000000000 is out of range (a 32-bit integer, at most 2147483647)",
                "string int|hidden_size=\"64\"|hidden_size \"64\" must be an integer",
                "layout|rope_layout=\"spiral\"|rope_layout \"spiral\" must be \"interleaved\" or \"rotate_half\"",
                "placement|norm_placement=\"post\"|norm_placement \"post\" must be \"pre\" or \"sandwich\"",
                "model type|model_type=\"llama\"|model_type \"llama\" is not \"ttt_e2e\"",
                "version|format_version=2|format_version 2 is not supported (this build reads 1)",
                "unknown key|window=3|unknown key \"window\" (keys starting with _ are free-form notes)",
                "missing key|-vocab_size|vocab_size is missing",
                "bool|qk_norm=1|qk_norm 1 must be true or false",
                "scaling type|rope_scaling={\"rope_type\":\"yarn\",\"factor\":2}|rope_scaling.rope_type \"yarn\" is not supported; supported: [linear, llama3]",
            })
    void namesKeyValueAndRule(String name, String edits, String message) {
        JsonObject o =
                json(
                        j -> {
                            for (String edit : edits.split(";")) {
                                if (edit.startsWith("-")) {
                                    j.remove(edit.substring(1));
                                } else {
                                    String[] kv = edit.split("=", 2);
                                    j.add(kv[0], JsonParser.parseString(kv[1]));
                                }
                            }
                        });
        InvalidConfigException e =
                assertThrows(InvalidConfigException.class, () -> TttConfig.fromJson(o));
        assertEquals(message, e.getMessage());
    }

    @Test
    void fileErrorsNameTheFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{ not json");
        InvalidConfigException e =
                assertThrows(InvalidConfigException.class, () -> TttConfig.load(f));
        assertTrue(e.getMessage().startsWith(f + ": invalid JSON"), e.getMessage());
        Files.writeString(f, json(j -> j.addProperty("vocab_size", 0)).toString());
        e = assertThrows(InvalidConfigException.class, () -> TttConfig.load(f));
        assertEquals(f + ": vocab_size 0 must be positive", e.getMessage());
    }

    /** Issue 14 (item 8): a key written twice was silently last-wins. */
    @Test
    void aDuplicateKeyIsRefusedNamingIt(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("config.json");
        String text = official().toJsonString();
        Files.writeString(f, text.replaceFirst("\\{", "{\"vocab_size\": 1000,"));
        InvalidConfigException e =
                assertThrows(InvalidConfigException.class, () -> TttConfig.load(f));
        assertEquals(
                f + ": invalid JSON: duplicate key \"vocab_size\" at $.vocab_size", e.getMessage());
    }

    @Test
    void invalidUtf8NamesTheFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("config.json");
        Files.write(f, new byte[] {'{', (byte) 0xff, '}'});
        IOException e = assertThrows(IOException.class, () -> TttConfig.load(f));
        assertEquals(
                f + ": is not valid UTF-8: byte 0xff at offset 1 (convert the file to UTF-8)",
                e.getMessage());
    }

    @Test
    void notesAreAllowed() {
        JsonObject o = json(j -> j.addProperty("_source", "LlamaForCausalLM"));
        assertEquals(official(), TttConfig.fromJson(o));
    }
}
