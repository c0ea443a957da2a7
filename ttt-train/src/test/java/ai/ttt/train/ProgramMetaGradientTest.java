package ai.ttt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.ttt.block.TestModels;
import ai.ttt.block.engine.StateOptions.Execution;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TorchOps;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.programs.ProgramEquivalenceTest;
import ai.ttt.block.programs.ProgramEquivalenceTest.Case;
import ai.ttt.block.programs.TttProgram;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The training program ({@link TttProgram#metaLoss}, through {@link MetaObjective} with {@link
 * Execution#PROGRAM}, through the whole graph and recomputed per mini-batch) computes the plain
 * engine's outer loss and meta-gradient, second order and first order, on the architectures of the
 * program's equivalence test (sandwich or pre-norm, QK-norm, biases, GQA, both RoPE layouts, untied
 * head, no BOS or clip, S = 0 and S = L, a window longer than the sequence), over five
 * mini-batches, so that windows reach back across mini-batches:
 *
 * <ul>
 *   <li>fp64: the loss and every parameter's gradient agree to 1e-9 relative (to the largest value
 *       of each, at least 1): the same mathematics;
 *   <li>fp32: against the fp64 plain engine, the program's mean error over the loss and the
 *       gradients is at most twice the plain fp32 engine's own (plus 1e-7).
 * </ul>
 */
class ProgramMetaGradientTest {

    /** Mini-batches per training sequence. */
    private static final int MINI_BATCHES = 5;

    /** The inner learning-rate scale (the trainer's warm-up), not 1, so that it is exercised. */
    private static final double INNER_LR_SCALE = 0.5;

    static Stream<Case> cases() {
        return ProgramEquivalenceTest.cases();
    }

    /**
     * The program's objective through its whole graph ({@code meta_loss}) and recomputed per
     * mini-batch ({@code meta_loss_recomputed}: a forward sweep keeping keys, values and fast
     * weights, a reverse sweep of vector–Jacobian products), each against the plain engine's
     * whole-graph meta-gradient, computed once per order for both.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void programMetaGradientEqualsThePlainEngines(Case c) throws Exception {
        for (boolean secondOrder : new boolean[] {true, false}) {
            Map<String, double[]> truth =
                    run(c, Precision.FP64, Execution.PLAIN, secondOrder, false);
            Map<String, double[]> plain32 =
                    run(c, Precision.FP32, Execution.PLAIN, secondOrder, false);
            for (boolean recompute : new boolean[] {false, true}) {
                String at =
                        c
                                + (secondOrder ? " second order" : " first order")
                                + (recompute ? ", recomputed" : "");
                Map<String, double[]> program64 =
                        run(c, Precision.FP64, Execution.PROGRAM, secondOrder, recompute);
                Map<String, double[]> program32 =
                        run(c, Precision.FP32, Execution.PROGRAM, secondOrder, recompute);
                compare(at, truth, plain32, program64, program32);
            }
        }
    }

    /** fp64 within 1e-9 of the truth; fp32 mean error within twice the plain engine's. */
    private static void compare(
            String at,
            Map<String, double[]> truth,
            Map<String, double[]> plain32,
            Map<String, double[]> program64,
            Map<String, double[]> program32) {
        assertEquals(truth.keySet(), program64.keySet(), at + ": the same parameters");
        double worst64 = 0;
        double sumPlain = 0;
        double sumProgram = 0;
        for (String key : truth.keySet()) {
            double[] x = truth.get(key);
            double e64 = ProgramEquivalenceTest.relativeDiff(x, program64.get(key), key);
            assertTrue(e64 <= 1e-9, at + " fp64 " + key + ": relative |Δ| " + e64);
            worst64 = Math.max(worst64, e64);
            sumPlain += ProgramEquivalenceTest.relativeDiff(x, plain32.get(key), key);
            sumProgram += ProgramEquivalenceTest.relativeDiff(x, program32.get(key), key);
        }
        int count = truth.size();
        assertTrue(
                sumProgram <= 2 * sumPlain + 1e-7 * count,
                at
                        + " fp32: the program's mean error "
                        + sumProgram / count
                        + " against the plain engine's "
                        + sumPlain / count);
        System.out.printf(
                "%s: loss %.6f, %d gradients; fp64 program vs plain ≤ %.1e;"
                        + " mean fp32 error: plain %.2e, program %.2e%n",
                at, truth.get("loss")[0], count - 1, worst64, sumPlain / count, sumProgram / count);
    }

    @Test
    void theProgramRejectsMixedPrecisionAndPartialMiniBatches() throws Exception {
        Case c = ProgramEquivalenceTest.cases().findFirst().orElseThrow();
        try (NDManager m = NDManager.newBaseManager()) {
            TttLanguageModel half =
                    TestModels.random(c.config(), 7, 0.3, m, Precision.FP16, AttentionMode.PLAIN);
            NDArray tokens = tokens(c, m);
            IllegalArgumentException mixed =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> TttProgram.metaLoss(half, tokens, true, 1.0));
            assertTrue(mixed.getMessage().contains("one type"), mixed.getMessage());
            TttLanguageModel model =
                    TestModels.random(c.config(), 7, 0.3, m, Precision.FP32, AttentionMode.PLAIN);
            NDArray partial =
                    TorchOps.owned(
                            ProgramEquivalenceTest.array(
                                    m, ProgramEquivalenceTest.tokens(2, 7, 3)));
            IllegalArgumentException shape =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> TttProgram.metaLoss(model, partial, true, 1.0));
            assertTrue(shape.getMessage().contains("T = 6"), shape.getMessage());
        }
    }

    /** The loss and each parameter's gradient, by parameter name. */
    private static Map<String, double[]> run(
            Case c, Precision p, Execution e, boolean secondOrder, boolean recompute)
            throws Exception {
        Map<String, double[]> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager()) {
            TttLanguageModel model =
                    TestModels.random(c.config(), 7, 0.3, m, p, AttentionMode.PLAIN);
            MetaObjective.setTrainable(model, true);
            MetaObjective.Result r =
                    MetaObjective.lossAndGradients(
                            model, tokens(c, m), secondOrder, INNER_LR_SCALE, e, recompute, m);
            out.put("loss", r.loss().toType(DataType.FLOAT64, false).toDoubleArray());
            int i = 0;
            for (Map.Entry<Parameter, NDArray> g : r.gradients().entrySet()) {
                // Parameter names repeat between blocks: keyed by position too.
                out.put(
                        "gradient " + i++ + " " + g.getKey().getName(),
                        g.getValue().toType(DataType.FLOAT64, false).toDoubleArray());
            }
        }
        return out;
    }

    /** Two sequences of five mini-batches and their last targets, BOS first and among them. */
    private static NDArray tokens(Case c, NDManager m) {
        int t = MINI_BATCHES * c.config().miniBatchSize() + 1;
        // Engine-owned: autograd keeps the ids for the embedding's backward.
        return TorchOps.owned(
                ProgramEquivalenceTest.array(m, ProgramEquivalenceTest.tokens(2, t, 21)));
    }
}
