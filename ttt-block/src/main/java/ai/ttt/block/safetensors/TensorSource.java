package ai.ttt.block.safetensors;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Optional;

/**
 * The data of one tensor for {@link SafetensorsWriter}: a byte count and a way to stream exactly
 * that many little-endian bytes into a channel.
 *
 * <p>Sources are read when the file is written, not when they are added, so a huge tensor can be
 * streamed (e.g. converted block by block) without ever being held in memory whole. The data must
 * not change between {@code add} and {@code write}. The writer checks that {@link #writeTo} writes
 * exactly {@link #byteLength()} bytes.
 */
public interface TensorSource {

    /**
     * Returns how many bytes {@link #writeTo} writes.
     *
     * @return the data size in bytes
     */
    long byteLength();

    /**
     * Writes the tensor's bytes, little-endian, in row-major order.
     *
     * @param out the file being written; do not close it
     * @throws IOException if reading the source or writing fails
     */
    void writeTo(WritableByteChannel out) throws IOException;

    /**
     * Returns the dtype the data is encoded in, if the source knows it; the writer then rejects a
     * tensor declared with a different dtype.
     *
     * @return the dtype, or empty for raw bytes
     */
    default Optional<DType> dtype() {
        return Optional.empty();
    }

    /**
     * Streams data produced by a callback, e.g. a tensor converted block by block.
     *
     * @param byteLength exactly how many bytes {@code body} writes
     * @param body writes the bytes
     * @return the source
     */
    static TensorSource of(long byteLength, ChannelWriter body) {
        return new TensorSources.Streamed(byteLength, body);
    }

    /**
     * Uses the remaining bytes of a buffer (from its position to its limit), which must already be
     * little-endian. The buffer's position and limit are captured now; its content is read at write
     * time.
     *
     * @param littleEndianBytes the raw tensor data (heap, direct or mapped; under 2 GiB)
     * @return the source
     */
    static TensorSource of(ByteBuffer littleEndianBytes) {
        return new TensorSources.Bytes(littleEndianBytes);
    }

    /**
     * Writes floats as F32 (4 bytes each), in chunks.
     *
     * @param values the elements in row-major order (not copied)
     * @return an F32 source of {@code 4 * values.length} bytes
     */
    static TensorSource ofFloats(float[] values) {
        return new TensorSources.Floats(values, DType.F32);
    }

    /**
     * Writes floats as F16 (2 bytes each), rounding to nearest with ties to even ({@link
     * HalfFloats#floatToF16}); magnitudes from 65520 up become infinity.
     *
     * @param values the elements in row-major order (not copied)
     * @return an F16 source of {@code 2 * values.length} bytes
     */
    static TensorSource ofFloatsAsF16(float[] values) {
        return new TensorSources.Floats(values, DType.F16);
    }

    /**
     * Writes an engine array in its own data type ({@link DType#fromEngineType}).
     *
     * <p>The array is read at write time (it must still be open), in blocks of at most 256 MiB
     * copied to the heap, so arrays of any size work.
     *
     * @param array a dense array of a type safetensors can hold
     * @return the source, declaring the array's dtype
     * @throws IllegalArgumentException if the array's data type has no safetensors dtype
     */
    static TensorSource of(NDArray array) {
        return new TensorSources.FromNDArray(array, TensorSources.FromNDArray.DEFAULT_BLOCK_BYTES);
    }

    /** Writes a tensor's bytes into a channel; the body of {@link #of(long, ChannelWriter)}. */
    @FunctionalInterface
    interface ChannelWriter {
        /**
         * Writes the bytes.
         *
         * @param out the file being written; do not close it
         * @throws IOException if writing fails
         */
        void writeTo(WritableByteChannel out) throws IOException;
    }
}
