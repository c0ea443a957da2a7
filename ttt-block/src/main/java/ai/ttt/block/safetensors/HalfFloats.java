package ai.ttt.block.safetensors;

/**
 * Conversions between {@code float} and the two 16-bit float formats, on raw bit patterns.
 *
 * <p>Java 17 has no {@code Float.float16ToFloat}/{@code floatToFloat16}; these are exact
 * replacements: decoding is exact, encoding rounds to nearest, ties to even, overflows to infinity,
 * and keeps NaN a NaN (with the top payload bits).
 */
public final class HalfFloats {

    private HalfFloats() {}

    /**
     * Decodes an IEEE 754 binary16 value exactly.
     *
     * @param bits the 16 bits of the half-precision value
     * @return the same value as a float (subnormals, infinities and NaN payloads included)
     */
    public static float f16ToFloat(short bits) {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            // infinity or NaN; the 10 payload bits become the top of the float payload
            return Float.intBitsToFloat(sign | 0x7f80_0000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // zero or subnormal: mantissa * 2^-24, exact in float
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        // normal: rebias the exponent from 15 to 127
        return Float.intBitsToFloat(sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13));
    }

    /**
     * Encodes a float as IEEE 754 binary16, rounding to nearest with ties to even.
     *
     * <p>Magnitudes from 65520 up become infinity; magnitudes at or below 2^-25 become (signed)
     * zero; NaN stays NaN.
     *
     * @param value the float to encode
     * @return the 16 bits of the nearest half-precision value
     */
    public static short floatToF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7f_ffff;
        if (exponent == 0xff) {
            if (mantissa == 0) {
                return (short) (sign | 0x7c00);
            }
            int payload = mantissa >>> 13;
            // a NaN whose payload lives only in the low 13 bits must not become infinity
            return (short) (sign | 0x7c00 | (payload == 0 ? 0x200 : payload));
        }
        int halfExponent = exponent - 127 + 15;
        if (halfExponent >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (halfExponent <= 0) {
            // result is subnormal (or rounds up to the smallest normal): value / 2^-24 rounded
            if (halfExponent < -10) {
                // below 2^-25: rounds to zero (float subnormals included)
                return (short) sign;
            }
            int significand = mantissa | 0x80_0000;
            int shift = 14 - halfExponent; // 14..24
            return (short) (sign | roundShiftRightEven(significand, shift));
        }
        // normal: drop 13 mantissa bits; a carry into the exponent (even to infinity) is correct
        int truncated = (halfExponent << 10) | (mantissa >>> 13);
        return (short) (sign | roundUp(truncated, mantissa & 0x1fff, 0x1000));
    }

    /**
     * Decodes a bfloat16 value exactly (it is the upper half of a binary32).
     *
     * @param bits the 16 bits of the bfloat16 value
     * @return the float whose bits are {@code bits << 16}
     */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    private static int roundShiftRightEven(int value, int shift) {
        int truncated = value >>> shift;
        int remainder = value & ((1 << shift) - 1);
        return roundUp(truncated, remainder, 1 << (shift - 1));
    }

    private static int roundUp(int truncated, int remainder, int halfway) {
        if (remainder > halfway || (remainder == halfway && (truncated & 1) != 0)) {
            return truncated + 1;
        }
        return truncated;
    }
}
