package ai.ttt.block.kernels;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The project's TorchScript kernels on one device: fused attention ({@code
 * torch.scaled_dot_product_attention}), functional autograd ({@code torch.autograd.grad}) and a
 * dtype cast that autograd records, none of which DJL 0.35.1 exposes.
 *
 * <p>The kernels are TorchScript modules without parameters whose source is in this class; they are
 * written by {@link TorchScriptArchive} to a private temporary file, loaded through {@link
 * Model#load(Path)} with the PyTorch engine (each block is a {@code PtSymbolBlock}) and the file is
 * deleted. Nothing is ever loaded from anywhere else. The gradient module is loaded three times,
 * one per {@code retain_graph}/{@code create_graph} combination (baked in as constants).
 *
 * <p><b>Training flag.</b> Every module is only ever called with {@code training=true}, so DJL
 * never toggles a shared module between train and eval (which it does without synchronisation) and
 * one instance per module suffices. {@code training=false} is not used because DJL 0.35.1 then runs
 * the module under {@code c10::InferenceMode}: its outputs are <i>inference tensors</i>, which a
 * later autograd op cannot save ("Inference tensors cannot be saved for backward", e.g. {@code
 * out.matMul(w)} with {@code w} requiring gradients) and an in-place op cannot update ("Inplace
 * update to inference tensor outside InferenceMode", e.g. {@code out.addi(x)}). Non-differentiable
 * calls switch grad mode off for their own duration instead, which records nothing and returns
 * ordinary tensors.
 *
 * <p><b>Instances.</b> Use {@link #forDevice(Device)}: one shared instance per device, loaded
 * lazily and thread-safely on first use, alive until the JVM exits ({@link #close()} on a shared
 * instance does nothing). {@link #Kernels(Device)} makes a private instance that the caller owns
 * and must {@link #close()} after its last call. Loading costs a few tens of milliseconds.
 *
 * <p><b>Threads.</b> All methods may be called concurrently from any thread; there is no JVM-wide
 * lock. Every call turns off the profiling graph executor on the calling thread ({@link
 * #prepareThread()}), so results are bitwise reproducible from the first call on.
 *
 * <p><b>Grad mode.</b> PyTorch's grad mode is thread-local (djl-notes §0.3), and DJL leaves it on
 * in every thread but the one that loaded the engine. {@code attention(..., differentiable)} sets
 * it to {@code differentiable} and {@code grad(..., createGraph=true)} sets it on, each for its own
 * duration only (the thread's mode is restored). The caller must have it on ({@code
 * JniUtils.setGradMode(true)}) while building a loss with ordinary DJL ops, and the tensors to
 * differentiate must require gradients ({@code setRequiresGradient(true)}, or be computed from such
 * tensors under grad mode).
 *
 * <p><b>Names.</b> DJL's TorchScript bridge interprets NDArray names: names ending in {@code []}
 * become {@code List[Tensor]} elements, {@code ()} tuples, names with a dot dictionary entries and
 * {@code module_method:} prefixes select a method. Arguments whose names are not plain identifiers
 * (e.g. {@code layers.0.wq.weight}) are therefore passed as aliases: a second handle to the same
 * tensor (same storage and autograd identity, from {@code JniUtils.to} with an unchanged dtype and
 * device, about 1 µs), named as needed and closed after the call. The caller's arrays are never
 * renamed, so the same array may be used concurrently.
 *
 * <p><b>Memory.</b> Results are new arrays owned by the caller: attached to {@code q}'s manager for
 * {@link #attention}, to {@code loss}'s manager for {@link #grad}. Nothing else survives a call.
 */
public final class Kernels implements AutoCloseable {

    private static final ConcurrentHashMap<Device, Kernels> SHARED = new ConcurrentHashMap<>();

    /** A name DJL passes through as a plain tensor argument. */
    private static final Pattern PLAIN_NAME = Pattern.compile("\\w*");

    /** The name that makes DJL collect an array into the {@code w: List[Tensor]} argument. */
    private static final String LIST_NAME = "w[]";

    private static final String ATTENTION_CLASS = "TttAttention";

    private static final String ATTENTION_SOURCE =
            "class TttAttention(Module):\n"
                    + "  __parameters__ = []\n"
                    + "  __buffers__ = []\n"
                    + "  training : bool\n"
                    + "  def forward(self: __torch__.TttAttention,\n"
                    + "    q: Tensor,\n"
                    + "    k: Tensor,\n"
                    + "    v: Tensor,\n"
                    + "    mask: Tensor) -> Tensor:\n"
                    + "    b = torch.size(q, 0)\n"
                    + "    h = torch.size(q, 1)\n"
                    + "    n = torch.size(q, 2)\n"
                    + "    hd = torch.size(q, 3)\n"
                    + "    hkv = torch.size(k, 1)\n"
                    + "    if torch.eq(h, hkv):\n"
                    + "      out = torch.scaled_dot_product_attention(q, k, v, mask)\n"
                    + "    else:\n"
                    + "      g = torch.floordiv(h, hkv)\n"
                    + "      qg = torch.reshape(q, [b, hkv, torch.mul(g, n), hd])\n"
                    + "      maskg = torch.repeat(mask, [g, 1])\n"
                    + "      og = torch.scaled_dot_product_attention(qg, k, v, maskg)\n"
                    + "      out = torch.reshape(og, [b, h, n, hd])\n"
                    + "    return out\n";

    private static final String CAST_CLASS = "TttCast";

    private static final String CAST_SOURCE =
            "class TttCast(Module):\n"
                    + "  __parameters__ = []\n"
                    + "  __buffers__ = []\n"
                    + "  training : bool\n"
                    + "  def forward(self: __torch__.TttCast,\n"
                    + "    x: Tensor,\n"
                    + "    like: Tensor) -> Tensor:\n"
                    + "    return torch.type_as(x, like)\n";

    private final Device device;
    private final boolean shared;
    private final List<Model> models = new ArrayList<>();
    private final Block attentionModule;
    private final Block castModule;

    /** One-element arrays whose dtype {@code type_as} copies; made once, outside any NDScope. */
    private final Map<DataType, NDArray> typeTokens = new EnumMap<>(DataType.class);

    private final Block gradFree;
    private final Block gradRetain;
    private final Block gradCreate;
    private final ParameterStore parameterStore;
    private volatile boolean closed;

    /**
     * Loads the kernels for {@code device} into a new instance owned by the caller, who must {@link
     * #close()} it. Prefer the shared {@link #forDevice(Device)}.
     *
     * @param device the device of every array passed to this instance
     * @throws EngineException if the PyTorch engine is missing or a module fails to load
     */
    public Kernels(Device device) {
        this(device, false);
    }

    private Kernels(Device device, boolean shared) {
        this.device = device;
        this.shared = shared;
        try {
            Engine.getEngine("PyTorch");
            attentionModule = load(ATTENTION_CLASS, ATTENTION_SOURCE);
            castModule = load(CAST_CLASS, CAST_SOURCE);
            gradFree = load("TttGradFree", gradSource("TttGradFree", false, false));
            gradRetain = load("TttGradRetain", gradSource("TttGradRetain", true, false));
            gradCreate = load("TttGradCreate", gradSource("TttGradCreate", true, true));
        } catch (IOException | MalformedModelException | RuntimeException e) {
            closeModels();
            throw new EngineException("Cannot load the TorchScript kernels on " + device, e);
        }
        parameterStore = new ParameterStore(models.get(0).getNDManager(), false);
        for (DataType type :
                new DataType[] {DataType.FLOAT16, DataType.FLOAT32, DataType.FLOAT64}) {
            NDArray token = models.get(0).getNDManager().zeros(new Shape(1), type);
            // The shared instance may be created inside a caller's NDScope; keep the tokens.
            NDScope.unregister(token);
            typeTokens.put(type, token);
        }
    }

    /**
     * Returns the shared kernels of {@code device}, loading them on first use (thread-safe; at most
     * one load per device). Shared instances live until the JVM exits; {@link #close()} on them is
     * a no-op.
     *
     * @param device the device, e.g. {@code Device.cpu()} or {@code Device.gpu(0)}
     * @return the shared instance for {@code device}
     * @throws EngineException if the kernels cannot be loaded
     */
    public static Kernels forDevice(Device device) {
        if (device == null) {
            throw new IllegalArgumentException("device must not be null");
        }
        return SHARED.computeIfAbsent(device, d -> new Kernels(d, true));
    }

    /**
     * Turns off the profiling graph executor ({@code JniUtils.setGraphExecutorOptimize(false)}) on
     * the calling thread, where it is a thread-local setting. Every kernel call does this itself
     * (it costs well under a microsecond); a worker may call it once upfront when it also runs
     * other TorchScript.
     */
    public static void prepareThread() {
        JniUtils.setGraphExecutorOptimize(false);
    }

    /**
     * Returns the device of this instance.
     *
     * @return the device every argument must be on
     */
    public Device getDevice() {
        return device;
    }

    /**
     * Returns fused masked scaled dot-product attention with grouped-query heads, through {@code
     * torch.scaled_dot_product_attention} (default scale {@code 1/sqrt(hd)}, no dropout).
     *
     * <p>{@code out[b, h] = softmax(q[b, h] · k[b, h / G]ᵀ / sqrt(hd) + mask) · v[b, h / G]} with
     * {@code G = H / Hkv}; equal to {@link PlainAttention#plainAttention} up to rounding.
     *
     * <p>GQA ({@code H > Hkv}): {@code q} is viewed as {@code [B, Hkv, G·n, hd]} and the mask tiled
     * to {@code [G·n, m]}, so {@code k} and {@code v} are never repeated. {@code enable_gqa=True}
     * exists in PyTorch 2.7.1 but sends a masked call to the unfused math backend: on this CPU it
     * was 2-4 times slower (and the memory-efficient CUDA kernel, the one that takes a mask, does
     * not support it either).
     *
     * <p>With {@code differentiable=true} the module runs with grad mode on (the thread's mode is
     * restored afterwards), so autograd records through it and first-order gradients (e.g. with
     * {@link #grad}) flow back to {@code q}, {@code k} and {@code v}. Second-order gradients do
     * not: PyTorch's CPU flash backend has no double backward (tested) and neither have the CUDA
     * fused backends; use {@link PlainAttention} there. With {@code false} it runs with grad mode
     * off: the result is an ordinary tensor without autograd history (not an inference tensor, see
     * the class notes), usable in later graphs and in-place ops.
     *
     * @param q queries {@code [B, H, n, hd]}, fp32 or fp16 (fp16 on CPU works in PyTorch 2.7.1)
     * @param k keys {@code [B, Hkv, m, hd]}, {@code H} a multiple of {@code Hkv}, same dtype
     * @param v values {@code [B, Hkv, m, hd]}, same dtype
     * @param mask additive mask {@code [n, m]} (0 visible, {@code -inf} hidden), same dtype,
     *     broadcast over batch and heads; every row needs a visible key
     * @param differentiable whether autograd must record through the call
     * @return the output {@code [B, H, n, hd]}, attached to {@code q}'s manager
     * @throws IllegalArgumentException if shapes, dtypes or devices do not match
     * @throws IllegalStateException if this instance is closed
     */
    public NDArray attention(
            NDArray q, NDArray k, NDArray v, NDArray mask, boolean differentiable) {
        checkOpen();
        PlainAttention.checkAttentionArguments(q, k, v, mask);
        checkDevice(q);
        checkDevice(k);
        checkDevice(v);
        checkDevice(mask);
        prepareThread();
        boolean previous = JniUtils.isGradMode();
        boolean switchGrad = previous != differentiable;
        List<NDArray> aliases = new ArrayList<>(4);
        try {
            if (switchGrad) {
                JniUtils.setGradMode(differentiable);
            }
            NDList in =
                    new NDList(
                            plain(q, aliases),
                            plain(k, aliases),
                            plain(v, aliases),
                            plain(mask, aliases));
            return attentionModule.forward(parameterStore, in, true).singletonOrThrow();
        } finally {
            closeAll(aliases);
            if (switchGrad) {
                JniUtils.setGradMode(previous);
            }
        }
    }

    /**
     * Returns {@code x} converted to {@code type}, recorded by autograd when grad mode is on.
     *
     * <p>DJL 0.35.1's {@code toType} (and {@code JniUtils.to}) returns a tensor <i>without</i>
     * autograd history whenever the dtype changes, so a gradient cannot flow through it (tested:
     * "element 0 of tensors does not require grad"). Under grad mode this method therefore casts
     * with {@code torch.type_as} inside a TorchScript module; otherwise it is DJL's {@code toType},
     * which is cheaper.
     *
     * @param x any floating-point array on this device
     * @param type the target floating-point type
     * @return {@code x} itself if it already has {@code type}, else a new array of the same shape
     *     attached to {@code x}'s manager
     * @throws IllegalStateException if this instance is closed
     */
    public NDArray cast(NDArray x, DataType type) {
        if (x.getDataType() == type) {
            return x;
        }
        if (!JniUtils.isGradMode()) {
            return x.toType(type, false);
        }
        checkOpen();
        checkDevice(x);
        prepareThread();
        NDArray like = typeTokens.get(type);
        if (like == null) {
            throw new IllegalArgumentException("cannot cast to " + type + " under grad mode");
        }
        List<NDArray> aliases = new ArrayList<>(2);
        try {
            NDList in = new NDList(plain(x, aliases), plain(like, aliases));
            return castModule.forward(parameterStore, in, true).singletonOrThrow();
        } finally {
            closeAll(aliases);
        }
    }

    /**
     * Returns the gradients of a scalar {@code loss} with respect to each of {@code inputs},
     * through {@code torch.autograd.grad([loss], inputs, retain_graph=createGraph,
     * create_graph=createGraph, allow_unused=True)}.
     *
     * <p>{@code out[i] = ∂loss / ∂inputs[i]} (zeros, without history, where {@code loss} does not
     * depend on {@code inputs[i]}). Nothing is accumulated into any {@code .grad}. See {@link
     * #grad(NDArray, NDList, boolean, boolean)}.
     *
     * @param loss a scalar (one element) computed from {@code inputs} under grad mode
     * @param inputs the tensors to differentiate with respect to; each must require gradients
     * @param createGraph whether the gradients get an autograd history (for second order); also
     *     keeps the graph of {@code loss}
     * @return one gradient per input, same shapes and dtypes, attached to {@code loss}'s manager
     */
    public NDList grad(NDArray loss, NDList inputs, boolean createGraph) {
        return grad(loss, inputs, createGraph, createGraph);
    }

    /**
     * Returns the gradients of a scalar {@code loss} with respect to each of {@code inputs},
     * through {@code torch.autograd.grad([loss], inputs, None, retainGraph, createGraph,
     * allow_unused=True)}; an input the loss does not depend on gets zeros.
     *
     * <p>{@code out[i] = ∂loss / ∂inputs[i]}, with {@code out[i].shape == inputs[i].shape}.
     *
     * <p>Functional: no {@code .grad} of any tensor is read or written, and no lock is taken, so
     * any number of threads may call it at once. {@code retainGraph=true} keeps the graph of {@code
     * loss} so that further gradients of it (or of anything sharing its graph) can be taken; {@code
     * createGraph=true} records the backward pass itself, so that a later call on a function of the
     * returned gradients gives exact second-order terms (not through fused {@link #attention}).
     *
     * <p>Requirements: grad mode was on in the thread that built {@code loss}, and every input
     * requires gradients (a leaf with {@code setRequiresGradient(true)} or a tensor computed from
     * one under grad mode); otherwise PyTorch's error comes back as an {@link EngineException}.
     *
     * @param loss a scalar (one element) floating-point tensor
     * @param inputs the tensors to differentiate with respect to (at least one)
     * @param retainGraph whether the graph of {@code loss} survives the call
     * @param createGraph whether the gradients get an autograd history; requires {@code
     *     retainGraph}
     * @return one gradient per input, same shapes and dtypes, attached to {@code loss}'s manager
     * @throws IllegalArgumentException if {@code loss} is not a scalar, {@code inputs} is empty,
     *     arrays are not PyTorch arrays on this device, or {@code createGraph && !retainGraph}
     * @throws EngineException if PyTorch rejects the call (no graph, input without gradient, graph
     *     already freed)
     * @throws IllegalStateException if this instance is closed
     */
    public NDList grad(NDArray loss, NDList inputs, boolean retainGraph, boolean createGraph) {
        checkOpen();
        if (loss == null || inputs == null || inputs.isEmpty()) {
            throw new IllegalArgumentException("loss and at least one input are required");
        }
        Shape shape = loss.getShape();
        if (shape.size() != 1 || !loss.getDataType().isFloating()) {
            throw new IllegalArgumentException(
                    "loss must be a floating-point scalar (one element); got shape "
                            + shape
                            + " and dtype "
                            + loss.getDataType());
        }
        if (createGraph && !retainGraph) {
            throw new IllegalArgumentException(
                    "createGraph requires retainGraph: a second-order pass needs the first graph");
        }
        checkDevice(loss);
        for (NDArray input : inputs) {
            if (input == null) {
                throw new IllegalArgumentException("inputs must not contain null");
            }
            checkDevice(input);
        }
        prepareThread();
        Block block = createGraph ? gradCreate : retainGraph ? gradRetain : gradFree;
        boolean enableGrad = createGraph && !JniUtils.isGradMode();
        List<NDArray> aliases = new ArrayList<>(inputs.size() + 1);
        try {
            if (enableGrad) {
                JniUtils.setGradMode(true);
            }
            NDList in = new NDList(inputs.size() + 1);
            in.add(plain(loss, aliases));
            for (NDArray input : inputs) {
                in.add(alias(input, LIST_NAME, aliases));
            }
            NDList out;
            try {
                out = block.forward(parameterStore, in, true);
            } catch (EngineException e) {
                throw new EngineException(
                        "torch.autograd.grad failed. Common causes: grad mode was off while the"
                                + " loss was built, an input does not require gradients, the graph"
                                + " was freed by an earlier call without retainGraph, or a second"
                                + " order through fused attention. PyTorch says: "
                                + e.getMessage(),
                        e);
            }
            if (out.size() != inputs.size()) {
                out.close();
                throw new EngineException(
                        "grad kernel returned " + out.size() + " arrays for " + inputs.size());
            }
            return out;
        } finally {
            closeAll(aliases);
            if (enableGrad) {
                JniUtils.setGradMode(false);
            }
        }
    }

    /**
     * Releases the modules of a private instance (from {@link #Kernels(Device)}); calls made after
     * this fail with {@link IllegalStateException}. Does nothing on a shared instance (from {@link
     * #forDevice(Device)}). Must not race with calls in flight.
     */
    @Override
    public void close() {
        if (shared || closed) {
            return;
        }
        closed = true;
        closeModels();
    }

    /**
     * Returns the TorchScript source of the gradient module {@code className}.
     *
     * @param className the module class
     * @param retainGraph the {@code retain_graph} constant
     * @param createGraph the {@code create_graph} constant
     * @return the source
     */
    static String gradSource(String className, boolean retainGraph, boolean createGraph) {
        return "class "
                + className
                + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + "  def forward(self: __torch__."
                + className
                + ",\n"
                + "    loss: Tensor,\n"
                + "    w: List[Tensor]) -> List[Tensor]:\n"
                + "    gs = torch.autograd.grad([loss], w, None, "
                + pyBool(retainGraph)
                + ", "
                + pyBool(createGraph)
                + ", True)\n"
                + "    out = annotate(List[Tensor], [])\n"
                + "    for i in range(torch.len(w)):\n"
                + "      g = gs[i]\n"
                + "      if torch.__is__(g, None):\n"
                + "        _0 = torch.append(out, torch.zeros_like(w[i]))\n"
                + "      else:\n"
                + "        _1 = torch.append(out, unchecked_cast(Tensor, g))\n"
                + "    return out\n";
    }

    /**
     * Returns the TorchScript source of the attention module.
     *
     * @return the source
     */
    static String attentionSource() {
        return ATTENTION_SOURCE;
    }

    private static String pyBool(boolean b) {
        return b ? "True" : "False";
    }

    private Block load(String className, String source)
            throws IOException, MalformedModelException {
        Model model = Model.newInstance("ttt-kernel-" + className, device, "PyTorch");
        // Keep a strong reference: a Model that is garbage collected releases its block.
        models.add(model);
        TorchScriptArchive.loadInto(model, className, source, Map.of());
        return model.getBlock();
    }

    private void closeModels() {
        for (Model model : models) {
            model.close();
        }
        models.clear();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("These kernels are closed");
        }
    }

    private void checkDevice(NDArray array) {
        if (!(array instanceof PtNDArray)) {
            throw new IllegalArgumentException(
                    "PyTorch engine arrays are required; got " + array.getClass().getName());
        }
        if (!array.getDevice().equals(device)) {
            throw new IllegalArgumentException(
                    "array on " + array.getDevice() + " passed to the kernels of " + device);
        }
    }

    /** Returns {@code array} if DJL passes it as a plain tensor, else an unnamed alias of it. */
    private static NDArray plain(NDArray array, List<NDArray> aliases) {
        String name = array.getName();
        if (name == null || PLAIN_NAME.matcher(name).matches()) {
            return array;
        }
        return alias(array, null, aliases);
    }

    /** Returns a new handle to the same tensor (same storage, same autograd identity). */
    private static NDArray alias(NDArray array, String name, List<NDArray> aliases) {
        PtNDArray a = (PtNDArray) array;
        PtNDArray alias = JniUtils.to(a, a.getDataType(), a.getDevice());
        aliases.add(alias);
        alias.setName(name);
        return alias;
    }

    private static void closeAll(List<NDArray> arrays) {
        for (NDArray array : arrays) {
            array.close();
        }
    }
}
