package ai.ttt.block.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/** Deterministic test tensors made in Java (no engine RNG, so any thread gets the same data). */
final class KernelTestData {

    private KernelTestData() {}

    /** Returns a standard-normal array of {@code shape} in {@code dtype}, from {@code random}. */
    static NDArray normal(NDManager manager, Random random, DataType dtype, long... shape) {
        Shape s = new Shape(shape);
        double[] values = new double[Math.toIntExact(s.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextGaussian();
        }
        return fromDoubles(manager, values, dtype, shape);
    }

    /** Returns an array holding {@code values} (converted to {@code dtype}). */
    static NDArray fromDoubles(NDManager manager, double[] values, DataType dtype, long... shape) {
        Shape s = new Shape(shape);
        if (dtype == DataType.FLOAT64) {
            return manager.create(values, s);
        }
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        NDArray a = manager.create(f, s);
        if (dtype == DataType.FLOAT32) {
            return a;
        }
        NDArray b = a.toType(dtype, true);
        a.close();
        return b;
    }

    /**
     * Returns the additive sliding-window mask {@code [n, cache + n]} of {@code n} queries at
     * absolute positions {@code cache .. cache + n - 1} over keys {@code 0 .. cache + n - 1}: key
     * {@code j} is visible to query {@code i} (0) iff {@code i - window < j <= i} in absolute
     * positions, else {@code -inf}.
     */
    static NDArray bandMask(NDManager manager, int n, int cache, int window, DataType dtype) {
        int m = cache + n;
        double[] values = new double[n * m];
        for (int i = 0; i < n; i++) {
            int pos = cache + i;
            for (int j = 0; j < m; j++) {
                boolean visible = pos - window < j && j <= pos;
                values[i * m + j] = visible ? 0.0 : Double.NEGATIVE_INFINITY;
            }
        }
        return fromDoubles(manager, values, dtype, n, m);
    }

    /** Returns the values of {@code a} as doubles (any floating dtype). */
    static double[] values(NDArray a) {
        if (a.getDataType() == DataType.FLOAT64) {
            return a.toDoubleArray();
        }
        try (NDArray d = a.toType(DataType.FLOAT64, true)) {
            return d.toDoubleArray();
        }
    }

    /** Returns {@code max |a - b|} over all elements (same shapes required). */
    static double maxAbsDiff(NDArray a, NDArray b) {
        if (!a.getShape().equals(b.getShape())) {
            throw new AssertionError("shape " + a.getShape() + " != " + b.getShape());
        }
        double[] x = values(a);
        double[] y = values(b);
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            double d = Math.abs(x[i] - y[i]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            max = Math.max(max, d);
        }
        return max;
    }

    /** Returns {@code max |a|}. */
    static double maxAbs(NDArray a) {
        double max = 0;
        for (double x : values(a)) {
            max = Math.max(max, Math.abs(x));
        }
        return max;
    }
}
