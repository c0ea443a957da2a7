package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.ttt.block.TttConfig;
import ai.ttt.block.kernels.Kernels;
import ai.ttt.block.nn.DecoderBlock;
import ai.ttt.block.nn.KeyValueCache;
import ai.ttt.block.nn.TorchOps;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.programs.TttProgram;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The reading state of a batch of B sequences: KV caches, fast weights, position and the open
 * mini-batch. Tokens go in with {@link #feed}; each is predicted with the current fast weights, and
 * every time b inputs and their targets are known the fast weights take one step on them (spec
 * §3.3–3.4).
 *
 * <p>Per chunk of up to b new inputs:
 *
 * <pre>
 *   h = prefix blocks (no gradient, ring caches)                       [B, n, d]
 *   logits = suffix blocks with fast weights W                          [B, n, V]
 *   if the chunk is a whole mini-batch with known targets:
 *       ℓ = masked mean NLL; g = ∂ℓ/∂W (cached K/V are constants); W ← W − η·clip(g)
 *   else keep h for the mini-batch; when decoding completes it, re-run the suffix blocks on it
 *       (its own K/V recomputed, the window before it from the cache) and take the step.
 * </pre>
 *
 * <p>This class cuts what it is fed into such chunks and keeps the host-side counters; a {@link
 * ChunkRunner} computes each chunk. Inference states use the model's TorchScript program ({@link
 * ProgramChunks}: one engine call per chunk) unless {@link StateOptions#execution()} asks for the
 * DJL-op reference ({@link PlainChunks}), which training states always use.
 *
 * <p>The sequences of a batch share positions; each has its own fast weights, clip and loss. No
 * value is read back to the host inside the loop. One state serves one thread at a time; many
 * states may run on many threads over one model.
 */
public final class SequenceState implements AutoCloseable {

    // Package-private: the chunk runners compute on these buffers.
    final TttLanguageModel model;
    final TttConfig config;
    final StateOptions options;
    final int batch;
    final int miniBatch;
    final NDManager manager;
    final CacheGroup prefix;
    final CacheGroup suffix;
    final List<KeyValueCache> caches = new ArrayList<>();
    final FastWeights fast;
    final InnerLoop inner;
    final NDArray skipped;
    final NDArray openHidden;
    final NDArray openTokens;
    long position;
    int openCount;
    NDArray lastLogits;
    final PlainChunks plain;
    final ChunkRunner runner;

    private SequenceState(
            TttLanguageModel model, int batch, StateOptions options, InnerGradient gradient) {
        this.model = model;
        this.config = model.config();
        this.options = options;
        this.batch = batch;
        this.miniBatch = config.miniBatchSize();
        this.manager = model.manager().newSubManager();
        DataType stream = model.precision().stream();
        DataType matmul = model.precision().matmul();
        int k = config.slidingWindow();
        boolean functional = options.differentiable();
        boolean program = !functional && options.execution() == StateOptions.Execution.PROGRAM;
        boolean mirrored = program && TttProgram.of(model).mirrorsRings();
        this.prefix = new CacheGroup(manager, k - 1 + miniBatch, k, functional, matmul, mirrored);
        this.suffix = new CacheGroup(manager, k - 1 + miniBatch, k, functional, matmul, mirrored);
        for (DecoderBlock layer : model.layers()) {
            CacheGroup g = layer.hasPrime() ? suffix : prefix;
            caches.add(g.addLayer(manager, batch, config.numKvHeads(), config.headDim(), matmul));
        }
        this.fast = config.numPrimeLayers() == 0 ? null : initialFastWeights();
        this.inner = new InnerLoop(manager, config, stream, options.innerLrScale());
        this.skipped = manager.zeros(new Shape(batch), DataType.INT64);
        if (options.testTimeTraining() && fast != null) {
            openHidden = manager.zeros(new Shape(batch, miniBatch, config.hiddenSize()), stream);
            openTokens = manager.zeros(new Shape(batch, miniBatch + 1), DataType.INT64);
        } else {
            openHidden = null;
            openTokens = null;
        }
        this.plain = new PlainChunks(this, gradient);
        this.runner = program ? new ProgramChunks(this) : plain;
    }

    /**
     * Starts B new sequences with the project's autograd kernel on the model's device.
     *
     * @param model the loaded model (never modified)
     * @param batch B ≥ 1
     * @param options inference or training, with or without test-time training
     * @return the state; close it to free its memory
     */
    public static SequenceState create(TttLanguageModel model, int batch, StateOptions options) {
        checkBatch(batch);
        return new SequenceState(
                model,
                batch,
                options,
                InnerGradient.of(Kernels.forDevice(model.manager().getDevice())));
    }

    /**
     * Starts B new sequences at position 0 with fast weights copied from W0, computing the inner
     * gradient with {@code gradient} (a seam for tests of the plain engine).
     *
     * @param model the loaded model (never modified)
     * @param batch B ≥ 1
     * @param options training, or inference with {@link StateOptions.Execution#PLAIN} (the program
     *     computes its gradient itself)
     * @param gradient the autograd kernel
     * @return the state; close it to free its memory
     * @throws IllegalArgumentException if the options would run the program
     */
    public static SequenceState create(
            TttLanguageModel model, int batch, StateOptions options, InnerGradient gradient) {
        checkBatch(batch);
        if (!options.differentiable() && options.execution() != StateOptions.Execution.PLAIN) {
            throw new IllegalArgumentException(
                    "a custom inner gradient needs StateOptions.Execution.PLAIN at inference");
        }
        return new SequenceState(model, batch, options, gradient);
    }

    private static void checkBatch(int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch size " + batch + " must be at least 1");
        }
    }

    private FastWeights initialFastWeights() {
        if (!options.differentiable()) {
            try (NDScope ignored = new NDScope()) {
                boolean grad = JniUtils.isGradMode();
                JniUtils.setGradMode(false);
                try {
                    FastWeights w = FastWeights.copyOf(model, batch, manager, true);
                    w.asList().forEach(NDScope::unregister);
                    return w;
                } finally {
                    JniUtils.setGradMode(grad);
                }
            }
        }
        // Training: the copies stay connected to W0 when W0 is being learned.
        boolean w0Learned = false;
        for (DecoderBlock layer : model.layers()) {
            if (layer.hasPrime()) {
                w0Learned = layer.prime().w13().getArray().hasGradient();
                break;
            }
        }
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try {
            return w0Learned
                    ? FastWeights.connectedTo(model, batch, manager)
                    : FastWeights.copyOf(model, batch, manager, true);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** What a {@link #feed} computes besides updating the state. */
    public enum Outputs {
        /** Only the logits of the last token (generation: the cheapest). */
        LAST_LOGITS,
        /** The NLL of every fed token that had a prediction, and the last logits (scoring). */
        TARGET_NLL,
        /** Also the logits of every fed token. */
        ALL_LOGITS
    }

    /**
     * Feeds n more tokens of every sequence (a prompt, or one sampled token while decoding).
     *
     * @param tokens {@code [B, n]} int64 ids on the model's device
     * @param out the manager that will own the result arrays
     * @param keepLogits whether to return the logits of every fed token
     * @return NLLs, inner losses and logits
     */
    public FeedResult feed(NDArray tokens, NDManager out, boolean keepLogits) {
        return feed(tokens, out, keepLogits ? Outputs.ALL_LOGITS : Outputs.TARGET_NLL);
    }

    /**
     * Feeds n more tokens of every sequence.
     *
     * @param tokens {@code [B, n]} int64 ids on the model's device
     * @param out the manager that will own the result arrays
     * @param outputs what to compute besides the state update
     * @return the requested outputs ({@code targetNll} is {@code null} with {@link
     *     Outputs#LAST_LOGITS})
     */
    public FeedResult feed(NDArray tokens, NDManager out, Outputs outputs) {
        Shape shape = tokens.getShape();
        if (shape.dimension() != 2 || shape.get(0) != batch || shape.get(1) < 1) {
            throw new IllegalArgumentException(
                    "tokens must be [" + batch + ", n ≥ 1], got " + shape);
        }
        if (tokens.getDataType() != DataType.INT64) {
            throw new IllegalArgumentException("tokens must be int64, got " + tokens.getDataType());
        }
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(options.differentiable());
        try {
            FeedResult result = feedChunks(tokens, outputs);
            for (NDArray a :
                    new NDArray[] {
                        result.targetNll(),
                        result.chunkLosses(),
                        result.logits(),
                        result.lastLogits()
                    }) {
                if (a != null) {
                    a.attach(out);
                }
            }
            return result;
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /**
     * Training: reads one whole mini-batch whose targets are known and takes its inner step, all
     * differentiable (the building block of recomputation, where every mini-batch is run on its own
     * from a stored {@link TrainingCarry}).
     *
     * @param inputs {@code [B, b]} int64, starting at a mini-batch boundary
     * @param targets {@code [B, b]} int64, the inputs shifted by one
     * @return {@code [B, b]} the NLL of each target before the step (differentiable)
     */
    public NDArray trainMiniBatch(NDArray inputs, NDArray targets) {
        requireTraining();
        Shape want = new Shape(batch, miniBatch);
        if (!inputs.getShape().equals(want) || !targets.getShape().equals(want)) {
            throw new IllegalArgumentException(
                    "a training mini-batch needs inputs and targets of shape "
                            + want
                            + ", got "
                            + inputs.getShape()
                            + " and "
                            + targets.getShape());
        }
        if (position % miniBatch != 0 || openCount != 0 || lastLogits != null) {
            throw new IllegalStateException(
                    "trainMiniBatch starts at a mini-batch boundary of a state fed only by it,"
                            + " position "
                            + position);
        }
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try {
            boolean step = openHidden != null;
            Segment s = plain.run(inputs, targets, step, Outputs.TARGET_NLL, true, false);
            position += miniBatch;
            return s.nll();
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /**
     * What a training state carries from one mini-batch to the next: everything a later mini-batch
     * depends on, so a mini-batch can be recomputed from it alone.
     *
     * @param fastWeights the fast weights (see {@link FastWeights#asList()}), empty when S = 0
     * @param keys per layer (all L, model order) {@code [B, Hkv, min(C, position), hd]}, or {@code
     *     null} at position 0
     * @param values per layer, same shapes as the keys
     */
    public record TrainingCarry(
            List<NDArray> fastWeights, List<NDArray> keys, List<NDArray> values) {}

    /**
     * Training: returns the live carried arrays (connected to the graph that made them).
     *
     * @return the carry at the current position
     */
    public TrainingCarry trainingCarry() {
        requireTraining();
        List<NDArray> keys = new ArrayList<>();
        List<NDArray> values = new ArrayList<>();
        for (KeyValueCache c : caches) {
            keys.add(c.keys());
            values.add(c.values());
        }
        return new TrainingCarry(fast == null ? List.of() : fast.asList(), keys, values);
    }

    /**
     * Training: moves this state to a mini-batch boundary with the given carry (typically stored,
     * detached copies made leaves of a recomputation), replacing its fast weights, caches and
     * position. A state fed only through {@link #trainMiniBatch} may be moved any number of times,
     * forwards or backwards, so one state serves every mini-batch of a recomputation without new
     * constants (no host-to-device copy per mini-batch).
     *
     * @param at the position, a multiple of b
     * @param carry the fast weights and caches at that position ({@code null} keys at position 0;
     *     at position 0 the fast weights are the W0 copies, e.g. {@link FastWeights#connectedTo})
     */
    public void resumeTraining(long at, TrainingCarry carry) {
        requireTraining();
        if (at < 0 || at % miniBatch != 0 || openCount != 0 || lastLogits != null) {
            throw new IllegalStateException(
                    "resumeTraining needs a mini-batch boundary of a state fed only by"
                            + " trainMiniBatch, got position "
                            + at);
        }
        if (carry.keys().size() != caches.size()
                || carry.values().size() != caches.size()
                || carry.fastWeights().size() != (fast == null ? 0 : fast.asList().size())) {
            throw new IllegalArgumentException("the carry does not match the model's layers");
        }
        List<DecoderBlock> layers = model.layers();
        List<NDArray> prefixKeys = new ArrayList<>();
        List<NDArray> prefixValues = new ArrayList<>();
        List<NDArray> suffixKeys = new ArrayList<>();
        List<NDArray> suffixValues = new ArrayList<>();
        for (int l = 0; l < layers.size(); l++) {
            boolean prime = layers.get(l).hasPrime();
            (prime ? suffixKeys : prefixKeys).add(carry.keys().get(l));
            (prime ? suffixValues : prefixValues).add(carry.values().get(l));
        }
        prefix.restoreFunctional(manager, at, prefixKeys, prefixValues);
        suffix.restoreFunctional(manager, at, suffixKeys, suffixValues);
        if (fast != null) {
            fast.replace(carry.fastWeights());
        }
        position = at;
        plain.moveTo(at, 0);
    }

    private void requireTraining() {
        if (!options.differentiable()) {
            throw new IllegalStateException("only a training (differentiable) state");
        }
    }

    /**
     * Feeds tokens given on the host (uploaded once).
     *
     * @param tokens B rows of n ids
     * @param out the manager that will own the result arrays
     * @return NLLs, inner losses and last logits
     */
    public FeedResult feed(long[][] tokens, NDManager out) {
        int n = tokens.length == 0 ? 0 : tokens[0].length;
        long[] flat = new long[batch * n];
        if (tokens.length != batch) {
            throw new IllegalArgumentException(
                    "expected " + batch + " rows of tokens, got " + tokens.length);
        }
        for (int s = 0; s < batch; s++) {
            if (tokens[s].length != n) {
                throw new IllegalArgumentException("all rows must have the same length");
            }
            System.arraycopy(tokens[s], 0, flat, s * n, n);
        }
        try (NDManager upload = manager.newSubManager()) {
            NDArray t = TorchOps.owned(upload.create(flat, new Shape(batch, n)));
            return feed(t, out, false);
        }
    }

    private FeedResult feedChunks(NDArray tokens, Outputs outputs) {
        int n = (int) tokens.getShape().get(1);
        boolean ttt = openHidden != null;
        boolean wantNll = outputs != Outputs.LAST_LOGITS;
        List<NDArray> nll = new ArrayList<>();
        List<NDArray> losses = new ArrayList<>();
        List<NDArray> logits = new ArrayList<>();
        if (lastLogits != null && wantNll) {
            NDArray first = slice(tokens, 0, 1);
            nll.add(
                    scoped(
                                    () ->
                                            new Segment(
                                                    inner.tokenNll(lastLogits.expandDims(1), first),
                                                    null,
                                                    null,
                                                    null))
                            .nll());
        }
        NDArray newLast = null;
        int i = 0;
        while (i < n) {
            if (ttt && openCount == miniBatch) {
                NDArray next = slice(tokens, i, i + 1);
                losses.add(
                        scoped(() -> new Segment(null, runner.closeOpenMiniBatch(next), null, null))
                                .loss());
                openCount = 0;
            }
            int room = ttt ? miniBatch - openCount : miniBatch;
            int len = Math.min(n - i, room);
            boolean complete = i + len < n;
            NDArray inputs = slice(tokens, i, i + len);
            int targetCount = complete ? len : len - 1;
            NDArray targets =
                    wantNll || ttt
                            ? targetCount > 0 ? slice(tokens, i + 1, i + 1 + targetCount) : null
                            : null;
            boolean step = ttt && openCount == 0 && len == miniBatch && complete;
            boolean keepOpen = ttt && !step;
            Segment s =
                    scoped(() -> runner.run(inputs, targets, step, outputs, complete, keepOpen));
            position += len;
            if (keepOpen) {
                openCount += len;
            }
            addIfPresent(nll, s.nll());
            addIfPresent(losses, s.loss());
            addIfPresent(logits, s.logits());
            if (s.last() != null) {
                newLast = s.last();
            }
            i += len;
        }
        setLastLogits(newLast);
        NDArray lastCopy = lastLogits.duplicate();
        if (!wantNll) {
            // A stepping chunk computes its NLLs (the loss needs them) even when not asked for.
            nll.forEach(NDArray::close);
        }
        return new FeedResult(
                wantNll ? join(nll, 1) : null,
                losses.isEmpty() ? null : stack(losses),
                outputs == Outputs.ALL_LOGITS ? join(logits, 1) : null,
                lastCopy);
    }

    /** Runs a chunk inside its own scope (inference), so its temporaries are freed at once. */
    private Segment scoped(java.util.function.Supplier<Segment> chunk) {
        if (options.differentiable()) {
            return chunk.get();
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Segment s = chunk.get();
            for (NDArray a : s.present()) {
                NDScope.unregister(a);
            }
            return s;
        }
    }

    private static void addIfPresent(List<NDArray> list, NDArray a) {
        if (a != null) {
            list.add(a);
        }
    }

    private static NDArray stack(List<NDArray> losses) {
        NDArray stacked =
                losses.size() == 1
                        ? losses.get(0).expandDims(1)
                        : NDArrays.stack(new NDList(losses), 1);
        losses.forEach(NDArray::close);
        return stacked;
    }

    /** Keeps the last logits in the state (taking ownership of the array). */
    private void setLastLogits(NDArray logits) {
        logits.attach(manager);
        if (lastLogits != null && lastLogits != logits) {
            lastLogits.close();
        }
        lastLogits = logits;
    }

    private static NDArray slice(NDArray tokens, int from, int to) {
        if (from == 0 && to == tokens.getShape().get(1)) {
            // The whole feed (a decoded token, a prompt of at most one chunk): no view to make,
            // which in decoding is a quarter of the JNI calls per token.
            return tokens;
        }
        return tokens.get(new NDIndex(":, {}:{}", from, to));
    }

    /** Concatenates the pieces, closing them when a new array was made. */
    private static NDArray join(List<NDArray> parts, int axis) {
        if (parts.isEmpty()) {
            return null;
        }
        if (parts.size() == 1) {
            return parts.get(0);
        }
        NDArray joined = NDArrays.concat(new NDList(parts), axis);
        parts.forEach(NDArray::close);
        return joined;
    }

    /** The version of the state file layout written by {@link #save}. */
    public static final String STATE_VERSION = StateFile.VERSION;

    /**
     * Saves the state (fast weights, caches, position, open mini-batch, last logits) to one
     * safetensors file, written atomically. Restore it with {@link #restore}.
     *
     * @param file the target file
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        StateFile.save(this, file);
    }

    /**
     * Restores a state saved by {@link #save} for the same model (same config and precision).
     *
     * <p>The file is checked against the model before it is used (see {@link StateFileValidator}:
     * metadata, tensor names, dtypes and shapes, token ids, finite values, and counters and slot
     * positions consistent with the position and mini-batch); a file that breaks a rule is refused
     * with a message naming the file, the field and the value.
     *
     * @param model the model the state was saved with
     * @param file the state file
     * @return the restored state, ready to continue the sequences
     * @throws IOException naming the file if it is not a valid state of this model
     */
    public static SequenceState restore(TttLanguageModel model, Path file) throws IOException {
        return StateFile.restore(model, file);
    }

    /** The name of the last logits in a state file. */
    static final String LAST_LOGITS = StateFile.LAST_LOGITS;

    /**
     * Returns the number of tokens fed so far (the position of the next one).
     *
     * @return the position
     */
    public long position() {
        return position;
    }

    /**
     * Returns B.
     *
     * @return the batch size
     */
    public int batchSize() {
        return batch;
    }

    /**
     * Returns how many inputs of the current mini-batch wait for their step.
     *
     * @return 0 … b
     */
    public int openCount() {
        return openCount;
    }

    /**
     * Returns the fast weights (live; do not modify).
     *
     * @return the fast weights, or {@code null} when S = 0
     */
    public FastWeights fastWeights() {
        return fast;
    }

    /**
     * Returns how many updates were skipped per sequence because the loss or gradient was not
     * finite.
     *
     * @return {@code [B]} int64 (live)
     */
    public NDArray skippedUpdates() {
        return skipped;
    }

    /**
     * Returns the model this state reads with.
     *
     * @return the model
     */
    public TttLanguageModel model() {
        return model;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        manager.close();
    }
}
