package ai.ttt.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.ttt.block.FileTrees;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.TttConfig;
import ai.ttt.block.engine.StateOptions.Execution;
import ai.ttt.block.nn.TensorBinding;
import ai.ttt.block.nn.TorchOps;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.programs.TttProgram;
import ai.ttt.block.safetensors.Checkpoint;
import ai.ttt.block.safetensors.DType;
import ai.ttt.block.safetensors.SafetensorsFile;
import ai.ttt.block.safetensors.SafetensorsWriter;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outer loop: batches of packed sequences, the meta-gradient through the inner steps ({@link
 * MetaObjective}), global-norm clipping, AdamW on a warm-up + cosine schedule, the inner-rate
 * warm-up, checkpoints that resume exactly, and a loss curve (CSV).
 *
 * <p>A run lives in one output folder: {@code checkpoint/} (a model directory plus {@code
 * optimizer.safetensors} and {@code trainer.json}), {@code loss.csv}, and at the end {@code
 * model/}. The data order is a function of the seed and the epoch, and everything else is in the
 * checkpoint, so a run stopped and resumed follows the same trajectory as one that never stopped.
 */
public final class MetaTrainer {

    /** One step's numbers. */
    public record StepLog(
            int step,
            long tokens,
            double loss,
            double learningRate,
            double innerScale,
            double gradNorm,
            double seconds) {}

    /** Receives progress. */
    @FunctionalInterface
    public interface Listener {
        /**
         * Called after every step.
         *
         * @param log the step's numbers
         * @param totalSteps the run's total steps
         */
        void onStep(StepLog log, int totalSteps);
    }

    private final TttLanguageModel model;
    private final TrainSettings settings;
    private final TextDataset data;
    private final Path outDir;
    private final List<Path> extraFiles;
    private final List<Parameter> params;
    private final AdamW optimizer;
    private int step;
    private long tokensSeen;
    private double elapsed;
    private boolean recompute;
    private Execution execution = Execution.PROGRAM;

    /**
     * Prepares a run (fresh, or resumed with {@link #resume()}).
     *
     * @param model the model: fp32, plain attention; its parameters are made trainable
     * @param settings hyperparameters
     * @param data packed training sequences
     * @param outDir the run's folder
     * @param extraFiles files copied into saved model directories (the tokenizer)
     */
    public MetaTrainer(
            TttLanguageModel model,
            TrainSettings settings,
            TextDataset data,
            Path outDir,
            List<Path> extraFiles) {
        TttConfig c = model.config();
        if (settings.sequenceLength() % c.miniBatchSize() != 0) {
            throw new IllegalArgumentException(
                    "sequence length "
                            + settings.sequenceLength()
                            + " is not a multiple of the mini-batch size "
                            + c.miniBatchSize());
        }
        if (data.size() < 1) {
            throw new IllegalArgumentException(
                    "the training data holds fewer than "
                            + (settings.sequenceLength() + 1)
                            + " tokens");
        }
        this.model = model;
        this.settings = settings;
        this.data = data;
        this.outDir = outDir;
        this.extraFiles = extraFiles;
        this.params = model.parameterList();
        MetaObjective.setTrainable(model, true);
        List<NDArray> arrays = arrays();
        this.optimizer =
                new AdamW(
                        arrays,
                        model.manager(),
                        settings.beta1(),
                        settings.beta2(),
                        1e-8,
                        settings.weightDecay());
    }

    /**
     * Chooses how the meta-gradient is computed: through the whole sequence's graph (the default,
     * fastest) or recomputed one mini-batch at a time ({@link RecomputedMetaGradient}: memory grows
     * with the sequence only by the stored fast weights and keys/values, for about one more forward
     * per step). The gradient is the same, so a run may switch when it resumes.
     *
     * @param perMiniBatch true to recompute per mini-batch
     * @return this trainer
     */
    public MetaTrainer recompute(boolean perMiniBatch) {
        this.recompute = perMiniBatch;
        return this;
    }

    /**
     * Chooses the engine that computes the outer loss and its gradient: the model's program, one
     * TorchScript call per step (the default: 4.6–4.8 against 6.5–7.0 s per step of the default
     * model on a 2-core CPU), or the plain DJL-op engine, the reference. Either recomputes per
     * mini-batch when asked ({@link #recompute}). The gradient is the same to rounding ({@code
     * ProgramMetaGradientTest}).
     *
     * @param e the engine
     * @return this trainer
     */
    public MetaTrainer execution(Execution e) {
        this.execution = e;
        return this;
    }

