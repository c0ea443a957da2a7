package ai.ttt.block.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.nn.TorchOps;
import java.util.ArrayList;
import java.util.List;

/**
 * Attention written with ordinary DJL ops: the reference for the fused kernel ({@link
 * Kernels#attention}) and the implementation to use wherever second-order gradients must pass
 * through attention (meta-gradients), since PyTorch's fused attention backends have no double
 * backward.
 *
 * <p>Stateless and thread-safe.
 */
public final class PlainAttention {

    private PlainAttention() {}

    /**
     * Returns masked scaled dot-product attention with grouped-query heads, computed with plain DJL
     * ops (matmul, add, softmax, matmul), fully differentiable to any order.
     *
     * <p>{@code out[b, h] = softmax(q[b, h] · k[b, h / G]ᵀ / sqrt(hd) + mask) · v[b, h / G]}, with
     * {@code G = H / Hkv} query heads per key/value head (query head {@code h} reads key/value head
     * {@code h / G}, as {@code repeat_interleave} / {@code enable_gqa} do).
     *
     * <p>The scores, the mask and the softmax are computed in fp32 whatever the input dtype; the
     * two matmuls run in the input dtype. GQA is done by viewing {@code q} as {@code [B, Hkv, G·n,
     * hd]} (a reshape; a view when {@code q} is contiguous), so {@code k} and {@code v} are never
     * repeated or copied.
     *
     * <p>Memory: the result is attached to {@code q}'s manager; intermediates are closed before
     * returning (an autograd graph keeps its own references to what it needs).
     *
     * @param q queries {@code [B, H, n, hd]}, fp32, fp16 or fp64
     * @param k keys {@code [B, Hkv, m, hd]} with {@code H} a multiple of {@code Hkv}, same dtype
     * @param v values {@code [B, Hkv, m, hd]}, same dtype
     * @param mask additive mask {@code [n, m]} (0 where visible, {@code -inf} where not), same
     *     dtype, broadcast over batch and heads; every row must have a visible key
     * @return the attention output {@code [B, H, n, hd]} in {@code q}'s dtype
     * @throws IllegalArgumentException if the shapes, dtypes or devices do not match
     */
    public static NDArray plainAttention(NDArray q, NDArray k, NDArray v, NDArray mask) {
        checkAttentionArguments(q, k, v, mask);
        Shape qs = q.getShape();
        long b = qs.get(0);
        long h = qs.get(1);
        long n = qs.get(2);
        long hd = qs.get(3);
        long hkv = k.getShape().get(1);
        long m = k.getShape().get(2);
        long g = h / hkv;
        DataType dtype = q.getDataType();
        boolean upcast = dtype != DataType.FLOAT32 && dtype != DataType.FLOAT64;
        DataType softmaxType = upcast ? DataType.FLOAT32 : dtype;

        List<NDArray> temps = new ArrayList<>();
        try {
            NDArray qg = keep(temps, q.reshape(b, hkv, g * n, hd));
            NDArray kt = keep(temps, k.transpose(0, 1, 3, 2));
            NDArray s = keep(temps, qg.matMul(kt)); // [B, Hkv, G·n, m]
            if (upcast) {
                s = keep(temps, kernels(s).cast(s, softmaxType));
            }
            // An engine-owned scale: DJL's mul(Number) makes a Java-backed scalar and closes it,
            // but autograd saves it for the backward pass (a use-after-free once GC runs).
            NDArray scale =
                    keep(
                            temps,
                            TorchOps.constant(
                                    s.getManager(), 1.0 / Math.sqrt(hd), s.getDataType()));
            s = keep(temps, s.mul(scale));
            s = keep(temps, s.reshape(b, hkv, g, n, m));
            NDArray maskS = mask;
            if (upcast) {
                maskS = keep(temps, kernels(mask).cast(mask, softmaxType));
            }
            s = keep(temps, s.add(maskS));
            NDArray p = keep(temps, s.softmax(-1));
            if (upcast) {
                p = keep(temps, kernels(p).cast(p, dtype));
            }
            p = keep(temps, p.reshape(b, hkv, g * n, m));
            NDArray o = keep(temps, p.matMul(v)); // [B, Hkv, G·n, hd]
            return o.reshape(b, h, n, hd);
        } finally {
            for (NDArray t : temps) {
                t.close();
            }
        }
    }

    /**
     * Checks the arguments of an attention call (shared by {@link Kernels#attention}).
     *
     * @param q queries {@code [B, H, n, hd]}
     * @param k keys {@code [B, Hkv, m, hd]}
     * @param v values {@code [B, Hkv, m, hd]}
     * @param mask additive mask {@code [n, m]}
     * @throws IllegalArgumentException on any mismatch
     */
    static void checkAttentionArguments(NDArray q, NDArray k, NDArray v, NDArray mask) {
        if (q == null || k == null || v == null || mask == null) {
            throw new IllegalArgumentException("q, k, v and mask must not be null");
        }
        Shape qs = q.getShape();
        Shape ks = k.getShape();
        Shape ms = mask.getShape();
        if (qs.dimension() != 4 || ks.dimension() != 4) {
            throw new IllegalArgumentException(
                    "q must be [B, H, n, hd] and k, v [B, Hkv, m, hd]; got q " + qs + ", k " + ks);
        }
        if (!ks.equals(v.getShape())) {
            throw new IllegalArgumentException(
                    "k and v must have the same shape; got k " + ks + ", v " + v.getShape());
        }
        if (qs.get(0) != ks.get(0) || qs.get(3) != ks.get(3)) {
            throw new IllegalArgumentException(
                    "q and k must agree in batch and head_dim; got q " + qs + ", k " + ks);
        }
        if (ks.get(1) <= 0 || qs.get(1) % ks.get(1) != 0) {
            throw new IllegalArgumentException(
                    "the query heads H must be a multiple of the key/value heads Hkv; got q "
                            + qs
                            + ", k "
                            + ks);
        }
        if (ms.dimension() != 2 || ms.get(0) != qs.get(2) || ms.get(1) != ks.get(2)) {
            throw new IllegalArgumentException(
                    "mask must be [n, m] = [" + qs.get(2) + ", " + ks.get(2) + "]; got " + ms);
        }
        DataType dtype = q.getDataType();
        if (!dtype.isFloating()
                || k.getDataType() != dtype
                || v.getDataType() != dtype
                || mask.getDataType() != dtype) {
            throw new IllegalArgumentException(
                    "q, k, v and mask must share one floating dtype; got "
                            + dtype
                            + ", "
                            + k.getDataType()
                            + ", "
                            + v.getDataType()
                            + ", "
                            + mask.getDataType());
        }
        if (!k.getDevice().equals(q.getDevice())
                || !v.getDevice().equals(q.getDevice())
                || !mask.getDevice().equals(q.getDevice())) {
            throw new IllegalArgumentException("q, k, v and mask must be on one device");
        }
    }

    private static Kernels kernels(NDArray array) {
        return Kernels.forDevice(array.getDevice());
    }

    private static NDArray keep(List<NDArray> temps, NDArray array) {
        temps.add(array);
        return array;
    }
}
