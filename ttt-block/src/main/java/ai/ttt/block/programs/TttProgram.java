package ai.ttt.block.programs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import ai.ttt.block.TensorNames;
import ai.ttt.block.TttConfig;
import ai.ttt.block.kernels.Kernels;
import ai.ttt.block.nn.DecoderBlock;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TensorBinding;
import ai.ttt.block.nn.TttLanguageModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The engine's TorchScript program bound to one model: its weights are handed to the module as one
 * list of second handles (same storage, no copy), made once per model, and every call passes that
 * list by reference.
 *
 * <p>Calls ({@link #chunk}, {@link #closeMiniBatch}) take a {@link ProgramState} (a sequence
 * state's buffers, bound once per state), update it in place and return new arrays attached to the
 * manager of their first argument. One program serves any number of states on any threads.
 */
public final class TttProgram {

    /** The program's methods the engine calls (what a profiler records a call under). */
    public static final List<String> METHODS = List.of("chunk", "close_mini_batch", "decode");

    /**
     * Whether decoding calls run with TorchScript's fusing executor ({@code -Dttt.fuseDecoding}).
     */
    static final boolean FUSE_DECODING = Boolean.getBoolean("ttt.fuseDecoding");

    /** The program's method for the trainer's outer loss ({@link #metaLoss}). */
    static final String META_LOSS = "meta_loss";

    /** The same, its gradient by recomputation per mini-batch ({@link #metaLoss}). */
    static final String META_LOSS_RECOMPUTED = "meta_loss_recomputed";

    /** The longest window whose rings are mirrored on the FlashAttention path (keys). */
    static final int MIRROR_MAX_WINDOW = 16_384;

    /** Tensors per layer in the weight list (see the program source). */
    static final int PER_LAYER = 13;

    private static final int Q_NORM = 4;
    private static final int K_NORM = 5;

    /** The RMSNorm weights of a layer in the weight list: they take the residual stream's type. */
    private static final Set<Integer> NORM_SLOTS = Set.of(0, 1, 7, 8, 9, 10);

    private static final Map<TttLanguageModel, TttProgram> BOUND =
            Collections.synchronizedMap(new WeakHashMap<>());

    private final ProgramModule module;
    private final TttConfig config;
    private final Precision precision;
    private final int capacity;
    private final boolean mirrored;
    private final List<NDArray> sources;
    private final NDManager manager;
    private final DataType residual;

    /** The weight list as bound; where {@link #isDerived} holds, arrays made from the model's. */
    private final PtNDArray[] bound;

    private final IValue weights;

    private TttProgram(TttLanguageModel model, List<NDArray> sources) {
        this.config = model.config();
        this.precision = model.precision();
        this.capacity = config.slidingWindow() - 1 + config.miniBatchSize();
        Map<String, Object> attributes = attributes(config, precision, capacity, device(model));
        this.mirrored = (Boolean) attributes.get("mirrored");
        this.residual = residualType(precision, device(model));
        this.module = ProgramModule.of(attributes, device(model));
        this.sources = sources;
        this.manager = model.manager().newSubManager();
        this.bound = new PtNDArray[sources.size()];
        NDArray absent = manager.zeros(new Shape(0), precision.stream());
        NDScope.unregister(absent);
        for (int i = 0; i < sources.size(); i++) {
            NDArray source = sources.get(i);
            if (isDerived(i)) {
                bound[i] = (PtNDArray) owned(derive(i));
            } else if (source == null || atLayerSlot(i, K_NORM)) {
                bound[i] = (PtNDArray) absent;
            } else {
                bound[i] = (PtNDArray) source;
            }
        }
        this.weights = IValue.listFrom(bound);
        manager.attachInternal(weights.getUid(), weights);
    }

    /** Whether the program binds its own array made from the model array at index i. */
    private boolean isDerived(int i) {
        NDArray source = sources.get(i);
        if (source == null) {
            return false;
        }
        if (atLayerSlot(i, Q_NORM)) {
            return true;
        }
        boolean layer = i < PER_LAYER * config.numLayers();
        boolean norm = layer ? NORM_SLOTS.contains(i % PER_LAYER) : i == finalNorm();
        return norm && source.getDataType() != residual;
    }

    /** Whether index i of the weight list is a layer's tensor at this slot. */
    private boolean atLayerSlot(int i, int slot) {
        return i < PER_LAYER * config.numLayers() && i % PER_LAYER == slot;
    }

    /**
     * The array bound at index i, made from the model's: q_norm's weight for each of the H q heads
     * then k_norm's for each of the Hkv k heads (QK-norm of q and k as one [B, n, H + Hkv, hd]
     * tensor, one multiply), or a norm weight in the residual stream's type.
     */
    private NDArray derive(int i) {
        NDArray source = sources.get(i);
        if (atLayerSlot(i, Q_NORM)) {
            return qkNorm(source, sources.get(i + 1));
        }
        return source.toType(residual, true);
    }

    /** Recomputes the derived arrays from the model's, in place (the weight list stays bound). */
    private void refresh() {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (int i = 0; i < bound.length; i++) {
                if (isDerived(i)) {
                    try (NDArray fresh = derive(i)) {
                        // On the device: DJL's copyTo goes through a host buffer and its JNI
                        // (torchSet) makes libtorch print a deprecation warning.
                        bound[i].set(new NDIndex("..."), fresh);
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** The final norm's index in the weight list. */
    private int finalNorm() {
        return PER_LAYER * config.numLayers() + 2;
    }

    /** An array made from a model array, kept by this program (closed with it). */
    private NDArray owned(NDArray made) {
        made.attach(manager);
        NDScope.unregister(made);
        return made;
    }

    private NDArray qkNorm(NDArray q, NDArray k) {
        // Ops on the model's arrays land in the model's manager: every temporary is closed here.
        try (NDArray qv = q.expandDims(0);
                NDArray kv = k.expandDims(0);
                NDArray qs = qv.repeat(0, config.numHeads());
                NDArray ks = kv.repeat(0, config.numKvHeads());
                NDArray joined = qs.concat(ks, 0)) {
            return joined.toType(qkType(precision, q.getDevice()), true);
        }
    }

    /**
     * Returns the program bound to {@code model}, binding it on first use (and again if the model's
     * parameter arrays were replaced since).
     *
     * @param model the model
     * @return its program
     */
    public static TttProgram of(TttLanguageModel model) {
        List<NDArray> current = weightArrays(model);
        synchronized (BOUND) {
            TttProgram p = BOUND.get(model);
            if (p == null || !sameArrays(p.sources, current)) {
                if (p != null) {
                    p.manager.close();
                }
                p = new TttProgram(model, current);
                BOUND.put(model, p);
            }
            return p;
        }
    }

    /**
     * Tells the program bound to {@code model}, if any, that the model's parameter arrays were
     * updated in place (a training step, a restored checkpoint): the arrays its binding made from
     * them (the QK-norm weights per head; on the GPU in fp16 the norm weights in fp16) are
     * recomputed in place, so states reading with it see the new values. Replaced arrays are
     * noticed without this.
     *
     * @param model the model
     */
    public static void parametersChanged(TttLanguageModel model) {
        synchronized (BOUND) {
            TttProgram p = BOUND.get(model);
            if (p != null) {
                p.refresh();
            }
        }
    }

    /**
     * Reads a chunk of n ≤ b new tokens at the state's position (see the program's {@code chunk}).
     *
     * @param tokens {@code [B, n]} int64
     * @param targets {@code [B, t]} int64 (t = n, or n − 1 for the last chunk of a feed), or {@code
     *     null}
     * @param flags what to compute
     * @param state the sequence state's buffers
     * @return in order, each only when asked for: the NLL {@code [B, t]} and the loss {@code [B]}
     *     (stepping), the logits {@code [B, n, V]}, the last logits {@code [B, V]}
     */
    public NDList chunk(NDArray tokens, NDArray targets, ChunkFlags flags, ProgramState state) {
        boolean decoding = tokens.getShape().get(1) == 1 && !flags.step();
        if (decoding && flags.decodable()) {
            // Generation's token: the lean single-token method (the same math), under
            // InferenceMode: it updates the state in place and returns the last logits only.
            try (IValue t = IValue.from((PtNDArray) tokens)) {
                return run(
                        METHODS.get(2),
                        tokens,
                        flags.outputCount(),
                        FUSE_DECODING,
                        true,
                        t,
                        module.flags(flags),
                        weights,
                        state.arguments());
            }
        }
        try (IValue t = IValue.from((PtNDArray) tokens);
                IValue y = targets == null ? null : IValue.from((PtNDArray) targets)) {
            return run(
                    METHODS.get(0),
                    tokens,
                    flags.outputCount(),
                    false,
                    false,
                    t,
                    y == null ? t : y,
                    module.flags(flags),
                    weights,
                    state.arguments());
        }
    }

    /**
     * Closes the open mini-batch that decoding filled: re-runs the suffix blocks on it and takes
     * its step (see the program's {@code close_mini_batch}).
     *
     * @param nextToken {@code [B, 1]} int64, the mini-batch's last target
     * @param state the sequence state's buffers
     * @return {@code [B]} the mini-batch loss
     */
    public NDArray closeMiniBatch(NDArray nextToken, ProgramState state) {
        try (IValue t = IValue.from((PtNDArray) nextToken)) {
            return run(METHODS.get(1), nextToken, 1, false, false, t, weights, state.arguments())
                    .singletonOrThrow();
        }
    }

    /**
     * Computes the trainer's outer loss in one program call (the program's {@code meta_loss}; the
     * plain engine's is {@code ai.ttt.train.MetaObjective}): for each sequence, the mean over its
     * mini-batches of the loss each has before its own inner step,
     *
     * <pre>
     *   L(θ) = mean_s mean_i ℓ_i(W_i; θ),   W_{i+1} = W_i − η·clip(∇_W ℓ_i(W_i)),   W_0 = θ's W0
     * </pre>
     *
     * recorded by autograd, so that the caller differentiates L with respect to the model's
     * parameters (second order through the inner steps, or the first-order variant). Nothing of the
     * model is modified, and no sequence state is involved: the keys, values and fast weights of
     * the sequence stay in the graph.
     *
     * @param model the model, in a precision of one type (fp32 or fp64), its parameters requiring
     *     gradients
     * @param tokens {@code [B, T + 1]} int64 on the model's device, T a positive multiple of the
     *     mini-batch size
     * @param secondOrder keep the inner gradients differentiable (the exact meta-gradient)
     * @param innerLrScale multiplier of the config's inner learning rate
     * @return the outer loss (a scalar) and each mini-batch's loss {@code [B, T / b]}, attached to
     *     the tokens' manager
     * @throws IllegalArgumentException if the precision mixes types or T is not a positive multiple
     *     of the mini-batch size
     */
    public static NDList metaLoss(
            TttLanguageModel model, NDArray tokens, boolean secondOrder, double innerLrScale) {
        return metaLoss(model, tokens, secondOrder, innerLrScale, false);
    }

    /**
     * Computes the trainer's outer loss in one program call, as {@link #metaLoss(TttLanguageModel,
     * NDArray, boolean, double)}, or with its gradient by recomputation per mini-batch (the
     * program's {@code meta_loss_recomputed}; the plain engine's is {@code
     * ai.ttt.train.RecomputedMetaGradient}): the program runs the mini-batches forward keeping only
     * their keys, values and fast weights, then again in reverse, each with its own graph, and
     * returns the loss with a graph whose gradient is the meta-gradient. Memory then holds one
     * mini-batch's graph instead of the sequence's, for one more forward pass per mini-batch.
     *
     * @param model the model, in a precision of one type (fp32 or fp64), its parameters requiring
     *     gradients
     * @param tokens {@code [B, T + 1]} int64 on the model's device, T a positive multiple of the
     *     mini-batch size
     * @param secondOrder keep the inner gradients differentiable (the exact meta-gradient)
     * @param innerLrScale multiplier of the config's inner learning rate
     * @param recompute recompute per mini-batch
     * @return the outer loss (a scalar) and each mini-batch's loss {@code [B, T / b]}, attached to
     *     the tokens' manager
     * @throws IllegalArgumentException if the precision mixes types or T is not a positive multiple
     *     of the mini-batch size
     */
    public static NDList metaLoss(
            TttLanguageModel model,
            NDArray tokens,
            boolean secondOrder,
            double innerLrScale,
            boolean recompute) {
        Precision precision = model.precision();
        if (precision.matmul() != precision.stream()) {
            throw new IllegalArgumentException(
                    "the training program computes in one type (fp32 or fp64), not in "
                            + precision.matmul()
                            + " matmuls on a "
                            + precision.stream()
                            + " stream");
        }
        model.config().trainingMiniBatches(tokens.getShape().get(1) - 1);
        TttProgram program = of(model);
        List<PtNDArray> initial = new ArrayList<>();
        for (DecoderBlock layer : model.layers()) {
            if (layer.hasPrime()) {
                initial.add((PtNDArray) layer.prime().w13().getArray());
                initial.add((PtNDArray) layer.prime().w2().getArray());
            }
        }
        double learningRate = model.config().innerLr() * innerLrScale;
        try (IValue t = IValue.from((PtNDArray) tokens);
                IValue weights = IValue.listFrom(program.ownWeights());
                IValue fast = IValue.listFrom(initial.toArray(new PtNDArray[0]));
                IValue order = IValue.from(secondOrder);
                IValue rate = IValue.from(learningRate)) {
            return program.run(
                    recompute ? META_LOSS_RECOMPUTED : META_LOSS,
                    tokens,
                    2,
                    false,
                    false,
                    t,
                    weights,
                    fast,
                    order,
                    rate);
        }
    }

    /**
     * The weight list with the model's own arrays where the binding made its own (the QK-norm
     * weights as q_norm's and k_norm's [hd] each), for the training method, which derives what it
     * needs differentiably.
     */
    private PtNDArray[] ownWeights() {
        PtNDArray[] out = bound.clone();
        for (int i = 0; i < out.length; i++) {
            NDArray source = sources.get(i);
            if (source != null && (isDerived(i) || atLayerSlot(i, K_NORM))) {
                out[i] = (PtNDArray) source;
            }
        }
        return out;
    }

    /**
     * Returns C, the ring slots per layer the program expects (the engine's cache size).
     *
     * @return k − 1 + b
     */
    public int capacity() {
        return capacity;
    }

    /**
     * Whether the program expects mirrored rings: slot-major {@code [B, 2C, Hkv, hd]}, each slot
     * {@code s < C} held again at s + C, so that the window before a chunk is one contiguous block
     * in position order, in the layout FlashAttention reads (its sliding window needs keys in that
     * order; a ring wraps). On for the FlashAttention path with windows up to {@value
     * #MIRROR_MAX_WINDOW} keys (a longer one, as in full attention, reads its ring in place until
     * the ring first wraps, then with band masks); {@code -Dttt.mirrorRings=true} turns it on
     * elsewhere (tests on CPU).
     *
     * @return whether sequence states must allocate 2C slots per ring
     */
    public boolean mirrorsRings() {
        return mirrored;
    }

    /**
     * Returns the precision the program computes in.
     *
     * @return the model's precision
     */
    public Precision precision() {
        return precision;
    }

    private NDList run(
            String method,
            NDArray first,
            int expected,
            boolean optimize,
            boolean inference,
            IValue... arguments) {
        // Off: every call computes with the same kernels from the first on (bitwise reproducible).
        // On (decoding, -Dttt.fuseDecoding=true): TorchScript's profiling executor fuses chains of
        // elementwise ops after two profiling calls, fewer kernel launches per token.
        JniUtils.setGraphExecutorOptimize(optimize);
        boolean gradMode = JniUtils.isGradMode();
        boolean done = false;
        try {
            NDList out =
                    module.call(method, (PtNDManager) first.getManager(), inference, arguments);
            if (out.size() != expected) {
                out.close();
                throw new IllegalStateException(
                        "program "
                                + method
                                + " returned "
                                + out.size()
                                + " arrays, not "
                                + expected);
            }
            done = true;
            return out;
        } finally {
            if (optimize) {
                Kernels.prepareThread();
            }
            if (!done) {
                // The program restores the grad mode itself; after a failure it may not have.
                JniUtils.setGradMode(gradMode);
            }
        }
    }

    /** The module attributes: the hyperparameters the program is specialised with. */
    static Map<String, Object> attributes(
            TttConfig c, Precision precision, int capacity, ai.djl.Device device) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("num_layers", c.numLayers());
        a.put("num_prime", c.numPrimeLayers());
        a.put("heads", c.numHeads());
        a.put("kv_heads", c.numKvHeads());
        a.put("head_dim", c.headDim());
        a.put("window", c.slidingWindow());
        a.put("mini_batch", c.miniBatchSize());
        a.put("capacity", capacity);
        a.put("eps", c.rmsNormEps());
        a.put("sandwich", c.sandwich());
        a.put("qk_norm", c.qkNorm());
        a.put("qkv_bias", c.attentionBias());
        a.put("bos", c.bosTokenId().orElse(-1));
        a.put("clip", c.innerGradClip());
        a.put("stream_dtype", scalarType(precision.stream()));
        a.put("matmul_dtype", scalarType(precision.matmul()));
        a.put("qk_dtype", scalarType(qkType(precision, device)));
        DataType residual = residualType(precision, device);
        a.put("residual_dtype", scalarType(residual));
        a.put("rope_turns", device.isGpu() || Boolean.getBoolean("ttt.ropeTurns"));
        // A 16-bit stream needs RMSNorm's fp32 accumulation, which the fused kernel has.
        // -Dttt.fusedNorm=true: the same on the CPU (tests of the GPU's path).
        a.put(
                "fused_norm",
                device.isGpu()
                        || residual != precision.stream()
                        || Boolean.getBoolean("ttt.fusedNorm"));
        // FlashAttention (CUDA, fp16) with its own sliding window instead of a band mask.
        boolean flash =
                device.isGpu()
                        && precision.matmul() == DataType.FLOAT16
                        && c.headDim() % 8 == 0
                        && c.headDim() <= 256
                        && !"false".equals(System.getProperty("ttt.flashWindow"));
        a.put("flash_window", flash);
        // Mirroring doubles the rings: worth it for a sliding window that wraps every few
        // mini-batches, not for a window as long as the context (full attention), whose ring
        // stays in position order until it first wraps (the program's in_window_order).
        a.put(
                "mirrored",
                (flash && c.slidingWindow() <= MIRROR_MAX_WINDOW)
                        || Boolean.getBoolean("ttt.mirrorRings"));
        return a;
    }

    /**
     * The type QK-norm and RoPE compute in: the matmul type where RMSNorm is one fused kernel that
     * accumulates in fp32 (the GPU), so that q and k go from the projection to attention without a
     * round trip through the stream type; the stream type elsewhere.
     */
    static DataType qkType(Precision precision, ai.djl.Device device) {
        return device.isGpu() ? precision.matmul() : precision.stream();
    }

    /**
     * The type of the residual stream between sublayers: the matmul type on the GPU in fp16 (the
     * official code keeps a bf16 stream; RMSNorm accumulates in fp32 and casts back), which removes
     * four casts of {@code [B, n, d]} per block and halves the stream's memory traffic; the stream
     * type elsewhere. {@code -Dttt.fp16Residual=false} keeps the fp32 stream on the GPU, {@code
     * =true} also uses it on the CPU (tests).
     */
    static DataType residualType(Precision precision, ai.djl.Device device) {
        String property = System.getProperty("ttt.fp16Residual");
        boolean wanted = property == null ? device.isGpu() : Boolean.parseBoolean(property);
        return wanted && precision.matmul() == DataType.FLOAT16
                ? precision.matmul()
                : precision.stream();
    }

    /** PyTorch's ScalarType codes, which TorchScript uses for dtypes. */
    private static int scalarType(DataType type) {
        switch (type) {
            case FLOAT16:
                return 5;
            case FLOAT32:
                return 6;
            case FLOAT64:
                return 7;
            default:
                throw new IllegalArgumentException("no program for " + type);
        }
    }

    /** The model's arrays in the program's order ({@code null} where the config has none). */
    /**
     * A layer's tensors in the program's order (see the program source); {@code null} marks what
     * the config lacks. The bindings hold the fused Wqkv (and its bias) under wq's names and the
     * fused w13 under w1's.
     */
    private static String[] programOrder(TensorNames.Layer n) {
        return new String[] {
            n.attnNorm(),
            n.attnPostNorm(),
            n.wq(),
            n.bq(),
            n.qNorm(),
            n.kNorm(),
            n.wo(),
            n.primeNorm(),
            n.primePostNorm(),
            n.mlpNorm(),
            n.mlpPostNorm(),
            n.mlp().w1(),
            n.mlp().w2()
        };
    }

    private static List<NDArray> weightArrays(TttLanguageModel model) {
        TttConfig c = model.config();
        Map<String, TensorBinding> bindings = model.bindings();
        List<NDArray> out = new ArrayList<>(PER_LAYER * c.numLayers() + 5);
        for (int l = 0; l < c.numLayers(); l++) {
            for (String name : programOrder(TensorNames.layer(c, l))) {
                TensorBinding b = name == null ? null : bindings.get(name);
                out.add(b == null ? null : b.parameter().getArray());
            }
        }
        NDArray embed = bindings.get(TensorNames.EMBED).parameter().getArray();
        TensorBinding head = bindings.get(TensorNames.LM_HEAD);
        out.add(embed);
        out.add(head == null ? embed : head.parameter().getArray());
        out.add(bindings.get(TensorNames.FINAL_NORM).parameter().getArray());
        out.add(model.rope().laneFrequencies());
        out.add(model.rope().rotation());
        return out;
    }

    private static boolean sameArrays(List<NDArray> a, List<NDArray> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != b.get(i)) {
                return false;
            }
        }
        return true;
    }

    private static ai.djl.Device device(TttLanguageModel model) {
        return model.manager().getDevice();
    }
}
