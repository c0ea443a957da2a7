import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.TttConfig;
import ai.ttt.block.engine.StateOptions.Execution;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TorchOps;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.cli.bench.JniCalls;
import ai.ttt.train.MetaObjective;
import ai.ttt.train.ModelInit;
import ai.ttt.train.TrainPresets;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;

/**
 * How much of a meta-training step on the CPU is DJL's per-op host cost: the question whether the
 * trainer should run on the engine's TorchScript program (docs/ARCHITECTURE.md, "Training stays on
 * the plain engine").
 *
 * <p>Times {@link MetaObjective#lossAndGradients} on the default model's batch (B sequences of 2048
 * bytes, second order), counts DJL's JNI calls per step when the counting agent is installed, and
 * times one cheap DJL op (an add of four floats and its close: two JNI calls) to price a call:
 *
 * <pre>
 * mvn -B -q -o install -DskipTests
 * printf 'Premain-Class: ai.ttt.cli.bench.JniCallAgent\nCan-Set-Native-Method-Prefix: true\n' > /tmp/m
 * jar cfm /tmp/agent.jar /tmp/m
 * java -javaagent:/tmp/agent.jar -Dai.djl.offline=true -cp ttt-cli/target/ttt.jar \
 *      tools/train/TrainStepProbe.java [batch=4] [steps=3] [width=256] [plain|program|both]
 * </pre>
 *
 * A width other than 256 keeps the default model's structure (6 blocks, 2 with a prime MLP, window
 * 256, mini-batch 128, 4 heads) at that width: a small one leaves the steps' fixed costs.
 */
public final class TrainStepProbe {

    public static void main(String[] args) throws Exception {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int width = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        // plain, program, or both (alternated step by step, the same batch and weights)
        String which = args.length > 3 ? args[3] : "plain";
        List<Execution> executions =
                which.equals("both")
                        ? List.of(Execution.PLAIN, Execution.PROGRAM)
                        : List.of(Execution.valueOf(which.toUpperCase(java.util.Locale.ROOT)));
        TttConfig config =
                width == 256
                        ? TrainPresets.defaultModel(2)
                        : TttConfig.officialLayout()
                                .vocabSize(257)
                                .hiddenSize(width)
                                .intermediateSize(2 * width)
                                .numLayers(6)
                                .numHeads(4)
                                .headDim(width / 4)
                                .slidingWindow(256)
                                .miniBatchSize(128)
                                .numPrimeLayers(2)
                                .bosTokenId(OptionalInt.of(TrainPresets.BYTE_EOS))
                                .eosTokenIds(List.of(TrainPresets.BYTE_EOS))
                                .build();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            double callMicros = microsPerCall(manager);
            TttLanguageModel model =
                    TttLanguageModel.build(
                            config,
                            ModelInit.random(config, 42),
                            manager,
                            Precision.FP32,
                            AttentionMode.PLAIN.kernel(Device.cpu()));
            MetaObjective.setTrainable(model, true);
            Random random = new Random(1);
            long[] tokens = new long[batch * 2049];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = random.nextInt(256);
            }
            System.out.printf(
                    "width %d, batch %d x 2048 bytes, second order; a cheap DJL op (2 JNI calls)"
                            + " costs %.2f us per call%n",
                    width, batch, callMicros);
            for (int s = 0; s < steps; s++) {
                for (Execution e : executions) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray t = TorchOps.owned(step.create(tokens, new Shape(batch, 2049)));
                    Map<String, Long> before = JniCalls.snapshot();
                    long start = System.nanoTime();
                    MetaObjective.Result r =
                            MetaObjective.lossAndGradients(model, t, true, 1.0, e, false, step);
                    float loss = r.loss().getFloat();
                    double seconds = (System.nanoTime() - start) / 1e9;
                    long calls =
                            JniCalls.difference(before, JniCalls.snapshot()).values().stream()
                                    .mapToLong(Long::longValue)
                                    .sum();
                    System.out.printf(
                            "step %d, %s: %.3f s, loss %.4f, %d JNI calls ≈ %.3f s of host calls"
                                    + " (%.1f %%)%n",
                            s,
                            e.name().toLowerCase(java.util.Locale.ROOT),
                            seconds,
                            loss,
                            calls,
                            calls * callMicros / 1e6,
                            100 * calls * callMicros / 1e6 / seconds);
                }
                }
            }
        }
    }

    /** Median cost of one JNI call of a cheap op (add of four floats, then close), in µs. */
    private static double microsPerCall(NDManager manager) {
        NDArray x = manager.ones(new Shape(4));
        NDArray y = manager.ones(new Shape(4));
        double[] rounds = new double[7];
        for (int r = 0; r < rounds.length; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < 20_000; i++) {
                x.add(y).close();
            }
            rounds[r] = (System.nanoTime() - start) / 1e3 / 40_000;
        }
        java.util.Arrays.sort(rounds);
        return rounds[rounds.length / 2];
    }
}
