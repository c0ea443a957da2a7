package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;

/**
 * The keys and values one attention layer keeps from earlier positions.
 *
 * <p>Keys are stored after QK-norm and RoPE (absolute positions), so they never need recomputing.
 * Which cached slot holds which position, and so the attention mask, is the engine's business.
 */
public interface KeyValueCache {

    /**
     * Returns the cached keys.
     *
     * @return {@code [B, Hkv, C, hd]}, or {@code null} when the cache holds no slots
     */
    NDArray keys();

    /**
     * Returns the cached values.
     *
     * @return {@code [B, Hkv, C, hd]}, or {@code null} when the cache holds no slots
     */
    NDArray values();

    /**
     * Stores the keys and values of n new positions (the latest of the sequence).
     *
     * @param k {@code [B, Hkv, n, hd]}
     * @param v {@code [B, Hkv, n, hd]}
     */
    void append(NDArray k, NDArray v);
}
