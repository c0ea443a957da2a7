package ai.ttt.block;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;

/** Strict RFC 8259 JSON parsing (Gson's default parser is lenient and accepts broken files). */
public final class StrictJson {

    private static final Gson GSON = new GsonBuilder().setStrictness(Strictness.STRICT).create();

    private StrictJson() {}

    /**
     * Parses a whole document.
     *
     * @param text the JSON text
     * @return the value
     * @throws JsonParseException if the text is not one valid JSON value
     */
    public static JsonElement parse(String text) {
        JsonElement e = GSON.fromJson(text, JsonElement.class);
        if (e == null) {
            throw new JsonParseException("empty document");
        }
        return e;
    }
}
