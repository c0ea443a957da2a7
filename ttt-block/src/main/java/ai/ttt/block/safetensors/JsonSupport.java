package ai.ttt.block.safetensors;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** Strict JSON reading shared by the header and index parsers (package-private). */
final class JsonSupport {

    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");

    private JsonSupport() {}

    /** Decodes strict UTF-8 (malformed input is an error, not a replacement character). */
    static String decodeUtf8(byte[] bytes, Path file, String what) throws SafetensorsException {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, what + " is not valid UTF-8", e);
        }
    }

    /** Returns a reader that accepts only RFC 8259 JSON. */
    static JsonReader strictReader(String json) {
        JsonReader reader = new JsonReader(new StringReader(json));
        reader.setStrictness(Strictness.STRICT);
        return reader;
    }

    /**
     * Reads the next value as a JSON integer literal that fits a {@code long}.
     *
     * @param what names the value in the message, e.g. {@code "tensor 'w': shape[1]"}
     */
    static long nextLong(JsonReader reader, Path file, String what) throws IOException {
        JsonToken token = reader.peek();
        if (token != JsonToken.NUMBER) {
            throw new SafetensorsException(
                    file, what + " must be an integer, found " + describe(token));
        }
        String literal = reader.nextString();
        if (!INTEGER.matcher(literal).matches()) {
            throw new SafetensorsException(file, what + " must be an integer, found " + literal);
        }
        try {
            return Long.parseLong(literal);
        } catch (NumberFormatException e) {
            throw new SafetensorsException(
                    file, what + " " + literal + " does not fit in 64 bits", e);
        }
    }

    /**
     * Reads a JSON object whose values are all strings, rejecting duplicate keys.
     *
     * @param what names the object in messages, e.g. {@code "__metadata__"}
     */
    static Map<String, String> nextStringMap(JsonReader reader, Path file, String what)
            throws IOException {
        expect(reader, JsonToken.BEGIN_OBJECT, file, what + " must be a JSON object");
        Map<String, String> map = new LinkedHashMap<>();
        reader.beginObject();
        while (reader.hasNext()) {
            String key = reader.nextName();
            JsonToken token = reader.peek();
            if (token != JsonToken.STRING) {
                throw new SafetensorsException(
                        file,
                        what
                                + " must map strings to strings, but key '"
                                + key
                                + "' has "
                                + describe(token)
                                + " value");
            }
            if (map.put(key, reader.nextString()) != null) {
                throw new SafetensorsException(file, what + " has duplicate key '" + key + "'");
            }
        }
        reader.endObject();
        return map;
    }

    /** Throws {@code message + ", found <token>"} unless the next token is {@code expected}. */
    static void expect(JsonReader reader, JsonToken expected, Path file, String message)
            throws IOException {
        JsonToken token = reader.peek();
        if (token != expected) {
            throw new SafetensorsException(file, message + ", found " + describe(token));
        }
    }

    /** Names a token kind for messages. */
    static String describe(JsonToken token) {
        switch (token) {
            case BEGIN_OBJECT:
                return "an object";
            case BEGIN_ARRAY:
                return "an array";
            case STRING:
                return "a string";
            case NUMBER:
                return "a number";
            case BOOLEAN:
                return "a boolean";
            case NULL:
                return "null";
            case END_DOCUMENT:
                return "the end of the document";
            default:
                return token.toString();
        }
    }
}
