package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooModel;
import ai.ttt.zoo.TttModelZoo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 4: with {@code ai.djl.offline=true}, loading and predicting work, and a lookup of a
 * TTT-E2E model consults no other zoo (no index downloads, no other zoo's loaders).
 */
class OfflineZooTest {

    @TempDir Path tmp;

    @Test
    void offlineLoadingConsultsNoOtherZoo() throws Exception {
        assertTrue(Boolean.getBoolean("ai.djl.offline"), "the tests run with ai.djl.offline=true");
        Set<String> zoos =
                ModelZoo.listModelZoo().stream()
                        .map(ModelZoo::getGroupId)
                        .collect(Collectors.toSet());
        // Other zoos are registered and would be asked if a lookup scanned every zoo.
        assertTrue(zoos.contains("ai.djl.huggingface.pytorch"), zoos.toString());
        assertTrue(zoos.contains(TripwireZooProvider.GROUP_ID), zoos.toString());
        assertTrue(zoos.contains(TttModelZoo.GROUP_ID), zoos.toString());

        Path dir = TestModels.convertTiny(tmp.resolve("model"));
        TripwireZooProvider.CONSULTED.set(0);
        String log =
                capturingStandardError(
                        () -> {
                            try (ZooModel<String, String> zoo =
                                            Criteria.builder()
                                                    .setTypes(String.class, String.class)
                                                    .optGroupId("ai.ttt")
                                                    .optArtifactId(TttModelZoo.DEFAULT_MODEL)
                                                    .build()
                                                    .loadModel();
                                    Predictor<String, String> p = zoo.newPredictor()) {
                                assertFalse(p.predict("offline").isEmpty());
                            }
                            try (ZooModel<Input, Output> zoo =
                                            Criteria.builder()
                                                    .setTypes(Input.class, Output.class)
                                                    .optModelPath(dir)
                                                    .build()
                                                    .loadModel();
                                    Predictor<Input, Output> p = zoo.newPredictor()) {
                                Input in = new Input();
                                in.add("offline");
                                assertEquals(200, p.predict(in).getCode());
                            }
                        });
        assertEquals(0, TripwireZooProvider.CONSULTED.get(), "another zoo was consulted");
        assertFalse(log.contains("Failed to download"), log);
        assertFalse(log.contains("mlrepo"), log);

        // The tripwire works: a lookup in its group does reach it.
        Criteria<String, String> tripwire =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optGroupId(TripwireZooProvider.GROUP_ID)
                        .build();
        assertThrows(ModelNotFoundException.class, tripwire::loadModel);
        assertTrue(TripwireZooProvider.CONSULTED.get() > 0);
    }

    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    private static String capturingStandardError(Action action) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        String log = buffer.toString(StandardCharsets.UTF_8);
        original.print(log);
        return log;
    }
}
