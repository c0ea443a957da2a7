package ai.ttt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.ttt.block.Fixtures;
import ai.ttt.block.TestModels;
import ai.ttt.block.TttConfig;
import ai.ttt.block.engine.StateOptions.Execution;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.SafetensorsFile;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 6, acceptance 1 (first half): for the official fixture tiny-L4-S1, the gradient of the mean
 * pre-update loss with respect to every weight, through the inner steps, matches the official JAX
 * trainer's ({@code official-meta-grads.safetensors}) to 1e-3 relative per tensor (max |Δ| over max
 * |reference|), both differentiated through the whole sequence's graph and recomputed one
 * mini-batch at a time ({@link RecomputedMetaGradient}), on the plain engine and on the model's
 * program.
 */
class OfficialMetaGradientTest {

    @ParameterizedTest(name = "recomputed per mini-batch {0}, {1}")
    @CsvSource({"false, PLAIN", "true, PLAIN", "false, PROGRAM", "true, PROGRAM"})
    void matchesOfficialMetaGradients(boolean recompute, Execution engine) throws Exception {
        String fixture = "official/tiny-L4-S1";
        try (NDManager m = NDManager.newBaseManager();
                SafetensorsFile expected =
                        SafetensorsFile.open(
                                Fixtures.get(fixture + "/official-meta-grads.safetensors"));
                SafetensorsFile reference =
                        SafetensorsFile.open(Fixtures.get(fixture + "/reference.safetensors"))) {
            TttLanguageModel model =
                    TestModels.official(fixture, m, Precision.FP32, AttentionMode.PLAIN);
            TttConfig c = model.config();
            MetaObjective.setTrainable(model, true);
            NDArray tokens = reference.toNDArray("tokens", m);
            tokens = tokens.reshape(1, tokens.getShape().get(0));
            MetaObjective.Result r =
                    MetaObjective.lossAndGradients(model, tokens, true, 1.0, engine, recompute, m);
            float meanTtt = reference.toNDArray("chunk_loss_ttt", m).mean().getFloat();
            assertEquals(meanTtt, r.loss().getFloat(), 1e-5, "the objective itself");

            // Reassemble the official stacked tensors from our (per-layer, fused) gradients.
            Map<String, NDArray> stacked = new HashMap<>();
            for (String name : model.bindings().keySet()) {
                TestModels.OfficialName o = TestModels.officialName(name, c);
                NDArray g = r.gradientOf(model, name);
                if (o.index() < 0) {
                    stacked.put(o.key(), g);
                } else {
                    NDArray target =
                            stacked.computeIfAbsent(
                                    o.key(),
                                    k -> {
                                        try {
                                            return m.zeros(expected.info(k).djlShape());
                                        } catch (java.io.IOException e) {
                                            throw new java.io.UncheckedIOException(e);
                                        }
                                    });
                    target.set(new NDIndex("{}", o.index()), g);
                }
            }
            assertEquals(expected.names().size(), stacked.size(), "every official tensor covered");
            for (String name : expected.names()) {
                NDArray want = expected.toNDArray(name, m);
                NDArray got = stacked.get(name);
                float maxRef = want.abs().max().getFloat();
                float rel = got.sub(want).abs().max().getFloat() / maxRef;
                System.out.printf("%-70s max|g| %.3e  rel %.2e%n", name, maxRef, rel);
                assertTrue(rel <= 1e-3, name + " relative error " + rel);
            }
        }
    }
}
