package ai.ttt.block.safetensors;

import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where one tensor lives: its name, element type, shape and byte range in a safetensors file.
 *
 * @param name the tensor name from the header
 * @param dtype the element type as stored in the file
 * @param shape the dimensions, outermost first (empty for a scalar); the record keeps a copy and
 *     {@link #shape()} returns a copy
 * @param dataOffset absolute byte offset of the first element in the file (8 + header length +
 *     {@code data_offsets[0]})
 * @param byteLength bytes of data, {@code numElements() * dtype.byteSize()}
 * @param file the file the tensor is stored in (for a sharded checkpoint, its shard)
 */
public record TensorInfo(
        String name, DType dtype, long[] shape, long dataOffset, long byteLength, Path file) {

    /**
     * Validates and copies the components.
     *
     * @param name the tensor name
     * @param dtype the element type as stored
     * @param shape the dimensions (copied)
     * @param dataOffset absolute byte offset of the data in the file
     * @param byteLength bytes of data
     * @param file the file holding the tensor
     * @throws IllegalArgumentException if a dimension, the offset or the length is negative, or the
     *     length disagrees with shape and dtype
     */
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(file, "file");
        shape = shape.clone();
        if (dataOffset < 0 || byteLength < 0) {
            throw new IllegalArgumentException("tensor '" + name + "': negative offset or length");
        }
        if (requiredBytes(dtype, shape) != byteLength) {
            throw new IllegalArgumentException(
                    "tensor '"
                            + name
                            + "': "
                            + byteLength
                            + " bytes do not hold "
                            + dtype
                            + " "
                            + Arrays.toString(shape));
        }
    }

    /**
     * Returns a copy of the dimensions.
     *
     * @return the shape, outermost dimension first (empty for a scalar)
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Returns the number of elements (the product of the dimensions; 1 for a scalar).
     *
     * @return element count
     */
    public long numElements() {
        return elementCount(shape);
    }

    /**
     * Returns the number of dimensions.
     *
     * @return 0 for a scalar
     */
    public int rank() {
        return shape.length;
    }

    /**
     * Returns the shape as a DJL {@link Shape}.
     *
     * @return the dimensions as a DJL shape
     */
    public Shape djlShape() {
        return new Shape(shape);
    }

    /**
     * Compares all components, the shape by content.
     *
     * @param other the object to compare with
     * @return whether both describe the same tensor in the same place
     */
    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof TensorInfo)) {
            return false;
        }
        TensorInfo that = (TensorInfo) other;
        return name.equals(that.name)
                && dtype == that.dtype
                && Arrays.equals(shape, that.shape)
                && dataOffset == that.dataOffset
                && byteLength == that.byteLength
                && file.equals(that.file);
    }

    /**
     * Hashes all components, the shape by content.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), dataOffset, byteLength, file);
    }

    /**
     * Describes the tensor, e.g. {@code TensorInfo[w F32 [2, 3] @1024+24 in model.safetensors]}.
     *
     * @return a readable description
     */
    @Override
    public String toString() {
        return "TensorInfo["
                + name
                + " "
                + dtype
                + " "
                + Arrays.toString(shape)
                + " @"
                + dataOffset
                + "+"
                + byteLength
                + " in "
                + file
                + "]";
    }

    /**
     * Multiplies the dimensions without overflow.
     *
     * @return the element count, or -1 if a dimension is negative or the product overflows
     */
    static long elementCount(long[] shape) {
        for (long dim : shape) {
            if (dim < 0) {
                return -1;
            }
            if (dim == 0) {
                return 0;
            }
        }
        long count = 1;
        for (long dim : shape) {
            if (count > Long.MAX_VALUE / dim) {
                return -1;
            }
            count *= dim;
        }
        return count;
    }

    /**
     * Computes the bytes a tensor needs without overflow.
     *
     * @return {@code elementCount(shape) * dtype.byteSize()}, or -1 on a negative dimension or
     *     overflow
     */
    static long requiredBytes(DType dtype, long[] shape) {
        long elements = elementCount(shape);
        if (elements < 0 || elements > Long.MAX_VALUE / dtype.byteSize()) {
            return -1;
        }
        return elements * dtype.byteSize();
    }
}
