package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.nn.KeyValueCache;
import ai.ttt.block.nn.TorchOps;
import java.util.ArrayList;
import java.util.List;

/**
 * The KV caches of a group of layers that keep the same number of slots, and the bookkeeping of
 * which absolute position each slot holds.
 *
 * <p>Every layer keeps C = k − 1 + b slots: the window before a chunk of up to b new positions plus
 * the chunk itself. So a chunk can be written into the cache first and attended there, with no copy
 * of the cache (the usual path), and a mini-batch completed by decoding can be re-run for its
 * test-time-training step with the window before it still cached. Two storage modes share this
 * class:
 *
 * <ul>
 *   <li>ring (inference): preallocated {@code [B, Hkv, C, hd]} buffers written in place at slot
 *       {@code position mod C}; values are stored detached;
 *   <li>functional (training): each append makes new arrays {@code [cache ; new]} trimmed to the
 *       last C, so gradients flow through cached keys and values.
 * </ul>
 *
 * <p>The slot positions live on the device ({@code [C]} int64, −2⁴⁰ for empty slots), so masks are
 * built there without a host round trip. Until the ring has wrapped, only its filled prefix is
 * attended (a full-attention model does not pay for empty slots).
 */
final class CacheGroup {

    static final long EMPTY = -(1L << 40);

    private final int capacity;
    private final boolean mirrored;
    private final boolean functional;
    private final List<Layer> layers = new ArrayList<>();
    private final NDArray zeroI;
    private final NDArray windowI;
    private final NDArray emptyI;
    private final NDArray zeroMask;
    private final NDArray blockedMask;
    private NDArray slotPositions; // ring: [C]; functional: [≤ C], oldest first
    private NDArray previousPositions; // functional: the slots before the current chunk
    private long written; // positions 0 … written−1 have been announced
    private long pendingStart;
    private int pendingCount;

    /**
     * Creates the group.
     *
     * @param manager owns the buffers (the state's manager)
     * @param capacity C slots
     * @param window k
     * @param functional training mode
     * @param maskType the type of masks (the matmul type)
     * @param mirrored whether each ring is the first half of a slot-major {@code [B, 2C, Hkv, hd]}
     *     buffer whose second half the program keeps equal to it ({@code TttProgram.mirrorsRings})
     */
    CacheGroup(
            NDManager manager,
            int capacity,
            int window,
            boolean functional,
            DataType maskType,
            boolean mirrored) {
        this.capacity = capacity;
        this.mirrored = mirrored && !functional;
        this.functional = functional;
        this.zeroI = TorchOps.constant(manager, 0L);
        this.windowI = TorchOps.constant(manager, (long) window);
        this.emptyI = TorchOps.constant(manager, EMPTY);
        this.zeroMask = manager.zeros(new Shape(), maskType);
        this.blockedMask = manager.full(new Shape(), Float.NEGATIVE_INFINITY, maskType);
        this.slotPositions =
                functional
                        ? manager.zeros(new Shape(0), DataType.INT64)
                        : manager.full(new Shape(capacity), EMPTY, DataType.INT64);
    }

    /**
     * Adds the cache of one layer.
     *
     * @param manager owns the buffers
     * @param batch B
     * @param kvHeads Hkv
     * @param headDim hd
     * @param type the stored type (matmul type)
     * @return the layer's cache
     */
    KeyValueCache addLayer(
            NDManager manager, long batch, long kvHeads, long headDim, DataType type) {
        Layer l = new Layer();
        if (!functional) {
            // Mirrored rings are slot-major [B, 2C, Hkv, hd] (the program's layout, see
            // TttProgram.mirrorsRings); the plain engine, saving and restoring see the first C
            // slots as a [B, Hkv, C, hd] view.
            Shape s =
                    mirrored
                            ? new Shape(batch, 2L * capacity, kvHeads, headDim)
                            : new Shape(batch, kvHeads, capacity, headDim);
            l.keyBuffer = manager.zeros(s, type);
            l.valueBuffer = manager.zeros(s, type);
            l.keys = mirrored ? firstHalf(l.keyBuffer) : l.keyBuffer;
            l.values = mirrored ? firstHalf(l.valueBuffer) : l.valueBuffer;
        }
        layers.add(l);
        return l;
    }

