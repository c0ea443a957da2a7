package ai.ttt.block.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.ttt.block.TestModels;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The training entry points used by recomputation ({@code trainMiniBatch}, {@code trainingCarry},
 * {@code resumeTraining}): a mini-batch run from a carry gives what the whole feed gives, and bad
 * use is refused with a message (the gradients are checked in ttt-train).
 */
class TrainingStateTest {

    /** The mini-batch size b of the test model. */
    private static final int B = 4;

    /** A tiny random model (window 10, mini-batch b) with plain attention. */
    private static TttLanguageModel model(NDManager m, Precision precision) throws Exception {
        return TestModels.random(TestModels.tiny(10, B), 2, 0.4, m, precision, AttentionMode.PLAIN);
    }

    @Test
    void resumedMiniBatchEqualsTheSameMiniBatchOfAWholeFeed() throws Exception {
        int b = B;
        try (NDManager m = NDManager.newBaseManager()) {
            TttLanguageModel model = model(m, Precision.FP64);
            long[] ids = new long[3 * b + 1];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = 2 + (i * 7) % 29;
            }
            NDArray tokens = m.create(ids, new Shape(1, ids.length));
            boolean grad = JniUtils.isGradMode();
            try (SequenceState whole = SequenceState.create(model, 1, StateOptions.training(true));
                    SequenceState first =
                            SequenceState.create(model, 1, StateOptions.training(true));
                    SequenceState second =
                            SequenceState.create(model, 1, StateOptions.training(true))) {
                double[] expected =
                        whole.feed(tokens, m, false)
                                .targetNll()
                                .get(new NDIndex(":, {}:{}", b, 2 * b))
                                .toDoubleArray();
                first.trainMiniBatch(slice(tokens, 0, b), slice(tokens, 1, b + 1));
                SequenceState.TrainingCarry carry = first.trainingCarry();
                List<NDArray> fast = new ArrayList<>();
                for (NDArray w : carry.fastWeights()) {
                    NDArray leaf = w.stopGradient();
                    leaf.setRequiresGradient(true);
                    fast.add(leaf);
                }
                second.resumeTraining(
                        b, new SequenceState.TrainingCarry(fast, carry.keys(), carry.values()));
                assertEquals(b, second.position());
                double[] got =
                        second.trainMiniBatch(
                                        slice(tokens, b, 2 * b), slice(tokens, b + 1, 2 * b + 1))
                                .toDoubleArray();
                for (int i = 0; i < b; i++) {
                    assertEquals(expected[i], got[i], 1e-12, "target " + i);
                }
            } finally {
                JniUtils.setGradMode(grad);
            }
        }
    }

    @Test
    void badUseIsRefusedWithAMessage() throws Exception {
        int b = B;
        try (NDManager m = NDManager.newBaseManager()) {
            TttLanguageModel model = model(m, Precision.FP32);
            NDArray four = m.zeros(new Shape(1, b), ai.djl.ndarray.types.DataType.INT64);
            NDArray three = m.zeros(new Shape(1, 3), ai.djl.ndarray.types.DataType.INT64);
            try (SequenceState inference =
                    SequenceState.create(model, 1, StateOptions.inference())) {
                IllegalStateException e =
                        assertThrows(
                                IllegalStateException.class,
                                () -> inference.trainMiniBatch(four, four));
                assertTrue(e.getMessage().contains("training"), e.getMessage());
            }
            try (SequenceState training =
                    SequenceState.create(model, 1, StateOptions.training(false))) {
                IllegalArgumentException e =
                        assertThrows(
                                IllegalArgumentException.class,
                                () -> training.trainMiniBatch(three, three));
                assertTrue(e.getMessage().contains("(1, 4)"), e.getMessage());
                SequenceState.TrainingCarry empty = training.trainingCarry();
                IllegalStateException boundary =
                        assertThrows(
                                IllegalStateException.class,
                                () -> training.resumeTraining(3, empty));
                assertTrue(boundary.getMessage().contains("boundary"), boundary.getMessage());
                IllegalArgumentException slots =
                        assertThrows(
                                IllegalArgumentException.class,
                                () -> training.resumeTraining(b, empty));
                assertTrue(slots.getMessage().contains("holds 4 slots"), slots.getMessage());
            }
        }
    }

    private static NDArray slice(NDArray tokens, int from, int to) {
        return tokens.get(new NDIndex(":, {}:{}", from, to));
    }
}
