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
        super(oneLine(file + ": " + problem));
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
        super(oneLine(file + ": " + problem), cause);
        this.file = Objects.requireNonNull(file, "file");
    }

    /**
     * Makes a message one line whatever a file put into it (a tensor name or value read from a
     * damaged file may hold line breaks or other control characters): those are escaped.
     *
     * @param message the message
     * @return the message with every control character written as {@code \\uXXXX}
     */
    public static String oneLine(String message) {
        StringBuilder out = new StringBuilder(message.length());
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (Character.isISOControl(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
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
