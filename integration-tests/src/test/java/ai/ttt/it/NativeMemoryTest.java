package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.ttt.translators.ScoreResult;
import ai.ttt.translators.TextStream;
import ai.ttt.zoo.TttModelZoo;
import org.junit.jupiter.api.Test;

/**
 * Acceptance 5: predictions leave no native arrays behind. Counts every live array of the PyTorch
 * engine (all managers under its root manager: the model's, the predictor's, per-call contexts and
 * sequence states) before and after 100 predictions on one predictor.
 */
class NativeMemoryTest {

    @Test
    void hundredPredictionsLeaveNoLiveArraysBehind() throws Exception {
        Criteria<String, String> criteria =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optGroupId("ai.ttt")
                        .optArtifactId(TttModelZoo.DEFAULT_MODEL)
                        .optArgument("maxNewTokens", 2)
                        .build();
        try (ZooModel<String, String> zoo = criteria.loadModel();
                Predictor<String, String> p = zoo.newPredictor()) {
            p.predict("warm-up: kernels and caches are created once");
            p.predict("warm-up 2");
            int engineBefore = TestModels.liveArrays();
            int modelBefore = zoo.getNDManager().getManagedArrays().size();
            for (int i = 0; i < 100; i++) {
                p.predict("p" + i + ", longer".repeat(i % 3));
            }
            int engineAfter = TestModels.liveArrays();
            int modelAfter = zoo.getNDManager().getManagedArrays().size();
            System.out.printf(
                    "live arrays: engine %d -> %d, model manager %d -> %d%n",
                    engineBefore, engineAfter, modelBefore, modelAfter);
            assertEquals(engineBefore, engineAfter, "live arrays in the engine");
            assertEquals(modelBefore, modelAfter, "live arrays under the model's manager");
        }
    }

    @Test
    void streamingAndScoringLeaveNoLiveArraysBehind() throws Exception {
        try (ZooModel<String, TextStream> zoo =
                        Criteria.builder()
                                .setTypes(String.class, TextStream.class)
                                .optGroupId("ai.ttt")
                                .optArtifactId(TttModelZoo.DEFAULT_MODEL)
                                .optArgument("maxNewTokens", 2)
                                .build()
                                .loadModel();
                Predictor<String, TextStream> p = zoo.newPredictor()) {
            p.streamingPredict("warm-up").getIterativeOutput().readAll();
            int before = TestModels.liveArrays();
            for (int i = 0; i < 10; i++) {
                p.streamingPredict("stream " + i).getIterativeOutput().readAll();
            }
            // Closing a stream early also frees its state.
            try (TextStream s = p.streamingPredict("abandoned").getIterativeOutput()) {
                s.iterator().next();
            }
            assertEquals(before, TestModels.liveArrays(), "after streaming");
        }
        try (ZooModel<String, ScoreResult> zoo = TestModels.defaultScorer().loadModel();
                Predictor<String, ScoreResult> p = zoo.newPredictor()) {
            p.predict("warm-up text");
            int before = TestModels.liveArrays();
            for (int i = 0; i < 10; i++) {
                p.predict("scored text " + i);
            }
            assertEquals(before, TestModels.liveArrays(), "after scoring");
        }
    }
}
