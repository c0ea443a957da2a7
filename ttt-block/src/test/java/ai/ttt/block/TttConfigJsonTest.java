package ai.ttt.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

/**
 * The config's JSON codec ({@link TttConfigJson}), the one typed JSON reader ({@link JsonFields})
 * and the typed {@code rope_type} ({@link RopeScaling.Type}).
 */
class TttConfigJsonTest {

    @Test
    void ropeScalingRoundTripsAsATypedRopeType() {
        TttConfig c =
                TestModels.tiny(12, 4).toBuilder()
                        .ropeScaling(RopeScaling.llama3(8, 1, 4, 8192))
                        .build();
        JsonObject json = TttConfigJson.toJson(c);
        assertEquals("llama3", json.getAsJsonObject("rope_scaling").get("rope_type").getAsString());
        TttConfig back = TttConfigJson.fromJson(json);
        assertEquals(RopeScaling.Type.LLAMA3, back.ropeScaling().ropeType());
        assertEquals(c, back);
        assertEquals(c.toJsonString(), back.toJsonString());
        assertNull(RopeScaling.Type.fromJson("yarn"));
    }

    @Test
    void anUnimplementedRopeTypeIsRefusedWithTheSupportedOnes() {
        JsonObject json = TttConfigJson.toJson(TestModels.tiny(12, 4));
        json.add(
                "rope_scaling", JsonParser.parseString("{\"rope_type\": \"yarn\", \"factor\": 4}"));
        InvalidConfigException e =
                assertThrows(InvalidConfigException.class, () -> TttConfigJson.fromJson(json));
        assertEquals(
                "rope_scaling.rope_type \"yarn\" is not supported; supported: [linear, llama3]",
                e.getMessage());
    }

    @Test
    void jsonFieldsNameKeyValueAndRuleInTheCallersException() {
        JsonObject o =
                JsonParser.parseString("{\"a\": \"8\", \"b\": 8.5, \"c\": [1, 2.0], \"d\": null}")
                        .getAsJsonObject();
        JsonFields<IllegalStateException> j =
                new JsonFields<>(o, m -> new IllegalStateException("config.json: " + m));
        assertEquals(
                "config.json: a \"8\" must be a number",
                assertThrows(IllegalStateException.class, () -> j.number("a")).getMessage());
        assertEquals(
                "config.json: b 8.5 must be an integer",
                assertThrows(IllegalStateException.class, () -> j.integer("b")).getMessage());
        assertEquals(java.util.List.of(1, 2), j.integers("c"));
        assertEquals(
                "config.json: d is missing",
                assertThrows(IllegalStateException.class, () -> j.string("d")).getMessage());
        assertEquals("fallback", j.string("d", "fallback"));
    }

    @Test
    void theImpliedHeadDimIsCheckedOnce() {
        assertEquals(64, TttConfig.impliedHeadDim(256, 4));
        assertEquals(
                "hidden_size 10 is not divisible by num_attention_heads 3",
                assertThrows(InvalidConfigException.class, () -> TttConfig.impliedHeadDim(10, 3))
                        .getMessage());
        JsonObject json = TttConfigJson.toJson(TestModels.tiny(12, 4));
        json.remove("head_dim");
        json.addProperty("hidden_size", 10);
        json.addProperty("num_attention_heads", 3);
        assertEquals(
                "hidden_size 10 is not divisible by num_attention_heads 3",
                assertThrows(InvalidConfigException.class, () -> TttConfigJson.fromJson(json))
                        .getMessage());
    }
}
