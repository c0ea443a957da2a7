package ai.ttt.it;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.ttt.block.Fixtures;
import ai.ttt.block.safetensors.SafetensorsFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Reads the reference arrays of a fixture (its {@code reference.safetensors}). */
final class Reference implements AutoCloseable {

    private final SafetensorsFile file;
    private final NDManager manager;

    Reference(String fixture, NDManager manager) {
        try {
            this.file =
                    SafetensorsFile.open(Fixtures.get(fixture).resolve("reference.safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.manager = manager;
    }

    static Path dir(String fixture) {
        return Fixtures.get(fixture);
    }

    NDArray get(String name) {
        try {
            return file.toNDArray(name, manager);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    long[] longs(String name) {
        return get(name).toLongArray();
    }

    float[] floats(String name) {
        return get(name).toFloatArray();
    }

    /** Returns max |a − b| over all elements. */
    static float maxAbsDiff(NDArray a, NDArray b) {
        return a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                .sub(b.toType(ai.djl.ndarray.types.DataType.FLOAT32, false))
                .abs()
                .max()
                .getFloat();
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