    private NDArray firstHalf(NDArray buffer) {
        return buffer.get(range(1, 0, capacity)).transpose(0, 2, 1, 3);
    }

    /**
     * Returns C.
     *
     * @return the number of slots
     */
    int capacity() {
        return capacity;
    }

    /**
     * Announces the next chunk of positions and records them in the slot positions; each layer of
     * the group then appends its keys and values for them once.
     *
     * @param start first position
     * @param queryPositions {@code [n]} int64 positions {@code start …}
     */
    void beginChunk(long start, NDArray queryPositions) {
        if (start != written) {
            throw new IllegalStateException(
                    "cache holds positions up to " + written + ", chunk starts at " + start);
        }
        int count = (int) queryPositions.getShape().get(0);
        if (count > capacity) {
            throw new IllegalArgumentException(
                    "a chunk of " + count + " positions exceeds the cache of " + capacity);
        }
        pendingStart = start;
        pendingCount = count;
        if (functional) {
            previousPositions = slotPositions;
            slotPositions = trim(slotPositions.concat(queryPositions, 0), 0);
        } else {
            writeRing(slotPositions, queryPositions, 0);
        }
        written = start + count;
    }

    /**
     * Builds the mask of n queries over the cached slots alone (the chunk's own keys are in the
     * cache): a key at position j is visible to a query at i iff i − k &lt; j ≤ i.
     *
     * @param queryPositions {@code [n]} int64
     * @return {@code [n, C']} of 0 and −∞, C' the attended slots
     */
    NDArray cacheMask(NDArray queryPositions) {
        return band(queryPositions, visible(slotPositions));
    }

    /**
     * Builds the mask of n queries over the cached slots before the chunk followed by the chunk's
     * own n fresh keys. Slots that hold positions of the chunk itself (written by {@link
     * #beginChunk}, or cached while decoding it) are hidden: the fresh keys stand for them.
     *
     * @param queryPositions {@code [n]} int64, consecutive from chunkStart
     * @param chunkStart 0-d int64, the first query position
     * @return {@code [n, C' + n]} of 0 and −∞
     */
    NDArray concatMask(NDArray queryPositions, NDArray chunkStart) {
        NDArray before = functional ? previousPositions : visible(slotPositions);
        NDArray keys = queryPositions;
        if (before.getShape().get(0) > 0) {
            NDArray hidden = TorchOps.where(before.lt(chunkStart), before, emptyI);
            keys = hidden.concat(queryPositions, 0);
        }
        return band(queryPositions, keys);
    }

    private NDArray band(NDArray queryPositions, NDArray keyPositions) {
        long n = queryPositions.getShape().get(0);
        long m = keyPositions.getShape().get(0);
        NDArray distance = queryPositions.reshape(n, 1).sub(keyPositions.reshape(1, m));
        NDArray visible = distance.gte(zeroI).logicalAnd(distance.lt(windowI));
        return TorchOps.where(visible, zeroMask, blockedMask);
    }

    /** The slots attended: all of them once the ring has wrapped, else its filled prefix. */
    private NDArray visible(NDArray ringAxis0) {
        long filled = filled();
        return filled == capacity || functional
                ? ringAxis0
                : ringAxis0.get(new NDIndex().addSliceDim(0, filled));
    }

    private long filled() {
        return Math.min(capacity, written);
    }

    /**
     * Returns how many positions have been announced.
     *
     * @return the next position
     */
    long written() {
        return written;
    }

    /**
     * Sets how many positions have been appended, after a saved state's buffers and slot positions
     * were copied back in.
     *
     * @param next the next position
     */
    void resumeAt(long next) {
        written = next;
    }

    /**
     * Training: puts the group back at a mini-batch boundary with given keys and values, as if
     * positions 0 … position−1 had been appended (recomputation from a stored carry).
     *
     * @param manager owns the new slot positions (the state's manager)
     * @param position the next position
     * @param keys per layer {@code [B, Hkv, min(C, position), hd]}, or {@code null}s at position 0
     * @param values per layer, same shapes
     */
    void restoreFunctional(
            NDManager manager, long position, List<NDArray> keys, List<NDArray> values) {
        if (!functional) {
            throw new IllegalStateException("only a training (functional) cache can be restored");
        }
        long slots = Math.min(capacity, position);
        for (int l = 0; l < layers.size(); l++) {
            NDArray k = keys.get(l);
            long held = k == null ? 0 : k.getShape().get(2);
            if (held != slots) {
                throw new IllegalArgumentException(
                        "layer "
                                + l
                                + ": a cache at position "
                                + position
                                + " holds "
                                + slots
                                + " slots, got "
                                + held);
            }
            layers.get(l).keys = k;
            layers.get(l).values = values.get(l);
        }
        slotPositions = manager.arange((int) (position - slots), (int) position, 1, DataType.INT64);
        previousPositions = null;
        written = position;
    }