    /**
     * Loads the run's checkpoint, if there is one, into the model and optimizer.
     *
     * @return whether a checkpoint was found
     * @throws IOException if it cannot be read or belongs to another run
     */
    public boolean resume() throws IOException {
        Path ckpt = outDir.resolve("checkpoint");
        if (!Files.isDirectory(ckpt)) {
            return false;
        }
        JsonObject meta =
                new Gson()
                        .fromJson(Files.readString(ckpt.resolve("trainer.json")), JsonObject.class);
        if (!settingsJson().equals(meta.getAsJsonObject("settings"))) {
            throw new IOException(
                    ckpt
                            + ": the checkpoint was written with other settings: "
                            + meta.get("settings"));
        }
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager scratch = model.manager().newSubManager();
                Checkpoint weights = Checkpoint.open(ckpt);
                SafetensorsFile opt = SafetensorsFile.open(ckpt.resolve("optimizer.safetensors"))) {
            ModelDirectory.validate(weights, model.config());
            for (Map.Entry<String, TensorBinding> e : model.bindings().entrySet()) {
                TensorBinding b = e.getValue();
                b.view(b.parameter().getArray())
                        .set(new NDIndex("..."), weights.toNDArray(e.getKey(), scratch));
            }
            List<NDArray> first = new ArrayList<>();
            List<NDArray> second = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                first.add(opt.toNDArray("m." + i, scratch));
                second.add(opt.toNDArray("v." + i, scratch));
            }
            optimizer.restore(meta.get("step").getAsInt(), first, second);
            TttProgram.parametersChanged(model);
        } finally {
            JniUtils.setGradMode(grad);
        }
        step = meta.get("step").getAsInt();
        tokensSeen = meta.get("tokens").getAsLong();
        elapsed = meta.get("seconds").getAsDouble();
        truncateCsv(step);
        return true;
    }

    /**
     * Trains until the configured number of steps (or {@code stopAfter} steps of this call).
     *
     * @param listener progress receiver
     * @param stopAfter stop after this many steps in this call (for tests and time budgets)
     * @return the last step's log, or {@code null} if none ran
     * @throws IOException if a checkpoint or the curve cannot be written
     */
    public StepLog train(Listener listener, int stopAfter) throws IOException {
        Files.createDirectories(outDir);
        Schedule schedule = settings.schedule();
        StepLog last = null;
        int ran = 0;
        while (step < settings.steps() && ran < stopAfter) {
            long start = System.nanoTime();
            double lr = schedule.outer(step);
            double inner = schedule.inner(step);
            double loss;
            double norm;
            try (NDManager scratch = model.manager().newSubManager()) {
                NDArray tokens = batch(step, scratch);
                MetaObjective.Result r =
                        MetaObjective.lossAndGradients(
                                model,
                                tokens,
                                settings.secondOrder(),
                                inner,
                                execution,
                                recompute,
                                scratch);
                loss = r.loss().getFloat();
                List<NDArray> grads = new ArrayList<>();
                for (Parameter p : params) {
                    grads.add(r.gradients().get(p));
                }
                norm = clipToGlobalNorm(grads, settings.gradClip(), scratch);
                optimizer.step(arrays(), grads, lr);
            }
            TttProgram.parametersChanged(model);
            step++;
            ran++;
            tokensSeen += (long) settings.batchSize() * settings.sequenceLength();
            elapsed += (System.nanoTime() - start) / 1e9;
            last = new StepLog(step, tokensSeen, loss, lr, inner, norm, elapsed);
            appendCsv(last);
            listener.onStep(last, settings.steps());
            if (step % settings.checkpointEvery() == 0 || step == settings.steps()) {
                checkpoint();
            }
        }
        return last;
    }

    /** The batch of a step: consecutive entries of the epoch's permutation. */
    private NDArray batch(int s, NDManager manager) {
        int perEpoch = data.size();
        long[] flat = new long[settings.batchSize() * (settings.sequenceLength() + 1)];
        for (int b = 0; b < settings.batchSize(); b++) {
            long index = (long) s * settings.batchSize() + b;
            int epoch = (int) (index / perEpoch);
            int[] order = data.order(settings.seed(), epoch);
            long[] seq = data.sequence(order[(int) (index % perEpoch)]);
            System.arraycopy(seq, 0, flat, b * seq.length, seq.length);
        }
        return TorchOps.owned(
                manager.create(
                        flat, new Shape(settings.batchSize(), settings.sequenceLength() + 1)));
    }

    /**
     * Scales the gradients in place so that their global norm is at most {@code maxNorm}: {@code g
     * ← g · min(1, maxNorm / ‖g‖)}, ‖g‖ over all tensors together.
     *
     * @param grads the gradients (modified in place)
     * @param maxNorm the largest norm kept
     * @param manager owns the temporaries
     * @return the norm before clipping
     */
    static double clipToGlobalNorm(List<NDArray> grads, double maxNorm, NDManager manager) {
        // Summed on the device and read once (one host sync per step, not one per tensor).
        NDArray sq = null;
        for (NDArray g : grads) {
            NDArray s = g.square().sum();
            sq = sq == null ? s : sq.add(s);
        }
        double norm = Math.sqrt(sq.toType(DataType.FLOAT64, false).getDouble());
        if (norm > maxNorm && norm > 0) {
            NDArray factor = TorchOps.constant(manager, maxNorm / norm, grads.get(0).getDataType());
            for (NDArray g : grads) {
                g.muli(factor);
            }
        }
        return norm;
    }

    private List<NDArray> arrays() {
        List<NDArray> out = new ArrayList<>();
        for (Parameter p : params) {
            out.add(p.getArray());
        }
        return out;
    }

    /**
     * Writes the model (as a model directory) to a folder, atomically.
     *
     * @param dir the target (must not exist or be empty)
     * @param metadata safetensors metadata
     * @throws IOException if writing fails
     */
    public void saveModel(Path dir, Map<String, String> metadata) throws IOException {
        // The views are new handles in the parameters' manager: close them after writing.
        try (NDScope views = new NDScope()) {
            Map<String, ModelDirectory.Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, TensorBinding> e : model.bindings().entrySet()) {
                TensorBinding b = e.getValue();
                NDArray view = b.view(b.parameter().getArray());
                long[] shape = view.getShape().getShape();
                tensors.put(e.getKey(), new ModelDirectory.Tensor(shape, () -> flatFloats(view)));
            }
            ModelDirectory.write(dir, model.config(), tensors, DType.F32, metadata, extraFiles);
        }
    }

    private static float[] flatFloats(NDArray view) {
        try (NDArray flat = view.reshape(-1)) {
            return flat.toFloatArray();
        }
    }

    /**
     * Writes a checkpoint now (also done every {@code checkpointEvery} steps and at the end), so a
     * run stopped early resumes from here.
     *
     * @throws IOException if writing fails
     */
    public void checkpoint() throws IOException {
        Path tmp = outDir.resolve("checkpoint.tmp");
        FileTrees.deleteRecursively(tmp);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("step", Integer.toString(step));
        saveModel(tmp, meta);
        SafetensorsWriter w = new SafetensorsWriter();
        NDList m = optimizer.firstMoments();
        NDList v = optimizer.secondMoments();
        for (int i = 0; i < m.size(); i++) {
            w.add("m." + i, m.get(i));
            w.add("v." + i, v.get(i));
        }
        w.write(tmp.resolve("optimizer.safetensors"));
        JsonObject o = new JsonObject();
        o.addProperty("step", step);
        o.addProperty("tokens", tokensSeen);
        o.addProperty("seconds", elapsed);
        o.add("settings", settingsJson());
        Files.writeString(
                tmp.resolve("trainer.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(o),
                StandardCharsets.UTF_8);
        Path target = outDir.resolve("checkpoint");
        Path old = outDir.resolve("checkpoint.old");
        FileTrees.deleteRecursively(old);
        if (Files.exists(target)) {
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        FileTrees.deleteRecursively(old);
    }

    private JsonObject settingsJson() {
        return new Gson().toJsonTree(settings).getAsJsonObject();
    }

    private void appendCsv(StepLog l) throws IOException {
        Path csv = outDir.resolve("loss.csv");
        if (!Files.exists(csv)) {
            Files.writeString(
                    csv,
                    "step,tokens,loss,lr,inner_lr_scale,grad_norm,seconds\n",
                    StandardCharsets.UTF_8);
        }
        Files.writeString(
                csv,
                String.format(
                        java.util.Locale.ROOT,
                        "%d,%d,%.6f,%.6e,%.4f,%.4f,%.1f%n",
                        l.step(),
                        l.tokens(),
                        l.loss(),
                        l.learningRate(),
                        l.innerScale(),
                        l.gradNorm(),
                        l.seconds()),
                StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
    }

    /** Drops curve rows after the checkpoint's step (a resumed run rewrites them). */
    private void truncateCsv(int lastStep) throws IOException {
        Path csv = outDir.resolve("loss.csv");
        if (!Files.exists(csv)) {
            return;
        }
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(csv, StandardCharsets.UTF_8)) {
            if (line.startsWith("step") || Integer.parseInt(line.split(",")[0]) <= lastStep) {
                kept.add(line);
            }
        }
        Files.write(csv, kept, StandardCharsets.UTF_8);
    }

    /**
     * Returns the number of steps done.
     *
     * @return the step
     */
    public int step() {
        return step;
    }

    /**
     * Returns the model being trained.
     *
     * @return the model
     */
    public TttLanguageModel model() {
        return model;
    }
}
