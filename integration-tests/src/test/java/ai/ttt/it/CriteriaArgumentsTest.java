package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import ai.ttt.cli.TttCommand;
import ai.ttt.translators.ScoreResult;
import ai.ttt.zoo.TttModelZoo;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A Criteria argument that is invalid or unknown fails the load with its own message at the top of
 * the exception the user sees (not DJL's "No model with the specified URI…" with the reason three
 * causes down), and a request parameter this model does not implement is refused with the list of
 * known ones.
 */
class CriteriaArgumentsTest {

    private static Criteria<String, String> tiny(String name, Object value) {
        return Criteria.builder()
                .setTypes(String.class, String.class)
                .optGroupId(TttModelZoo.GROUP_ID)
                .optArtifactId(TttModelZoo.TINY_RANDOM)
                .optArgument(name, value)
                .build();
    }

    @Test
    void anInvalidValueSurfacesWithTheArgumentsMessage() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, tiny("temperature", -1)::loadModel);
        assertTrue(
                e.getMessage().contains("temperature") && e.getMessage().contains("-1"),
                e.getMessage());
        IllegalArgumentException p =
                assertThrows(IllegalArgumentException.class, tiny("precision", "fp8")::loadModel);
        assertTrue(p.getMessage().contains("precision \"fp8\""), p.getMessage());
        Criteria<String, ScoreResult> scoring =
                Criteria.builder()
                        .setTypes(String.class, ScoreResult.class)
                        .optGroupId(TttModelZoo.GROUP_ID)
                        .optArtifactId(TttModelZoo.TINY_RANDOM)
                        .optArgument("ttt", "maybe")
                        .build();
        IllegalArgumentException t =
                assertThrows(IllegalArgumentException.class, scoring::loadModel);
        assertEquals("argument ttt must be true or false, got \"maybe\"", t.getMessage());
    }

    @Test
    void anUnknownArgumentIsRefusedWithTheKnownOnes() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, tiny("max_new_tokenz", 5)::loadModel);
        assertTrue(
                e.getMessage().startsWith("unknown argument \"max_new_tokenz\"; known: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("maxNewTokens"), e.getMessage());
        assertTrue(e.getMessage().contains("max_new_tokens"), e.getMessage());
    }

    @Test
    void unknownTgiParametersAreRefusedWithTheKnownOnes() throws Exception {
        Criteria<Input, Output> criteria =
                Criteria.builder()
                        .setTypes(Input.class, Output.class)
                        .optGroupId(TttModelZoo.GROUP_ID)
                        .optArtifactId(TttModelZoo.TINY_RANDOM)
                        .build();
        try (ZooModel<Input, Output> model = criteria.loadModel();
                Predictor<Input, Output> p = model.newPredictor()) {
            for (String parameter :
                    List.of("num_beams", "details", "min_new_tokens", "typical_p")) {
                Input in = new Input();
                in.add(
                        "{\"inputs\": \"Hi\", \"parameters\": {\"max_new_tokens\": 2, \""
                                + parameter
                                + "\": 1}}");
                TranslateException e = assertThrows(TranslateException.class, () -> p.predict(in));
                assertTrue(
                        e.getMessage().contains("unknown request parameter \"" + parameter + "\""),
                        e.getMessage());
                assertTrue(
                        e.getMessage().contains("known: ")
                                && e.getMessage().contains("max_new_tokens"),
                        e.getMessage());
            }
            Input fine = new Input();
            fine.add("{\"inputs\": \"Hi\", \"parameters\": {\"max_new_tokens\": 2, \"seed\": 3}}");
            assertTrue(p.predict(fine).getData().getAsString().contains("generated_text"));
        }
    }

    @Test
    void theCliReportsAnInvalidArgumentInOneLineWithExitCode1() {
        InProcessCli r = InProcessCli.run("generate", "--prompt", "Hi", "--precision", "fp8");
        assertEquals(TttCommand.EXIT_INPUT, r.code(), r.err());
        // DJL's finalizer may report a model another test leaked while stderr is captured.
        List<String> lines =
                r.err().strip().lines().filter(l -> !l.startsWith("[Finalizer]")).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("generate: "), r.err());
        assertTrue(r.err().contains("precision \"fp8\""), r.err());
    }
}