    /**
     * Returns the slot positions (for saving).
     *
     * @return {@code [C]} int64
     */
    NDArray slotPositions() {
        return slotPositions;
    }

    /**
     * Returns the layers' caches in order.
     *
     * @return the caches
     */
    List<? extends KeyValueCache> layers() {
        return layers;
    }

    /** Copies the last min(n, C) entries of {@code source} (along axis) into their ring slots. */
    private void writeRing(NDArray target, NDArray source, int axis) {
        int n = pendingCount;
        int keep = Math.min(n, capacity);
        long first = pendingStart + n - keep;
        int slot = (int) Math.floorMod(first, (long) capacity);
        int head = Math.min(keep, capacity - slot);
        int offset = n - keep;
        target.set(
                range(axis, slot, slot + head),
                source.get(range(axis, offset, offset + head)).stopGradient());
        if (head < keep) {
            target.set(
                    range(axis, 0, keep - head),
                    source.get(range(axis, offset + head, offset + keep)).stopGradient());
        }
    }

    private NDArray trim(NDArray joined, int axis) {
        long len = joined.getShape().get(axis);
        return len <= capacity ? joined : joined.get(range(axis, len - capacity, len));
    }

    private static NDIndex range(int axis, long from, long to) {
        NDIndex index = new NDIndex();
        for (int i = 0; i < axis; i++) {
            index.addAllDim();
        }
        return index.addSliceDim(from, to);
    }

    /** One layer's keys and values. */
    private final class Layer implements KeyValueCache {
        private NDArray keys;
        private NDArray values;
        private NDArray keyBuffer; // the whole mirrored buffer, or keys
        private NDArray valueBuffer;

        /** {@inheritDoc} */
        @Override
        public NDArray keys() {
            return attended(keys);
        }

        /** {@inheritDoc} */
        @Override
        public NDArray values() {
            return attended(values);
        }

        private NDArray attended(NDArray buffer) {
            if (buffer == null) {
                return null;
            }
            long filled = filled();
            return functional || filled == capacity
                    ? buffer
                    : buffer.get(new NDIndex().addAllDim().addAllDim().addSliceDim(0, filled));
        }

        /** {@inheritDoc} */
        @Override
        public void append(NDArray k, NDArray v) {
            if (functional) {
                keys = keys == null ? k : trim(keys.concat(k, 2), 2);
                values = values == null ? v : trim(values.concat(v, 2), 2);
            } else {
                writeRing(keys, k, 2);
                writeRing(values, v, 2);
            }
        }
    }

    /**
     * Returns the keys buffer of a layer (for saving and restoring).
     *
     * @param layer index within the group
     * @return {@code [B, Hkv, C, hd]}
     */
    NDArray keysOf(int layer) {
        return layers.get(layer).keys;
    }

    /**
     * Returns the values buffer of a layer (for saving and restoring).
     *
     * @param layer index within the group
     * @return {@code [B, Hkv, C, hd]}
     */
    NDArray valuesOf(int layer) {
        return layers.get(layer).values;
    }

    /**
     * Returns the whole keys buffer of a layer, mirror included (for the program).
     *
     * @param layer index within the group
     * @return {@code [B, 2C, Hkv, hd]} when mirrored, else {@link #keysOf}
     */
    NDArray keyBufferOf(int layer) {
        return layers.get(layer).keyBuffer;
    }

    /**
     * Returns the whole values buffer of a layer, mirror included (for the program).
     *
     * @param layer index within the group
     * @return {@code [B, 2C, Hkv, hd]} when mirrored, else {@link #valuesOf}
     */
    NDArray valueBufferOf(int layer) {
        return layers.get(layer).valueBuffer;
    }
}
