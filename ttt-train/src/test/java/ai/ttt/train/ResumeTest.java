package ai.ttt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.ttt.block.TestModels;
import ai.ttt.block.TttConfig;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6, acceptance 2: a run stopped after a checkpoint and resumed (in a fresh model, as a new
 * process would) reproduces the loss trajectory of an uninterrupted run, bitwise; the schedules,
 * data order and optimizer moments all come back. A run that recomputes per mini-batch, resumed
 * from the same checkpoint, follows it too (to float rounding: the gradient is summed in another
 * order).
 */
class ResumeTest {

    static final int STEPS = 8;

    static TrainSettings settings() {
        return new TrainSettings(
                12, 2, STEPS, 3e-3, 1e-5, 0.25, 0.1, 0.9, 0.95, 1.0, 0.1, 0.25, true, 7, 4);
    }

    static TextDataset data() throws Exception {
        Random r = new Random(1);
        List<String> docs = new ArrayList<>();
        for (int d = 0; d < 6; d++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 20 + 7 * d; i++) {
                sb.append((char) ('a' + r.nextInt(26)));
            }
            docs.add(sb.toString());
        }
        return TextDataset.pack(
                docs, s -> s.chars().mapToLong(c -> 2 + (c - 'a')).toArray(), 1, 12, 2);
    }

    static List<String> curve(Path run) throws Exception {
        return Files.readAllLines(run.resolve("loss.csv")).stream()
                .map(l -> l.substring(0, l.lastIndexOf(','))) // drop wall-clock seconds
                .toList();
    }

    static MetaTrainer trainer(NDManager m, Path run) throws Exception {
        TttConfig c = TestModels.tiny(6, 4);
        TttLanguageModel model =
                TttLanguageModel.build(
                        c,
                        ModelInit.random(c, 3),
                        m,
                        Precision.FP32,
                        AttentionMode.PLAIN.kernel(m.getDevice()));
        return new MetaTrainer(model, settings(), data(), run, List.of());
    }

    @Test
    void resumedRunFollowsTheSameTrajectory(@TempDir Path tmp) throws Exception {
        Path straight = tmp.resolve("straight");
        try (NDManager m = NDManager.newBaseManager()) {
            MetaTrainer t = trainer(m, straight);
            assertTrue(!t.resume());
            t.train((log, total) -> {}, Integer.MAX_VALUE);
        }
        Path interrupted = tmp.resolve("interrupted");
        try (NDManager m = NDManager.newBaseManager()) {
            // Steps 1–6; the last checkpoint is at step 4, so steps 5 and 6 are redone.
            trainer(m, interrupted).train((log, total) -> {}, 6);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            MetaTrainer t = trainer(m, interrupted);
            assertTrue(t.resume());
            assertEquals(4, t.step());
            t.train((log, total) -> {}, Integer.MAX_VALUE);
        }
        List<String> a = curve(straight);
        List<String> b = curve(interrupted);
        System.out.println(String.join("\n", a));
        assertEquals(STEPS + 1, a.size());
        assertEquals(a, b, "loss trajectories");
        assertEquals(
                Files.readString(straight.resolve("checkpoint/trainer.json"))
                        .replaceAll("\"seconds\".*\n", ""),
                Files.readString(interrupted.resolve("checkpoint/trainer.json"))
                        .replaceAll("\"seconds\".*\n", ""));
        assertTrue(
                java.util.Arrays.equals(
                        Files.readAllBytes(straight.resolve("checkpoint/model.safetensors")),
                        Files.readAllBytes(interrupted.resolve("checkpoint/model.safetensors"))),
                "final weights are identical");
    }

    @Test
    void recomputingRunFollowsTheSameTrajectory(@TempDir Path tmp) throws Exception {
        Path straight = tmp.resolve("straight");
        try (NDManager m = NDManager.newBaseManager()) {
            trainer(m, straight).train((log, total) -> {}, Integer.MAX_VALUE);
        }
        Path switched = tmp.resolve("switched");
        try (NDManager m = NDManager.newBaseManager()) {
            trainer(m, switched).train((log, total) -> {}, 4);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            MetaTrainer t = trainer(m, switched).recompute(true);
            assertTrue(t.resume());
            t.train((log, total) -> {}, Integer.MAX_VALUE);
        }
        List<String> a = curve(straight);
        List<String> b = curve(switched);
        assertEquals(a.size(), b.size());
        for (int i = 1; i < a.size(); i++) {
            double want = Double.parseDouble(a.get(i).split(",")[2]);
            double got = Double.parseDouble(b.get(i).split(",")[2]);
            System.out.printf("step %d loss %.6f recomputed %.6f%n", i, want, got);
            assertEquals(want, got, 1e-5, "loss of step " + i);
        }
    }
}
