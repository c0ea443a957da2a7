package ai.ttt.block;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The one typed reader of a JSON object's fields (our {@code config.json}, a converter's source
 * {@code config.json}): every error names the key, the value and the rule it breaks ({@code
 * hidden_size "8" must be an integer}), and is made by the caller's factory, so that each reader
 * reports in its own exception type and with its own context (a file name).
 *
 * <p>Integers follow {@link StrictJson#intProblem}: {@code 8} and {@code 8.0} are 8, {@code 8.5}
 * and {@code 3e9} are refused. A JSON {@code null} counts as absent.
 *
 * @param <E> the exception the reader throws
 */
public final class JsonFields<E extends Exception> {

    /**
     * Makes the exception of a broken rule.
     *
     * @param <E> the exception type
     */
    @FunctionalInterface
    public interface Errors<E extends Exception> {
        /**
         * Creates the exception.
         *
         * @param message {@code key value rule}, or {@code key is missing}
         * @return the exception to throw
         */
        E error(String message);
    }

    private final JsonObject object;
    private final Errors<E> errors;

    /**
     * Reads the fields of an object.
     *
     * @param object the object
     * @param errors makes the exception of a broken rule
     */
    public JsonFields(JsonObject object, Errors<E> errors) {
        this.object = object;
        this.errors = errors;
    }

    /**
     * Returns whether a key holds a value other than {@code null}.
     *
     * @param key the key
     * @return whether it is present
     */
    public boolean has(String key) {
        return object.has(key) && !object.get(key).isJsonNull();
    }

    /**
     * Returns a nested object.
     *
     * @param key the key
     * @return the object
     * @throws E if it is missing or not an object
     */
    public JsonObject object(String key) throws E {
        JsonElement e = get(key);
        if (!e.isJsonObject()) {
            throw errors.error(key + " " + e + " must be an object");
        }
        return e.getAsJsonObject();
    }

    /**
     * Returns a string.
     *
     * @param key the key
     * @return the string
     * @throws E if it is missing or not a string
     */
    public String string(String key) throws E {
        JsonPrimitive p = primitive(key);
        if (!p.isString()) {
            throw errors.error(key + " " + p + " must be a string");
        }
        return p.getAsString();
    }

    /**
     * Returns a string, or a fallback when the key is absent.
     *
     * @param key the key
     * @param fallback the value when absent
     * @return the string
     * @throws E if it is present but not a string
     */
    public String string(String key, String fallback) throws E {
        return has(key) ? string(key) : fallback;
    }

    /**
     * Returns a 32-bit integer.
     *
     * @param key the key
     * @return the integer
     * @throws E if it is missing or not an integer in the int range
     */
    public int integer(String key) throws E {
        JsonPrimitive p = primitive(key);
        Optional<String> problem = StrictJson.intProblem(p);
        if (problem.isPresent()) {
            throw errors.error(key + " " + p + " " + problem.get());
        }
        return p.getAsInt();
    }

    /**
     * Returns an integer, or empty when the key is absent.
     *
     * @param key the key
     * @return the integer or empty
     * @throws E if it is present but not an integer
     */
    public OptionalInt optionalInt(String key) throws E {
        return has(key) ? OptionalInt.of(integer(key)) : OptionalInt.empty();
    }

    /**
     * Returns an integer or a list of integers as a list (empty when absent), in order.
     *
     * @param key the key
     * @return the integers
     * @throws E if the value or an element is not an integer
     */
    public List<Integer> integers(String key) throws E {
        List<Integer> out = new ArrayList<>();
        if (!has(key)) {
            return out;
        }
        JsonElement e = object.get(key);
        if (e.isJsonPrimitive()) {
            out.add(integer(key));
            return out;
        }
        if (!e.isJsonArray()) {
            throw errors.error(key + " " + e + " must be an integer or a list");
        }
        for (JsonElement item : e.getAsJsonArray()) {
            JsonObject one = new JsonObject();
            one.add(key, item);
            out.add(new JsonFields<>(one, errors).integer(key));
        }
        return out;
    }

    /**
     * Returns a number.
     *
     * @param key the key
     * @return the number
     * @throws E if it is missing or not a number
     */
    public double number(String key) throws E {
        JsonPrimitive p = primitive(key);
        if (!p.isNumber()) {
            throw errors.error(key + " " + p + " must be a number");
        }
        return p.getAsDouble();
    }

    /**
     * Returns a boolean.
     *
     * @param key the key
     * @return the boolean
     * @throws E if it is missing or not true or false
     */
    public boolean bool(String key) throws E {
        JsonPrimitive p = primitive(key);
        if (!p.isBoolean()) {
            throw errors.error(key + " " + p + " must be true or false");
        }
        return p.getAsBoolean();
    }

    /**
     * Returns a boolean, or a fallback when the key is absent.
     *
     * @param key the key
     * @param fallback the value when absent
     * @return the boolean
     * @throws E if it is present but not true or false
     */
    public boolean bool(String key, boolean fallback) throws E {
        return has(key) ? bool(key) : fallback;
    }

    private JsonElement get(String key) throws E {
        if (!has(key)) {
            throw errors.error(key + " is missing");
        }
        return object.get(key);
    }

    private JsonPrimitive primitive(String key) throws E {
        JsonElement e = get(key);
        if (!e.isJsonPrimitive()) {
            throw errors.error(key + " " + e + " must be a single value");
        }
        return e.getAsJsonPrimitive();
    }
}
