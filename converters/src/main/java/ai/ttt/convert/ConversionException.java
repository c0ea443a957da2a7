package ai.ttt.convert;

import ai.ttt.block.InvalidConfigException;
import ai.ttt.block.JsonFields;
import ai.ttt.block.TttConfig;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;

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

    /**
     * Reads the fields of a source JSON object, each error naming the file, the key and the value.
     *
     * @param object the object
     * @param file the file it was read from
     * @return the typed reader
     */
    static JsonFields<ConversionException> fields(JsonObject object, Path file) {
        return new JsonFields<>(object, message -> new ConversionException(file + ": " + message));
    }

    /**
     * Returns the head dimension a source config without {@code head_dim} implies ({@link
     * TttConfig#impliedHeadDim}), naming the file if H does not divide d.
     *
     * @param hidden d
     * @param heads H
     * @param file the source config
     * @return d / H
     * @throws ConversionException if H does not divide d
     */
    static int impliedHeadDim(int hidden, int heads, Path file) throws ConversionException {
        try {
            return TttConfig.impliedHeadDim(hidden, heads);
        } catch (InvalidConfigException e) {
            throw new ConversionException(file + ": " + e.getMessage());
        }
    }
}
