package ai.ttt.block.programs;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import ai.ttt.block.nn.TorchOps;
import java.util.ArrayList;
import java.util.List;

/**
 * A sequence state's buffers as the program sees them, bound once per state: second handles to the
 * rings, slot positions, fast weights, open mini-batch and skip counters (the program updates them
 * in place), plus what only the program keeps:
 *
 * <ul>
 *   <li>the fast weights in the matmul type (fp16 on the GPU), refreshed by the first decoded token
 *       after a step (not by every step of a prefill), so a decoded token does not cast them again;
 *   <li>the cursor, {@code [4]} int64 on the CPU: position, open count, whether the fast weights in
 *       the matmul type are stale (refreshed on the next decode) and whether the mirror halves of
 *       mirrored rings are (copied before the next chunk). The program reads and advances it
 *       without a device round trip; the engine keeps the same two numbers on the Java side.
 * </ul>
 *
 * <p>Closing it releases the handles and those two buffers, never the engine's arrays.
 */
public final class ProgramState implements AutoCloseable {

    private final NDManager manager;
    private final IValue arguments;

    private ProgramState(NDManager manager, IValue arguments) {
        this.manager = manager;
        this.arguments = arguments;
    }

    /**
     * Binds a state's buffers.
     *
     * @param program the program the state will be read with (checks the ring size)
     * @param manager the state's manager (a sub-manager of it owns the handles)
     * @param keys per layer {@code [B, Hkv, C, hd]} rings, model order (slot-major {@code [B, 2C,
     *     Hkv, hd]} when the program {@linkplain TttProgram#mirrorsRings() mirrors rings})
     * @param values per layer, same shapes
     * @param prefixSlots {@code [C]} int64 positions held by the prefix rings' slots
     * @param suffixSlots {@code [C]} int64, the suffix rings'
     * @param fast the 2·S fast weights (stream type), empty when S = 0
     * @param openHidden {@code [B, b, d]} or {@code null} without test-time training
     * @param openTokens {@code [B, b + 1]} int64 or {@code null}
     * @param skipped {@code [B]} int64 skipped-step counters
     * @param learningRate η of the inner step (the config's times the state's scale)
     * @param position the state's position
     * @param openCount inputs of the open mini-batch
     * @return the binding; close it with the state
     */
    public static ProgramState bind(
            TttProgram program,
            NDManager manager,
            List<NDArray> keys,
            List<NDArray> values,
            NDArray prefixSlots,
            NDArray suffixSlots,
            List<NDArray> fast,
            NDArray openHidden,
            NDArray openTokens,
            NDArray skipped,
            double learningRate,
            long position,
            int openCount) {
        boolean mirrored = program.mirrorsRings();
        long slots = (mirrored ? 2L : 1L) * program.capacity();
        int slotAxis = mirrored ? 1 : 2;
        for (NDArray k : keys) {
            if (k.getShape().get(slotAxis) != slots) {
                throw new IllegalArgumentException(
                        "rings of "
                                + k.getShape().get(slotAxis)
                                + " slots; the program expects "
                                + slots);
            }
        }
        NDManager m = manager.newSubManager();
        List<NDArray> args = new ArrayList<>();
        for (int l = 0; l < keys.size(); l++) {
            args.add(keys.get(l));
            args.add(values.get(l));
        }
        args.add(prefixSlots);
        args.add(suffixSlots);
        args.addAll(fast);
        DataType matmul = program.precision().matmul();
        for (NDArray w : fast) {
            if (w.getDataType() == matmul) {
                args.add(w);
            } else {
                NDArray copy = w.toType(matmul, false);
                NDScope.unregister(copy);
                copy.attach(m);
                args.add(copy);
            }
        }
        NDArray absent = null;
        for (NDArray a : new NDArray[] {openHidden, openTokens}) {
            if (a != null) {
                args.add(a);
            } else {
                if (absent == null) {
                    absent = m.zeros(new Shape(0));
                    NDScope.unregister(absent);
                }
                args.add(absent);
            }
        }
        args.add(skipped);
        NDManager host = m.newSubManager(Device.cpu());
        args.add(hostArray(host.create(new double[] {learningRate})));
        // The mirror halves are marked stale: whatever wrote the rings before (a restore, the plain
        // engine) wrote the first halves only.
        args.add(hostArray(host.create(new long[] {position, openCount, 0, 1})));
        // One list for the life of the state: it holds references to the engine's tensors (the
        // program updates them in place), released when the state's manager closes.
        IValue list = IValue.listFrom(args.toArray(new PtNDArray[0]));
        m.attachInternal(list.getUid(), list);
        return new ProgramState(m, list);
    }

    private static NDArray hostArray(NDArray javaBacked) {
        // Engine-owned (the program writes the cursor in place; see TorchOps.owned).
        NDArray a = TorchOps.owned(javaBacked);
        NDScope.unregister(a);
        return a;
    }

    /**
     * Returns the arguments in the program's order, as one list.
     *
     * @return the list (owned by this binding)
     */
    IValue arguments() {
        return arguments;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        manager.close();
    }
}
