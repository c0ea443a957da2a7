package ai.ttt.block.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.ttt.block.Fixtures;
import ai.ttt.block.TestModels;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;

/**
 * The GPU compute mode, run on the CPU: fp16 matrix products and attention with fp32 norms,
 * softmax, loss and fast weights reproduce the official TTT NLLs to fp16 accuracy, and the fast
 * weights stay fp32.
 */
class HalfPrecisionTest {

    @Test
    void fp16MatmulsWithFp32StateTrackTheReference() throws Exception {
        String fixture = "official/tiny-L4-S2-k24";
        try (NDManager m = NDManager.newBaseManager();
                SafetensorsFile ref =
                        SafetensorsFile.open(Fixtures.get(fixture + "/reference.safetensors"))) {
            TttLanguageModel model =
                    TestModels.official(fixture, m, Precision.FP16, AttentionMode.FUSED);
            long[] tokens = ref.toNDArray("tokens", m).toLongArray();
            float[] expected = ref.readFloats("token_nll_ttt");
            try (SequenceState s = SequenceState.create(model, 1, StateOptions.inference())) {
                FeedResult r = s.feed(new long[][] {tokens}, m);
                assertEquals(DataType.FLOAT32, r.targetNll().getDataType());
                for (var w : s.fastWeights().asList()) {
                    assertEquals(DataType.FLOAT32, w.getDataType(), "fast weights stay fp32");
                }
                float[] nll = r.targetNll().toFloatArray();
                double max = 0;
                double meanGot = 0;
                double meanWant = 0;
                for (int t = 0; t < nll.length; t++) {
                    max = Math.max(max, Math.abs(nll[t] - expected[t]));
                    meanGot += nll[t] / nll.length;
                    meanWant += expected[t] / nll.length;
                }
                System.out.printf(
                        "fp16 compute: max |Δnll| %.3e, mean %.5f vs %.5f%n",
                        max, meanGot, meanWant);
                assertTrue(max < 2e-2, "max |Δnll| " + max);
                assertTrue(Math.abs(meanGot - meanWant) < 2e-3, "mean NLL");
                assertTrue(max > 0, "the products really ran in fp16");
            }
        }
    }
}
