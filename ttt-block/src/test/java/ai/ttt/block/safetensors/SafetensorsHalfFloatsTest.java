package ai.ttt.block.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import org.junit.jupiter.api.Test;

/** F16 and BF16 conversions: exhaustive checks, midpoints, and PyTorch as an outside reference. */
class SafetensorsHalfFloatsTest {

    /** Independent decoder: value = (-1)^s * m * 2^(e-25) for normals, m * 2^-24 for subnormals. */
    private static double referenceF16(int bits) {
        int sign = (bits >> 15) & 1;
        int exponent = (bits >> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        double magnitude;
        if (exponent == 0x1f) {
            magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else if (exponent == 0) {
            magnitude = Math.scalb((double) mantissa, -24);
        } else {
            magnitude = Math.scalb((double) (1024 + mantissa), exponent - 25);
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    @Test
    void f16DecodingIsExactForAllBitPatterns() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float decoded = HalfFloats.f16ToFloat((short) bits);
            double expected = referenceF16(bits);
            if (Double.isNaN(expected)) {
                assertTrue(Float.isNaN(decoded), () -> "NaN expected");
            } else {
                int b = bits;
                assertEquals(expected, decoded, 0.0, () -> Integer.toHexString(b));
                // the sign of zero survives
                assertEquals(
                        Math.copySign(1.0, expected),
                        Math.copySign(1.0, decoded),
                        () -> Integer.toHexString(b));
            }
        }
    }

    @Test
    void everyF16SurvivesDecodeThenEncodeBitForBit() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short encoded = HalfFloats.floatToF16(HalfFloats.f16ToFloat((short) bits));
            int b = bits;
            assertEquals(bits, encoded & 0xffff, () -> Integer.toHexString(b)); // NaN payloads too
        }
    }

    @Test
    void midpointsBetweenNeighboursRoundToEvenAndNeighboursOfMidpointsRoundToNearest() {
        // every pair of adjacent finite f16 values, both signs; the midpoint is exact in float
        for (int low = 0; low < 0x7bff; low++) {
            for (int sign : new int[] {0, 0x8000}) {
                int lowBits = sign | low;
                int highBits = sign | (low + 1);
                double a = HalfFloats.f16ToFloat((short) lowBits);
                double b = HalfFloats.f16ToFloat((short) highBits);
                float midpoint = (float) ((a + b) / 2);
                assertEquals((a + b) / 2, midpoint, 0.0, "midpoint must be exact");
                int even = (low & 1) == 0 ? lowBits : highBits;
                assertEquals(even, HalfFloats.floatToF16(midpoint) & 0xffff, "tie to even");
                float towardLow = sign == 0 ? Math.nextDown(midpoint) : Math.nextUp(midpoint);
                float towardHigh = sign == 0 ? Math.nextUp(midpoint) : Math.nextDown(midpoint);
                assertEquals(lowBits, HalfFloats.floatToF16(towardLow) & 0xffff);
                assertEquals(highBits, HalfFloats.floatToF16(towardHigh) & 0xffff);
            }
        }
    }

    @Test
    void overflowUnderflowAndSpecialValues() {
        assertEquals(0x7bff, f16(65504f)); // largest finite
        assertEquals(0x7bff, f16(Math.nextDown(65520f)));
        assertEquals(0x7c00, f16(65520f)); // the tie above 65504 rounds to infinity (even)
        assertEquals(0x7c00, f16(Float.MAX_VALUE));
        assertEquals(0xfc00, f16(-Float.MAX_VALUE));
        assertEquals(0x7c00, f16(Float.POSITIVE_INFINITY));
        assertEquals(0xfc00, f16(Float.NEGATIVE_INFINITY));
        assertEquals(0x0000, f16(0x1p-25f)); // half of the smallest subnormal: tie to even (0)
        assertEquals(0x0001, f16(Math.nextUp(0x1p-25f)));
        assertEquals(0x0002, f16(0x1p-24f * 1.5f)); // tie between 1 and 2 ulps: even
        assertEquals(0x0400, f16(0x1p-14f)); // smallest normal
        assertEquals(0x0400, f16(Math.nextDown(0x1p-14f))); // rounds up into the normal range
        assertEquals(0x0000, f16(Float.MIN_VALUE));
        assertEquals(0x8000, f16(-0.0f));
        assertEquals(0x8000, f16(-Float.MIN_VALUE));
        assertEquals(0x3c00, f16(1.0f));
        assertEquals(0x3c00, f16(1.0f + 0x1p-11f)); // tie: 1.0 is even
        assertEquals(0x3c02, f16(1.0f + 3 * 0x1p-11f)); // tie: 1+2^-9 is even
        int nan = f16(Float.intBitsToFloat(0x7f80_0001)); // payload only in the dropped bits
        assertEquals(0x7c00, nan & 0x7c00);
        assertTrue((nan & 0x3ff) != 0, "NaN must not become infinity");
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat((short) f16(Float.NaN))));
    }

    @Test
    void bf16DecodingIsTheUpperHalfOfAFloatForAllBitPatterns() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float decoded = HalfFloats.bf16ToFloat((short) bits);
            assertEquals(bits << 16, Float.floatToRawIntBits(decoded));
        }
        assertEquals(1.0f, HalfFloats.bf16ToFloat((short) 0x3f80));
        assertEquals(-2.5f, HalfFloats.bf16ToFloat((short) 0xc020));
    }

    @Test
    void encodingAgreesWithPyTorchOnASweepOfFloats() {
        // every 4099th bit pattern (about 1 million floats, all exponents, both signs)
        int step = 4099;
        int count = (int) ((1L << 32) / step);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = Float.intBitsToFloat((int) ((long) i * step));
        }
        try (NDManager manager = NDManager.newBaseManager();
                NDArray floats = manager.create(values);
                NDArray halves = floats.toType(DataType.FLOAT16, true)) {
            ShortBuffer torch =
                    halves.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
            for (int i = 0; i < count; i++) {
                short ours = HalfFloats.floatToF16(values[i]);
                short theirs = torch.get(i);
                if (Float.isNaN(values[i])) {
                    assertTrue(Float.isNaN(HalfFloats.f16ToFloat(theirs)));
                    assertTrue(Float.isNaN(HalfFloats.f16ToFloat(ours)));
                } else {
                    int at = i;
                    assertEquals(theirs, ours, () -> "float " + values[at]);
                }
            }
        }
    }

    @Test
    void decodingAgreesWithPyTorchForAllBitPatterns() {
        ByteBuffer bits = ByteBuffer.allocateDirect(2 * 0x10000).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < 0x10000; b++) {
            bits.putShort((short) b);
        }
        bits.flip();
        try (NDManager manager = NDManager.newBaseManager();
                NDArray halves = manager.create(bits, new Shape(0x10000), DataType.FLOAT16);
                NDArray floats = halves.toType(DataType.FLOAT32, true)) {
            float[] torch = floats.toFloatArray();
            for (int b = 0; b < 0x10000; b++) {
                float ours = HalfFloats.f16ToFloat((short) b);
                if (Float.isNaN(ours)) {
                    assertTrue(Float.isNaN(torch[b]));
                } else {
                    assertEquals(Float.floatToRawIntBits(torch[b]), Float.floatToRawIntBits(ours));
                }
            }
        }
    }

    private static int f16(float value) {
        return HalfFloats.floatToF16(value) & 0xffff;
    }
}
