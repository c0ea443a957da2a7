package ai.ttt.block.programs;

import static ai.ttt.block.programs.ProgramEquivalenceTest.maxDiff;
import static ai.ttt.block.programs.ProgramEquivalenceTest.options;
import static ai.ttt.block.programs.ProgramEquivalenceTest.tokens;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.ttt.block.TestModels;
import ai.ttt.block.engine.SequenceState;
import ai.ttt.block.engine.SequenceState.Outputs;
import ai.ttt.block.engine.StateOptions.Execution;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TensorBinding;
import ai.ttt.block.nn.TttLanguageModel;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Parameters updated in place (as a training step does) reach the program after {@link
 * TttProgram#parametersChanged}: its binding derives arrays from them (the QK-norm weights per
 * head; on the GPU in fp16 the norm weights in fp16), which would otherwise keep the old values.
 */
class ParametersChangedTest {

    @Test
    void inPlaceUpdatesReachTheProgramAfterParametersChanged() throws Exception {
        long[][] t = tokens(1, 13, 61);
        try (NDManager m = NDManager.newBaseManager()) {
            TttLanguageModel model =
                    TestModels.random(
                            TestModels.tiny(12, 4), 7, 0.3, m, Precision.FP32, AttentionMode.FUSED);
            nll(model, Execution.PROGRAM, t, m); // binds the program
            for (Map.Entry<String, TensorBinding> e : model.bindings().entrySet()) {
                if (e.getKey().contains("norm")) {
                    // In place, the array object unchanged: what AdamW's step does.
                    e.getValue().parameter().getArray().muli(1.5);
                }
            }
            double[] plain = nll(model, Execution.PLAIN, t, m);
            double stale = maxDiff(plain, nll(model, Execution.PROGRAM, t, m), "stale");
            TttProgram.parametersChanged(model);
            double fresh = maxDiff(plain, nll(model, Execution.PROGRAM, t, m), "rebound");
            assertTrue(stale > 1e-3, "the test changes what the binding derived: " + stale);
            assertTrue(fresh < 1e-4, "after parametersChanged: " + fresh);
        }
    }

    private static double[] nll(TttLanguageModel model, Execution e, long[][] t, NDManager m)
            throws Exception {
        try (SequenceState s = SequenceState.create(model, 1, options(true, e));
                NDManager out = m.newSubManager()) {
            NDArray nll =
                    s.feed(ProgramEquivalenceTest.array(out, t), out, Outputs.TARGET_NLL)
                            .targetNll();
            return nll.toType(DataType.FLOAT64, false).toDoubleArray();
        }
    }
}
