package ai.ttt.convert;

import ai.ttt.block.safetensors.DType;
import ai.ttt.block.safetensors.HalfFloats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Plain-Java tensor helpers for conversion (no engine: conversion runs tensor by tensor). */
final class TensorMath {

    private TensorMath() {}

    /** Returns the transpose of a row-major {@code [rows, cols]} matrix, {@code [cols, rows]}. */
    static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        int block = 64;
        for (int r0 = 0; r0 < rows; r0 += block) {
            int r1 = Math.min(rows, r0 + block);
            for (int c0 = 0; c0 < cols; c0 += block) {
                int c1 = Math.min(cols, c0 + block);
                for (int r = r0; r < r1; r++) {
                    for (int c = c0; c < c1; c++) {
                        t[c * rows + r] = m[r * cols + c];
                    }
                }
            }
        }
        return t;
    }

    /** Decodes little-endian F32, F16 or BF16 bytes to floats. */
    static float[] floats(ByteBuffer bytes, DType dtype, String what) throws ConversionException {
        ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = b.remaining() / dtype.byteSize();
        float[] out = new float[n];
        switch (dtype) {
            case F32:
                b.asFloatBuffer().get(out);
                return out;
            case F16:
                for (int i = 0; i < n; i++) {
                    out[i] = HalfFloats.f16ToFloat(b.getShort());
                }
                return out;
            case BF16:
                for (int i = 0; i < n; i++) {
                    out[i] = HalfFloats.bf16ToFloat(b.getShort());
                }
                return out;
            default:
                throw new ConversionException(what + " has dtype " + dtype + ", expected a float");
        }
    }

    /** Returns n samples of N(0, std²) from a seeded generator. */
    static float[] gaussian(int n, double std, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            // Box–Muller: SplittableRandom has no nextGaussian in Java 17.
            double u1 = 1.0 - random.nextDouble();
            double u2 = random.nextDouble();
            out[i] = (float) (std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return out;
    }

    /** Returns n copies of a value. */
    static float[] filled(int n, float value) {
        float[] out = new float[n];
        Arrays.fill(out, value);
        return out;
    }

    /** Returns the element count of a shape as an int (conversion tensors stay below 2³¹). */
    static int count(long[] shape, String what) throws ConversionException {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new ConversionException(
                    what + " has " + n + " elements; tensors above 2³¹ are not supported");
        }
        return (int) n;
    }
}
