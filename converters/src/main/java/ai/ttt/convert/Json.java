package ai.ttt.convert;

import ai.ttt.block.StrictJson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Typed reads of a source config.json whose errors name the file, the key and the value. */
final class Json {

    private final JsonObject object;
    private final Path file;

    Json(JsonObject object, Path file) {
        this.object = object;
        this.file = file;
    }

    boolean has(String key) {
        return object.has(key) && !object.get(key).isJsonNull();
    }

    JsonObject object(String key) throws ConversionException {
        JsonElement e = get(key);
        if (!e.isJsonObject()) {
            throw error(key, e, "must be an object");
        }
        return e.getAsJsonObject();
    }

    int integer(String key) throws ConversionException {
        JsonElement e = get(key);
        Optional<String> problem = StrictJson.intProblem(e);
        if (problem.isPresent()) {
            throw error(key, e, problem.get());
        }
        return e.getAsInt();
    }

    double number(String key) throws ConversionException {
        JsonElement e = get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw error(key, e, "must be a number");
        }
        return e.getAsDouble();
    }

    boolean bool(String key, boolean fallback) throws ConversionException {
        if (!has(key)) {
            return fallback;
        }
        JsonElement e = object.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw error(key, e, "must be true or false");
        }
        return e.getAsBoolean();
    }

    String string(String key, String fallback) throws ConversionException {
        if (!has(key)) {
            return fallback;
        }
        JsonElement e = object.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw error(key, e, "must be a string");
        }
        return e.getAsString();
    }

    /** An integer, or a list of integers, as a list; empty when absent. */
    List<Integer> integers(String key) throws ConversionException {
        List<Integer> out = new ArrayList<>();
        if (!has(key)) {
            return out;
        }
        JsonElement e = object.get(key);
        if (e.isJsonArray()) {
            for (JsonElement item : e.getAsJsonArray()) {
                JsonObject wrapper = new JsonObject();
                wrapper.add(key, item);
                out.add(new Json(wrapper, file).integer(key));
            }
        } else {
            out.add(integer(key));
        }
        return out;
    }

    private JsonElement get(String key) throws ConversionException {
        if (!has(key)) {
            throw new ConversionException(file + ": " + key + " is missing");
        }
        return object.get(key);
    }

    private ConversionException error(String key, JsonElement value, String rule) {
        return new ConversionException(file + ": " + key + " " + value + " " + rule);
    }
}
