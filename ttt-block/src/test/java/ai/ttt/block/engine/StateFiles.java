package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.ttt.block.safetensors.SafetensorsFile;
import ai.ttt.block.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/** Test helper: rewrites a state file with edited metadata or tensors, as a careless user might. */
final class StateFiles {

    private StateFiles() {}

    /** The content of a state file, editable. */
    static final class Content {
        final Map<String, String> metadata = new LinkedHashMap<>();
        final Map<String, NDArray> tensors = new LinkedHashMap<>();
    }

    /**
     * Reads a file, lets {@code edit} change it, and writes the result to {@code to}.
     *
     * @param from a state file
     * @param to where the edited copy goes
     * @param manager owns the loaded arrays (close it after)
     * @param edit changes the content in place
     * @throws IOException if reading or writing fails
     */
    static void rewrite(Path from, Path to, NDManager manager, Consumer<Content> edit)
            throws IOException {
        Content c = new Content();
        try (SafetensorsFile f = SafetensorsFile.open(from)) {
            c.metadata.putAll(f.metadata());
            for (String name : f.names()) {
                c.tensors.put(name, f.toNDArray(name, manager));
            }
        }
        edit.accept(c);
        SafetensorsWriter w = new SafetensorsWriter();
        c.metadata.forEach(w::putMetadata);
        c.tensors.forEach(w::add);
        w.write(to);
    }
}
