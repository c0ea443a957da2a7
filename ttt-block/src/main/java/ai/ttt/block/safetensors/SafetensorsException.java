package ai.ttt.block.safetensors;

import ai.ttt.block.io.InvalidFileException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A safetensors file, checkpoint directory or index that cannot be read or written as asked.
 *
 * <p>The message always starts with the file ({@code "<file>: <defect>"}) and names the defect and,
 * where one is involved, the tensor.
 */
public final class SafetensorsException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The file (or directory) the defect was found in. */
    private final transient Path file;

    /**
     * Creates the exception.
     *
     * @param file the file (or directory) the defect is in
     * @param defect what is wrong, naming the tensor where relevant
     */
    public SafetensorsException(Path file, String defect) {
        super(InvalidFileException.oneLine(file + ": " + defect));
        this.file = Objects.requireNonNull(file, "file");
    }

    /**
     * Creates the exception with a cause.
     *
     * @param file the file (or directory) the defect is in
     * @param defect what is wrong, naming the tensor where relevant
     * @param cause the underlying failure
     */
    public SafetensorsException(Path file, String defect, Throwable cause) {
        super(InvalidFileException.oneLine(file + ": " + defect), cause);
        this.file = Objects.requireNonNull(file, "file");
    }

    /**
     * Returns the file (or directory) the defect was found in.
     *
     * @return the path named at the start of the message
     */
    public Path file() {
        return file;
    }
}
