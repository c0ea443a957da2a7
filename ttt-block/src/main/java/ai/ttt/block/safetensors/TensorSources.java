package ai.ttt.block.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;
import java.util.Optional;

/** The {@link TensorSource} implementations behind its factories (package-private). */
final class TensorSources {

    private TensorSources() {}

    /** Writes a whole buffer, looping until the channel took every byte. */
    static void writeFully(WritableByteChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** A callback with a declared length. */
    static final class Streamed implements TensorSource {
        private final long byteLength;
        private final ChannelWriter body;

        Streamed(long byteLength, ChannelWriter body) {
            if (byteLength < 0) {
                throw new IllegalArgumentException("negative byteLength " + byteLength);
            }
            this.byteLength = byteLength;
            this.body = Objects.requireNonNull(body, "body");
        }

        @Override
        public long byteLength() {
            return byteLength;
        }

        @Override
        public void writeTo(WritableByteChannel out) throws IOException {
            body.writeTo(out);
        }
    }

    /** Raw little-endian bytes. */
    static final class Bytes implements TensorSource {
        private final ByteBuffer data;

        Bytes(ByteBuffer data) {
            this.data = data.slice(); // captures position and limit now
        }

        @Override
        public long byteLength() {
            return data.remaining();
        }

        @Override
        public void writeTo(WritableByteChannel out) throws IOException {
            writeFully(out, data.duplicate());
        }
    }

    /** Floats encoded as F32 or F16. */
    static final class Floats implements TensorSource {
        private static final int CHUNK_ELEMENTS = 16 * 1024;
        private final float[] values;
        private final DType dtype;

        Floats(float[] values, DType dtype) {
            this.values = Objects.requireNonNull(values, "values");
            this.dtype = dtype;
        }

        @Override
        public long byteLength() {
            return (long) values.length * dtype.byteSize();
        }

        @Override
        public Optional<DType> dtype() {
            return Optional.of(dtype);
        }

        @Override
        public void writeTo(WritableByteChannel out) throws IOException {
            ByteBuffer chunk =
                    ByteBuffer.allocate(CHUNK_ELEMENTS * dtype.byteSize())
                            .order(ByteOrder.LITTLE_ENDIAN);
            for (int start = 0; start < values.length; start += CHUNK_ELEMENTS) {
                int end = Math.min(values.length, start + CHUNK_ELEMENTS);
                chunk.clear();
                if (dtype == DType.F16) {
                    for (int i = start; i < end; i++) {
                        chunk.putShort(HalfFloats.floatToF16(values[i]));
                    }
                } else {
                    chunk.asFloatBuffer().put(values, start, end - start);
                    chunk.position((end - start) * 4);
                }
                chunk.flip();
                writeFully(out, chunk);
            }
        }
    }

    /** An engine array, copied out block by block at write time. */
    static final class FromNDArray implements TensorSource {
        static final long DEFAULT_BLOCK_BYTES = 256L << 20;
        private final NDArray array;
        private final DType dtype;
        private final long blockBytes;

        FromNDArray(NDArray array, long blockBytes) {
            this.array = Objects.requireNonNull(array, "array");
            this.dtype = DType.fromEngineType(array.getDataType());
            this.blockBytes = blockBytes;
            if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
                throw new UnsupportedOperationException(
                        "engine arrays are native-order; big-endian platforms are not supported");
            }
        }

        @Override
        public long byteLength() {
            return array.size() * dtype.byteSize();
        }

        @Override
        public Optional<DType> dtype() {
            return Optional.of(dtype);
        }

        @Override
        public void writeTo(WritableByteChannel out) throws IOException {
            long count = array.size();
            if (count * dtype.byteSize() <= blockBytes) {
                writeFully(out, array.toByteBuffer());
                return;
            }
            long perBlock = Math.max(1, blockBytes / dtype.byteSize());
            try (NDArray flat = array.reshape(count)) {
                for (long start = 0; start < count; start += perBlock) {
                    long end = Math.min(count, start + perBlock);
                    try (NDArray block = flat.get(new NDIndex().addSliceDim(start, end))) {
                        writeFully(out, block.toByteBuffer());
                    }
                }
            }
        }
    }
}
