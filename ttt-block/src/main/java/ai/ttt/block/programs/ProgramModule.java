package ai.ttt.block.programs;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.ttt.block.kernels.TorchScriptArchive;
import ai.ttt.block.nn.TorchOps;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The program module for one set of hyperparameters on one device: the resource {@code
 * TttProgram.torchscript} with the hyperparameters as module attributes, written by {@link
 * TorchScriptArchive} to a private temporary file, loaded once and shared (like the kernels).
 *
 * <p>Calls pass IValues ({@link ModuleCalls}): the weight and state lists are built once by their
 * owners, a call adds only its tokens and flags. Methods set PyTorch's grad mode themselves and
 * restore it.
 */
final class ProgramModule {

    private static final String CLASS_NAME = "TttProgram";
    private static final String SOURCE = readSource();
    private static final Map<Key, ProgramModule> LOADED = new ConcurrentHashMap<>();

    private final Model model;
    private final PtSymbolBlock block;
    private final NDManager host;
    private final Map<Integer, IValue> flags = new ConcurrentHashMap<>();

    private record Key(Map<String, Object> attributes, Device device) {}

    private ProgramModule(Map<String, Object> attributes, Device device) {
        Engine.getEngine("PyTorch");
        ModuleCalls.check();
        this.model = Model.newInstance("ttt-program", device, "PyTorch");
        try {
            TorchScriptArchive.loadInto(model, CLASS_NAME, SOURCE, attributes);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new EngineException("Cannot load the TTT-E2E program on " + device, e);
        }
        this.block = (PtSymbolBlock) model.getBlock();
        // Host-side constants (method selectors, flags) live on the CPU whatever the device.
        this.host = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    }

    /**
     * Returns the loaded module for these attributes on this device, loading it on first use.
     *
     * @param attributes the module attributes, in a fixed order
     * @param device where its arguments live
     * @return the shared module (alive until the JVM exits)
     */
    static ProgramModule of(Map<String, Object> attributes, Device device) {
        return LOADED.computeIfAbsent(
                new Key(Map.copyOf(attributes), device),
                k -> new ProgramModule(attributes, device));
    }

    /**
     * Runs a method of the module.
     *
     * @param method the method name
     * @param results the manager the returned arrays attach to
     * @param inference whether it runs under InferenceMode (see {@link ModuleCalls#run})
     * @param arguments its arguments (the caller keeps and closes them)
     * @return the returned list
     */
    NDList call(String method, PtNDManager results, boolean inference, IValue... arguments) {
        try (IValue out = ModuleCalls.run(block, method, inference, arguments)) {
            return out.toNDList(results);
        }
    }

    /**
     * Returns the host tensor holding a chunk call's flags (made once per combination, so a call
     * uploads nothing).
     *
     * @param f the flags
     * @return {@code [6]} int64 on the CPU, as an IValue (kept for the life of the module)
     */
    IValue flags(ChunkFlags f) {
        return flags.computeIfAbsent(
                f.bits(), b -> IValue.from((PtNDArray) kept(host.create(f.values()))));
    }

    /**
     * Returns the source of the program (for tests and documentation).
     *
     * @return the TorchScript source
     */
    static String source() {
        return SOURCE;
    }

    /** Owned by the engine and kept out of any caller's scope (it outlives the call). */
    private static NDArray kept(NDArray javaBacked) {
        NDArray a = TorchOps.owned(javaBacked);
        NDScope.unregister(a);
        return a;
    }

    private static String readSource() {
        try (InputStream in =
                ProgramModule.class.getResourceAsStream(CLASS_NAME + ".torchscript")) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + CLASS_NAME + ".torchscript");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
