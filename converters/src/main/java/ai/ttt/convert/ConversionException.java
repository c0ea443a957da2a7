package ai.ttt.convert;

import java.io.IOException;

/** A checkpoint that cannot be converted; the message names the file, key or value at fault. */
public class ConversionException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, naming the file, key or value
     */
    public ConversionException(String message) {
        super(message);
    }
}
