package ai.ttt.block.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A file that breaks a rule it must satisfy (not UTF-8, a directory where a file belongs, a state
 * file that does not fit its model, ...). The message is one line: {@code "<file>: <what is
 * wrong>"}, naming the field and the value where there is one.
 */
public class InvalidFileException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * Creates the exception.
     *
     * @param file the file
     * @param problem what is wrong, naming the field and the value
     */
    public InvalidFileException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = Objects.requireNonNull(file, "file");
    }

    /**
     * Creates the exception with a cause.
     *
     * @param file the file
     * @param problem what is wrong, naming the field and the value
     * @param cause the underlying failure
     */
    public InvalidFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = Objects.requireNonNull(file, "file");
    }

    /**
     * Returns the file the problem is in.
     *
     * @return the path named at the start of the message
     */
    public Path file() {
        return file;
    }
}
