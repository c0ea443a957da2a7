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
 * The KV caches of a group of layers that keep the same number of slots C, and the bookkeeping of
 * which absolute position each slot holds.
 *
 * <p>The prefix layers keep C = k − 1 slots (the window before a chunk); the suffix layers keep C =
 * k − 1 + b, so that a mini-batch completed by decoding can be re-run for its test-time-training
 * step with the window before it still cached. Two storage modes share this class:
 *
 * <ul>
 *   <li>ring (inference): preallocated {@code [B, Hkv, C, hd]} buffers written in place at slot
 *       {@code position mod C}; values are stored detached;
 *   <li>functional (training): each append makes new arrays {@code [cache ; new]} trimmed to the
 *       last C, so gradients flow through cached keys and values.
 * </ul>
 *
 * <p>The slot positions live on the device ({@code [C]} int64, −2⁴⁰ for empty slots) so that the
 * attention mask is built there without a host round trip.
 */
final class CacheGroup implements AutoCloseable {

    static final long EMPTY = -(1L << 40);

    private final int capacity;
    private final int window;
    private final boolean functional;
    private final List<Layer> layers = new ArrayList<>();
    private final NDArray zeroI;
    private final NDArray windowI;
    private final NDArray emptyI;
    private final NDArray zeroMask;
    private final NDArray blockedMask;
    private NDArray slotPositions; // [C] int64
    private long written; // positions 0 … written−1 have been appended
    private long pendingStart;
    private int pendingCount;

    /**
     * Creates the group.
     *
     * @param manager owns the buffers (the state's manager)
     * @param capacity C slots (may be 0)
     * @param window k
     * @param functional training mode
     * @param maskType the type of masks (the matmul type)
     */
    CacheGroup(NDManager manager, int capacity, int window, boolean functional, DataType maskType) {
        this.capacity = capacity;
        this.window = window;
        this.functional = functional;
        this.zeroI = TorchOps.constant(manager, 0L);
        this.windowI = TorchOps.constant(manager, (long) window);
        this.emptyI = TorchOps.constant(manager, EMPTY);
        this.zeroMask = manager.zeros(new Shape(), maskType);
        this.blockedMask = manager.full(new Shape(), Float.NEGATIVE_INFINITY, maskType);
        if (capacity > 0) {
            slotPositions = manager.full(new Shape(capacity), EMPTY, DataType.INT64);
        }
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
        if (capacity > 0) {
            Shape s = new Shape(batch, kvHeads, capacity, headDim);
            l.keys = manager.zeros(s, type);
            l.values = manager.zeros(s, type);
        }
        layers.add(l);
        return l;
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
     * Builds the additive mask of n queries over the C slots followed by the n new positions: a key
     * is visible iff its position j satisfies i − k &lt; j ≤ i, and a cached slot only if it
     * precedes the chunk (slots of the chunk itself, cached by decoding, are hidden so a re-run of
     * the chunk sees its own fresh keys instead).
     *
     * @param queryPositions {@code [n]} int64, consecutive from chunkStart
     * @param chunkStart 0-d int64, the first query position
     * @return {@code [n, C + n]} of 0 and −∞
     */
    NDArray mask(NDArray queryPositions, NDArray chunkStart) {
        long n = queryPositions.getShape().get(0);
        NDArray keyPositions = queryPositions;
        if (capacity > 0) {
            NDArray cached = TorchOps.where(slotPositions.lt(chunkStart), slotPositions, emptyI);
            keyPositions = cached.concat(queryPositions, 0);
        }
        long m = keyPositions.getShape().get(0);
        NDArray distance = queryPositions.reshape(n, 1).sub(keyPositions.reshape(1, m));
        NDArray visible = distance.gte(zeroI).logicalAnd(distance.lt(windowI));
        return TorchOps.where(visible, zeroMask, blockedMask);
    }

    /**
     * Announces the positions the next appends belong to (every layer of the group appends once).
     *
     * @param start first position
     * @param count number of positions
     */
    void beginChunk(long start, int count) {
        if (start != written) {
            throw new IllegalStateException(
                    "cache holds positions up to " + written + ", chunk starts at " + start);
        }
        pendingStart = start;
        pendingCount = count;
    }

    /**
     * Records the chunk's positions once every layer has appended.
     *
     * @param queryPositions {@code [n]} int64 positions of the chunk
     */
    void endChunk(NDArray queryPositions) {
        if (capacity > 0) {
            if (functional) {
                slotPositions = trim(slotPositions.concat(queryPositions, 0), 0);
            } else {
                writeRing(slotPositions, queryPositions, 0);
            }
        }
        written = pendingStart + pendingCount;
    }

    /**
     * Returns how many positions have been appended.
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
     * Returns the slot positions (for saving).
     *
     * @return {@code [C]} int64, or {@code null} when C = 0
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

    /** {@inheritDoc} */
    @Override
    public void close() {
        // Buffers belong to the state's manager and close with it.
    }

    /** One layer's keys and values. */
    private final class Layer implements KeyValueCache {
        private NDArray keys;
        private NDArray values;

        /** {@inheritDoc} */
        @Override
        public NDArray keys() {
            return keys;
        }

        /** {@inheritDoc} */
        @Override
        public NDArray values() {
            return values;
        }

        /** {@inheritDoc} */
        @Override
        public void append(NDArray k, NDArray v) {
            if (capacity == 0) {
                return;
            }
            if (functional) {
                keys = trim(keys.concat(k, 2), 2);
                values = trim(values.concat(v, 2), 2);
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
}
