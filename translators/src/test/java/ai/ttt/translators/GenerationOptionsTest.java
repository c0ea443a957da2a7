package ai.ttt.translators;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GenerationOptionsTest {

    @Test
    void defaultsAreDocumented() {
        GenerationOptions o = GenerationOptions.fromArguments(Map.of());
        assertEquals(GenerationOptions.DEFAULT_MAX_NEW_TOKENS, o.maxNewTokens());
        assertEquals(SamplingOptions.defaults(), o.sampling());
        assertEquals(List.of(), o.stop());
        assertNull(o.eosIds(), "the model's EOS ids");
        assertTrue(o.testTimeTraining());
        assertNull(o.tokenSelector());
    }

    @Test
    void readsStringsNumbersAndListsAsDjlArgumentsArrive() {
        // serving.properties and model properties give strings; Criteria arguments give objects.
        GenerationOptions fromStrings =
                GenerationOptions.fromArguments(
                        Map.of(
                                "maxNewTokens", "12",
                                "temperature", "0.5",
                                "topK", "7",
                                "topP", "0.9",
                                "repetitionPenalty", "1.2",
                                "seed", "42",
                                "stop", "[\"\\n\\n\", \"###\"]",
                                "eosIds", "2, 3",
                                "ttt", "false",
                                "engine", "PyTorch"));
        GenerationOptions fromObjects =
                GenerationOptions.fromArguments(
                        Map.of(
                                "maxNewTokens",
                                12,
                                "temperature",
                                0.5,
                                "topK",
                                7L,
                                "topP",
                                0.9f,
                                "repetitionPenalty",
                                1.2,
                                "seed",
                                42,
                                "stop",
                                List.of("\n\n", "###"),
                                "eosIds",
                                new long[] {2, 3},
                                "ttt",
                                false));
        assertEquals(12, fromStrings.maxNewTokens());
        assertEquals(new SamplingOptions(0.5, 7, 0.9, 1.2, 42), fromStrings.sampling());
        assertEquals(List.of("\n\n", "###"), fromStrings.stop());
        assertEquals(List.of(2L, 3L), fromStrings.eosIds());
        assertEquals(false, fromStrings.testTimeTraining());
        assertEquals(fromStrings.maxNewTokens(), fromObjects.maxNewTokens());
        assertEquals(fromStrings.sampling().temperature(), fromObjects.sampling().temperature());
        assertEquals(fromStrings.sampling().topP(), fromObjects.sampling().topP(), 1e-6);
        assertEquals(fromStrings.stop(), fromObjects.stop());
        assertEquals(fromStrings.eosIds(), fromObjects.eosIds());
        assertEquals(List.of("END"), GenerationOptions.fromArguments(Map.of("stop", "END")).stop());
    }

    @Test
    void servingAliasesOverridePerRequest() {
        GenerationOptions base = GenerationOptions.defaults().withMaxNewTokens(5);
        GenerationOptions o =
                base.withArguments(
                        Map.of(
                                "max_new_tokens",
                                3L,
                                "top_k",
                                0L,
                                "do_sample",
                                false,
                                "eos_token_id",
                                List.of(7L),
                                "stop",
                                List.of("x")));
        assertEquals(3, o.maxNewTokens());
        assertEquals(0, o.sampling().topK());
        assertTrue(o.sampling().isGreedy());
        assertEquals(List.of(7L), o.eosIds());
        assertEquals(5, base.withArguments(Map.of()).maxNewTokens());
    }

    @Test
    void invalidValuesNameTheArgumentAndValue() {
        assertMessage("argument maxNewTokens must be an integer >= 0, got -1", "maxNewTokens", -1);
        assertMessage(
                "argument maxNewTokens must be an integer, got \"ten\"", "maxNewTokens", "ten");
        assertMessage("argument maxNewTokens must be an integer, got 2.5", "maxNewTokens", 2.5);
        assertMessage(
                "argument topP must be in (0, 1] (1 = no top-p filter), got 2.0", "topP", "2");
        assertMessage("argument temperature must be a number, got \"hot\"", "temperature", "hot");
        assertMessage("argument ttt must be true or false, got \"yes\"", "ttt", "yes");
        assertMessage("argument eosIds must be token ids >= 0, got \"-1\"", "eosIds", "-1");
        assertMessage("argument stop must be non-empty strings, got \"\"", "stop", "");
        assertMessage(
                "argument tokenSelector must be a ai.ttt.translators.TokenSelector, got"
                        + " java.lang.String",
                "tokenSelector",
                "x");
    }

    @Test
    void tokenSelectorIsTakenAsAnObject() {
        TokenSelector s = (logits, previous, allowed) -> 0;
        assertSame(s, GenerationOptions.fromArguments(Map.of("tokenSelector", s)).tokenSelector());
    }

    private static void assertMessage(String expected, String key, Object value) {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> GenerationOptions.fromArguments(Map.of(key, value)));
        assertEquals(expected, e.getMessage());
    }
}
