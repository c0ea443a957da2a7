package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.metric.Metric;
import ai.djl.metric.Metrics;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.ttt.translators.ScoreResult;
import ai.ttt.zoo.TttModelZoo;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The model's work runs in the block's forward pass, so DJL's {@link Metrics} put it under the
 * {@code Inference} timer; the translators only encode and decode ({@code Preprocess}, {@code
 * Postprocess}).
 */
class InferenceMetricsTest {

    private static double total(Metrics metrics, String name) {
        List<Metric> list = metrics.getMetric(name);
        assertFalse(list.isEmpty(), "no " + name + " metric");
        return list.stream().mapToDouble(m -> m.getValue().doubleValue()).sum();
    }

    private static void assertMostlyInference(Metrics metrics) {
        double pre = total(metrics, "Preprocess");
        double inference = total(metrics, "Inference");
        double post = total(metrics, "Postprocess");
        double share = inference / (pre + inference + post);
        assertTrue(
                share > 0.9,
                String.format(
                        "Inference %.0f, Preprocess %.0f, Postprocess %.0f: %.1f %% under Inference",
                        inference, pre, post, 100 * share));
    }

    @Test
    void generationIsTimedAsInference() throws Exception {
        Criteria<String, String> criteria =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optGroupId(TttModelZoo.GROUP_ID)
                        .optArtifactId(TttModelZoo.DEFAULT_MODEL)
                        .optArgument("maxNewTokens", 32)
                        .build();
        try (ZooModel<String, String> model = criteria.loadModel();
                Predictor<String, String> p = model.newPredictor()) {
            Metrics metrics = new Metrics();
            p.setMetrics(metrics);
            for (int i = 0; i < 3; i++) {
                assertFalse(p.predict("And God said").isEmpty());
            }
            assertMostlyInference(metrics);
        }
    }

    @Test
    void scoringIsTimedAsInference() throws Exception {
        Criteria<String, ScoreResult> criteria = TestModels.defaultScorer();
        try (ZooModel<String, ScoreResult> model = criteria.loadModel();
                Predictor<String, ScoreResult> p = model.newPredictor()) {
            Metrics metrics = new Metrics();
            p.setMetrics(metrics);
            for (int i = 0; i < 3; i++) {
                p.predict("In the beginning God created the heaven and the earth. ".repeat(8));
            }
            assertMostlyInference(metrics);
        }
    }
}
