package ai.ttt.block;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.util.Optional;

/**
 * Strict RFC 8259 JSON parsing (Gson's default parser is lenient and accepts broken files), and the
 * project's one rule for reading a JSON number as a 32-bit integer.
 *
 * <p>Beyond the RFC, a key that appears twice in one object is an error: Gson keeps the last value
 * silently, so a file with a key written twice would load as something other than what its first
 * reader (a person) sees.
 */
public final class StrictJson {

    private static final BigDecimal INT_MIN = BigDecimal.valueOf(Integer.MIN_VALUE);
    private static final BigDecimal INT_MAX = BigDecimal.valueOf(Integer.MAX_VALUE);

    private StrictJson() {}

    /**
     * Parses a whole document.
     *
     * @param text the JSON text
     * @return the value
     * @throws JsonParseException if the text is not one valid JSON value, or an object has a key
     *     twice (the message names the key and where it is)
     */
    public static JsonElement parse(String text) {
        JsonReader reader = new JsonReader(new StringReader(text));
        reader.setStrictness(Strictness.STRICT);
        try {
            if (reader.peek() == JsonToken.END_DOCUMENT) {
                throw new JsonParseException("empty document");
            }
            JsonElement value = read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException(
                        "data after the JSON value at " + reader.getPreviousPath());
            }
            return value;
        } catch (EOFException e) {
            throw new JsonParseException(
                    text.isBlank() ? "empty document" : "unexpected end of the document", e);
        } catch (IOException e) {
            throw new JsonParseException(firstLine(e), e);
        }
    }

    /**
     * Returns the first line of a JSON parser's message (Gson appends a troubleshooting link on a
     * second line; the project's messages are one line).
     *
     * @param e a parse failure
     * @return its message's first line
     */
    public static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        int newline = m.indexOf('\n');
        return newline < 0 ? m : m.substring(0, newline).trim();
    }

    private static JsonElement read(JsonReader reader) throws IOException {
        switch (reader.peek()) {
            case BEGIN_OBJECT:
                JsonObject object = new JsonObject();
                reader.beginObject();
                while (reader.hasNext()) {
                    String key = reader.nextName();
                    if (object.has(key)) {
                        throw new JsonParseException(
                                "duplicate key \"" + key + "\" at " + reader.getPath());
                    }
                    object.add(key, read(reader));
                }
                reader.endObject();
                return object;
            case BEGIN_ARRAY:
                JsonArray array = new JsonArray();
                reader.beginArray();
                while (reader.hasNext()) {
                    array.add(read(reader));
                }
                reader.endArray();
                return array;
            case STRING:
                return new JsonPrimitive(reader.nextString());
            case NUMBER:
                String number = reader.nextString();
                try {
                    return new JsonPrimitive(new BigDecimal(number));
                } catch (NumberFormatException e) {
                    throw new JsonParseException(
                            "number " + number + " is out of range at " + reader.getPreviousPath(),
                            e);
                }
            case BOOLEAN:
                return new JsonPrimitive(reader.nextBoolean());
            case NULL:
                reader.nextNull();
                return JsonNull.INSTANCE;
            default:
                throw new JsonParseException(
                        "unexpected " + reader.peek() + " at " + reader.getPath());
        }
    }

    /**
     * Says why a JSON value cannot be read as a 32-bit integer (Java {@code int}).
     *
     * @param value a JSON value
     * @return empty if it is an integer in range; else the reason, to follow the key and value in a
     *     message ("must be an integer", or "is out of range ...")
     */
    public static Optional<String> intProblem(JsonElement value) {
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
            return Optional.of("must be an integer");
        }
        BigDecimal v;
        try {
            v = value.getAsBigDecimal();
        } catch (NumberFormatException e) {
            return Optional.of("must be an integer");
        }
        if (v.signum() != 0 && v.stripTrailingZeros().scale() > 0) {
            return Optional.of("must be an integer");
        }
        if (v.compareTo(INT_MIN) < 0 || v.compareTo(INT_MAX) > 0) {
            return Optional.of(
                    "is out of range (a 32-bit integer, at most " + Integer.MAX_VALUE + ")");
        }
        return Optional.empty();
    }
}
