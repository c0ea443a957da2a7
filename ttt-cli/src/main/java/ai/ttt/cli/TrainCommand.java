package ai.ttt.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.TttConfig;
import ai.ttt.block.engine.StateOptions.Execution;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.train.KingJamesBible;
import ai.ttt.train.MetaTrainer;
import ai.ttt.train.ModelInit;
import ai.ttt.train.Plots;
import ai.ttt.train.TextDataset;
import ai.ttt.train.TrainPresets;
import ai.ttt.train.TrainSettings;
import ai.ttt.translators.TttTokenizer;
import ai.ttt.zoo.TttModelZoo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ttt train}: meta-learn a TTT-E2E model (the outer loop through the inner
 * test-time-training steps), from scratch or warm-started from a converted model.
 */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Train a TTT-E2E model: the outer loss through the inner test-time-training steps.",
            "--preset default trains the zoo's default model on the King James Bible"
                    + " (apt-get install bible-kjv), holding out Revelation.",
            "A run resumes from DIR/checkpoint when one exists."
        })
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--preset", description = "default (the zoo's Bible model).")
    String preset;

    @Option(
            names = "--bible-text",
            paramLabel = "FILE",
            description =
                    "default preset: the output of `bible -f \"Gen1:1-Rev22:21\"` (default: run bible).")
    Path bibleText;

    @Option(
            names = "--data",
            paramLabel = "PATH",
            arity = "1..*",
            description = "Plain-text files or folders (a file is a document).")
    List<Path> data;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description =
                    "A model config.json to train from scratch (with --preset default: in place"
                            + " of the preset's architecture; data and schedule stay the preset's).")
    Path config;

    @Option(
            names = "--init",
            paramLabel = "DIR",
            description =
                    "Warm start: a converted model directory (e.g. from ttt convert --from hf).")
    Path init;

    @Option(
            names = "--tokenizer",
            paramLabel = "FILE",
            description = "tokenizer.json (default: the --init model's, or the byte tokenizer).")
    Path tokenizer;

    @Option(
            names = "--output",
            paramLabel = "DIR",
            description =
                    "Run folder (checkpoint/, loss.csv, loss.png, model/). Default: runs/<preset or custom>.")
    Path output;

    @Option(names = "--steps", description = "Outer steps (default preset: 560).")
    Integer steps;

    @Option(
            names = "--prime-layers",
            description =
                    "default preset: S (0 trains the sliding-window baseline with plain next-token loss).")
    Integer primeLayers;

    @Option(names = "--batch-size", description = "Sequences per step.")
    Integer batchSize;

    @Option(
            names = "--seq-len",
            description = "Tokens per sequence (a multiple of the mini-batch size).")
    Integer seqLen;

    @Option(names = "--lr", description = "Peak outer learning rate.")
    Double lr;

    @Option(
            names = "--first-order",
            description = "Drop the second-order terms of the meta-gradient.")
    boolean firstOrder;

    @Option(
            names = "--recompute",
            description =
                    "Recompute each mini-batch in the backward pass (gradient checkpointing): memory"
                            + " then grows with --seq-len only by the stored fast weights and"
                            + " keys/values, for about one more forward per step. Same gradient.")
    boolean recompute;

    @Option(
            names = "--execution",
            description =
                    "program (the meta-objective as one TorchScript call: faster on CPU and GPU) or"
                            + " plain (the DJL-op reference engine), with or without --recompute."
                            + " Default: program.")
    String execution;

    @Option(
            names = "--device",
            defaultValue = "cpu",
            description =
                    "cpu or gpu: where the model trains, in fp32 either way (gpu needs a CUDA"
                            + " libtorch 2.7.1; see README). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(
            names = "--max-minutes",
            description = "Stop (with a checkpoint) after this long; run again to resume.")
    Double maxMinutes;

    @Option(
            names = "--stop-after",
            description =
                    "Stop (with a checkpoint) after this many steps of this call; run again to resume.")
    Integer stopAfter;

    /** Default steps of the default preset. */
    static final int DEFAULT_STEPS = 560;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        boolean isDefault = "default".equals(preset);
        if (preset != null && !isDefault) {
            throw new UserException("--preset " + preset + " is not known (known: default)");
        }
        if (!isDefault && data == null) {
            throw new UserException("give --preset default, or --data with --config or --init");
        }
        if (maxMinutes != null && !(maxMinutes > 0)) {
            throw new UserException("--max-minutes " + maxMinutes + " must be positive");
        }
        if (stopAfter != null && stopAfter < 1) {
            throw new UserException("--stop-after " + stopAfter + " must be at least 1");
        }
        Device where = DeviceOption.parse(device);
        Execution engine = execution == null ? Execution.PROGRAM : ExecutionOption.parse(execution);
        Path run = output != null ? output : Path.of("runs", isDefault ? "default" : "custom");
        Files.createDirectories(run);
        try (NDManager manager = NDManager.newBaseManager(where)) {
            TttConfig modelConfig;
            TttLanguageModel model;
            Path tokenizerFile;
            List<String> documents;
            if (isDefault) {
                if (config != null && primeLayers != null) {
                    throw new UserException("give --config or --prime-layers, not both");
                }
                modelConfig =
                        config != null
                                ? TttConfig.load(config)
                                : TrainPresets.defaultModel(primeLayers != null ? primeLayers : 2);
                tokenizerFile =
                        tokenizer != null
                                ? tokenizer
                                : TttModelZoo.defaultModelDirectory().resolve("tokenizer.json");
                documents = bibleDocuments();
                model = fresh(modelConfig, manager);
            } else {
                documents = TextDataset.readDocuments(data);
                if (init != null) {
                    modelConfig = ModelDirectory.readConfig(init);
                    model =
                            ModelDirectory.load(
                                    init,
                                    manager,
                                    Precision.FP32,
                                    AttentionMode.PLAIN.kernel(where));
                    tokenizerFile = tokenizer != null ? tokenizer : init.resolve("tokenizer.json");
                } else if (config != null) {
                    modelConfig = TttConfig.load(config);
                    model = fresh(modelConfig, manager);
                    tokenizerFile = tokenizer;
                } else {
                    throw new UserException(
                            "--data needs --config (from scratch) or --init (warm start)");
                }
                if (tokenizerFile == null || !Files.isRegularFile(tokenizerFile)) {
                    throw new NoSuchFileException(
                            String.valueOf(tokenizerFile),
                            null,
                            "tokenizer.json needed to tokenise the data (--tokenizer)");
                }
            }
            TrainSettings s = settings(modelConfig, isDefault);
            TextDataset dataset;
            try (TttTokenizer tok = TttTokenizer.load(tokenizerFile)) {
                tok.requireFits(modelConfig.vocabSize());
                long bos = modelConfig.bosTokenId().orElse(0);
                dataset =
                        TextDataset.pack(
                                documents,
                                tok::encode,
                                bos,
                                s.sequenceLength(),
                                Runtime.getRuntime().availableProcessors());
            }
            System.out.printf(
                    "training %s: %,d parameters, %,d tokens in %d sequences of %d, %d steps of %d"
                            + " sequences, on the %s engine%s%n",
                    run,
                    parameterCount(model),
                    dataset.tokens(),
                    dataset.size(),
                    s.sequenceLength(),
                    s.steps(),
                    s.batchSize(),
                    engine.name().toLowerCase(Locale.ROOT),
                    recompute ? ", recomputing per mini-batch" : "");
            MetaTrainer trainer =
                    new MetaTrainer(model, s, dataset, run, List.of(tokenizerFile))
                            .recompute(recompute)
                            .execution(engine);
            if (trainer.resume()) {
                System.out.println("resumed from step " + trainer.step());
            }
            long deadline =
                    maxMinutes == null
                            ? Long.MAX_VALUE
                            : System.nanoTime() + (long) (maxMinutes * 60e9);
            long tokensPerStep = (long) s.batchSize() * s.sequenceLength();
            try (Progress progress = Progress.tokens("training", tokensPerStep * s.steps())) {
                progress.resumeFrom(tokensPerStep * trainer.step());
                int ran = 0;
                while (trainer.step() < s.steps()
                        && System.nanoTime() < deadline
                        && (stopAfter == null || ran++ < stopAfter)) {
                    trainer.train(
                            (log, total) -> {
                                progress.stepTo(log.tokens());
                                progress.message(
                                        String.format(Locale.ROOT, "loss %.4f", log.loss()));
                            },
                            1);
                }
            }
            Drawing.orWarn(
                    "ttt train",
                    "the losses are in " + run.resolve("loss.csv"),
                    () -> Plots.lossCurve(run.resolve("loss.csv"), run.resolve("loss.png")));
            if (trainer.step() < s.steps()) {
                trainer.checkpoint();
                System.out.printf(
                        "stopped at step %d of %d; run the same command to resume%n",
                        trainer.step(), s.steps());
                return 0;
            }
            Path modelDir = run.resolve("model");
            if (Files.exists(modelDir)) {
                throw new UserException(
                        modelDir + " exists; remove it to write the final model again");
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("trained_steps", Integer.toString(s.steps()));
            meta.put("trained_tokens", Long.toString(tokensPerStep * s.steps()));
            trainer.saveModel(modelDir, meta);
            System.out.println("model written to " + modelDir);
        }
        return 0;
    }

    /** A model initialised for training from scratch: fp32, plain attention (second order). */
    private static TttLanguageModel fresh(TttConfig c, NDManager manager) throws IOException {
        return TttLanguageModel.build(
                c,
                ModelInit.random(c, 42),
                manager,
                Precision.FP32,
                AttentionMode.PLAIN.kernel(manager.getDevice()));
    }

    private TrainSettings settings(TttConfig c, boolean isDefault) {
        TrainSettings base = TrainPresets.defaultSettings(steps != null ? steps : DEFAULT_STEPS);
        return new TrainSettings(
                seqLen != null ? seqLen : isDefault ? base.sequenceLength() : 8 * c.miniBatchSize(),
                batchSize != null ? batchSize : base.batchSize(),
                base.steps(),
                lr != null ? lr : base.peakLr(),
                base.floorLr(),
                base.warmupFraction(),
                base.weightDecay(),
                base.beta1(),
                base.beta2(),
                base.gradClip(),
                base.innerLrStart(),
                base.innerWarmupFraction(),
                !firstOrder,
                base.seed(),
                base.checkpointEvery());
    }

    private List<String> bibleDocuments() throws IOException {
        String text =
                bibleText != null ? KingJamesBible.read(bibleText) : KingJamesBible.runBible();
        Map<String, String> books = KingJamesBible.books(text);
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : books.entrySet()) {
            if (!e.getKey().equals(KingJamesBible.HELD_OUT)) {
                out.add(e.getValue());
            }
        }
        if (!books.containsKey(KingJamesBible.HELD_OUT)) {
            throw new UserException(
                    "the Bible text has no " + KingJamesBible.HELD_OUT + " (Revelation)");
        }
        Files.writeString(
                (output != null ? output : Path.of("runs", "default")).resolve("revelation.txt"),
                books.get(KingJamesBible.HELD_OUT),
                StandardCharsets.UTF_8);
        return out;
    }

    private static long parameterCount(TttLanguageModel model) {
        long n = 0;
        for (ai.djl.nn.Parameter p : model.parameterList()) {
            n += p.getArray().size();
        }
        return n;
    }
}
