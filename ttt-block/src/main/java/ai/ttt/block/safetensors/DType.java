package ai.ttt.block.safetensors;

import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The element types of a safetensors file that this package reads and writes.
 *
 * <p>The constant names are the safetensors dtype strings. Other safetensors dtypes (U16, U32, U64,
 * F8_*, C64, ...) are rejected when a file is opened.
 */
public enum DType {
    /** IEEE 754 binary64, 8 bytes. */
    F64(8, DataType.FLOAT64),
    /** IEEE 754 binary32, 4 bytes. */
    F32(4, DataType.FLOAT32),
    /** IEEE 754 binary16, 2 bytes. */
    F16(2, DataType.FLOAT16),
    /** bfloat16 (the upper 16 bits of a binary32), 2 bytes; read into the engine as FLOAT32. */
    BF16(2, DataType.FLOAT32),
    /** Signed 64-bit integer. */
    I64(8, DataType.INT64),
    /** Signed 32-bit integer. */
    I32(4, DataType.INT32),
    /** Signed 16-bit integer; readable as bytes only (DJL's PyTorch engine has no INT16). */
    I16(2, null),
    /** Signed 8-bit integer. */
    I8(1, DataType.INT8),
    /** Unsigned 8-bit integer. */
    U8(1, DataType.UINT8),
    /** Boolean, one byte per element (0 or 1). */
    BOOL(1, DataType.BOOLEAN);

    private final int byteSize;
    private final DataType engineType;

    DType(int byteSize, DataType engineType) {
        this.byteSize = byteSize;
        this.engineType = engineType;
    }

    /**
     * Returns the size of one element in the file.
     *
     * @return bytes per element (1, 2, 4 or 8)
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Returns the dtype string used in safetensors headers.
     *
     * @return e.g. {@code "F32"} or {@code "BOOL"}
     */
    public String safetensorsName() {
        return name();
    }

    /**
     * Returns the DJL data type a tensor of this dtype gets in the engine.
     *
     * <p>BF16 maps to FLOAT32: BF16 tensors are converted in Java (float bits = bf16 bits &lt;&lt;
     * 16), because creating a BFLOAT16 array aborts the JVM in DJL's PyTorch engine.
     *
     * @return the engine data type
     * @throws UnsupportedOperationException for I16, which DJL's PyTorch engine cannot create
     */
    public DataType engineType() {
        if (engineType == null) {
            throw new UnsupportedOperationException(
                    "dtype " + name() + " has no DJL engine type (INT16 arrays abort PyTorch)");
        }
        return engineType;
    }

    /**
     * Parses a safetensors dtype string.
     *
     * @param safetensorsName the header's {@code dtype} value, e.g. {@code "BF16"}
     * @param file the file being read (for the message)
     * @param tensorName the tensor whose entry holds the dtype (for the message)
     * @return the dtype
     * @throws SafetensorsException if the dtype is unknown or unsupported, naming the file, the
     *     tensor and the dtype
     */
    public static DType parse(String safetensorsName, Path file, String tensorName)
            throws SafetensorsException {
        for (DType dtype : values()) {
            if (dtype.name().equals(safetensorsName)) {
                return dtype;
            }
        }
        throw new SafetensorsException(
                file,
                "tensor '"
                        + tensorName
                        + "': unknown or unsupported dtype \""
                        + safetensorsName
                        + "\" (supported: "
                        + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "))
                        + ")");
    }

    /**
     * Returns the dtype that stores a DJL array of the given type unchanged.
     *
     * @param engineType the array's data type
     * @return F64, F32, F16, I64, I32, I8, U8 or BOOL
     * @throws IllegalArgumentException for types safetensors cannot hold here (e.g. STRING, UINT16,
     *     BFLOAT16)
     */
    public static DType fromEngineType(DataType engineType) {
        switch (engineType) {
            case FLOAT64:
                return F64;
            case FLOAT32:
                return F32;
            case FLOAT16:
                return F16;
            case INT64:
                return I64;
            case INT32:
                return I32;
            case INT8:
                return I8;
            case UINT8:
                return U8;
            case BOOLEAN:
                return BOOL;
            default:
                throw new IllegalArgumentException(
                        "no safetensors dtype for DJL data type " + engineType);
        }
    }
}
