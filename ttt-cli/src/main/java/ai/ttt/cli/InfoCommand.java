package ai.ttt.cli;

import ai.djl.repository.zoo.ZooModel;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.TensorNames;
import ai.ttt.block.TttConfig;
import ai.ttt.block.safetensors.Checkpoint;
import ai.ttt.zoo.TttModelZoo;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code ttt info}: a model's config, parameter counts and fast-weight size. */
@Command(
        name = "info",
        mixinStandardHelpOptions = true,
        description = "Show a model's config, parameter counts and fast-weight size.")
public final class InfoCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        Path dir = directory();
        TttConfig c = ModelDirectory.readConfig(dir);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            ModelDirectory.validate(ckpt, c);
        }
        long total = 0;
        long fast = 0;
        long embedding = 0;
        for (Map.Entry<String, long[]> e : TensorNames.expected(c).entrySet()) {
            long n = 1;
            for (long d : e.getValue()) {
                n *= d;
            }
            total += n;
            if (e.getKey().equals(TensorNames.EMBED) || e.getKey().equals(TensorNames.LM_HEAD)) {
                embedding += n;
            }
        }
        Map<String, long[]> shapes = TensorNames.expected(c);
        for (int i = 0; i < c.numLayers(); i++) {
            TensorNames.Mlp prime = TensorNames.layer(c, i).prime();
            if (prime != null) {
                for (String name : List.of(prime.w1(), prime.w3(), prime.w2())) {
                    long[] shape = shapes.get(name);
                    fast += shape[0] * shape[1];
                }
            }
        }
        System.out.println("model            " + modelOptions.modelName());
        System.out.println("directory        " + dir);
        System.out.printf(
                "layers           %d (last %d with fast weights)%n",
                c.numLayers(), c.numPrimeLayers());
        System.out.printf(
                "hidden           d=%d, heads %d (KV %d) × %d, MLP %d, prime MLP %d%n",
                c.hiddenSize(),
                c.numHeads(),
                c.numKvHeads(),
                c.headDim(),
                c.intermediateSize(),
                c.primeIntermediateSize());
        System.out.printf(
                "vocabulary       %d (%s embeddings)%n",
                c.vocabSize(), c.tieWordEmbeddings() ? "tied" : "untied");
        System.out.printf(
                "attention        sliding window %d, RoPE θ=%s %s%s, %s norms%s%n",
                c.slidingWindow(),
                c.ropeTheta(),
                c.ropeLayout().jsonName(),
                c.ropeScaling() == null
                        ? ""
                        : " (" + c.ropeScaling().ropeType().jsonName() + " scaling)",
                c.normPlacement().jsonName(),
                c.qkNorm() ? ", QK-norm" : "");
        System.out.printf(
                "test-time train  mini-batch %d, inner lr %s, clip %s%n",
                c.miniBatchSize(), c.innerLr(), c.innerGradClip());
        System.out.printf(
                "tokens           BOS %s, EOS %s%n",
                c.bosTokenId().isPresent() ? c.bosTokenId().getAsInt() : "none", c.eosTokenIds());
        System.out.printf(
                "parameters       %,d total, %,d without embeddings%n", total, total - embedding);
        System.out.printf(
                "fast weights     %,d per sequence (%.1f MB in fp32)%n", fast, fast * 4 / 1e6);
        return 0;
    }

    /**
     * The directory to describe: {@code --model DIR} as given (no weights are loaded), or the
     * directory the zoo resolves a zoo id to (the default model's included), through Criteria.
     */
    private Path directory() throws IOException {
        if (modelOptions.model != null && !TttModelZoo.isZooId(modelOptions.model)) {
            return Paths.get(modelOptions.model);
        }
        try (ZooModel<String, String> zoo =
                ModelLoading.load(modelOptions, String.class, String.class, Map.of())) {
            return zoo.getModelPath();
        }
    }
}
