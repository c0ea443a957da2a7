package ai.ttt.translators;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Reads typed values from DJL's {@code Map<String, ?>} arguments (Criteria arguments, model
 * properties from serving.properties, or request parameters), where a value may arrive as a number,
 * a boolean, a string or a collection. Every error names the argument and the value.
 */
final class Arguments {

    private Arguments() {}

    /**
     * Returns the value of the first of {@code names} that is present.
     *
     * @return the value, or {@code null}
     */
    static Object first(Map<String, ?> args, String... names) {
        if (args == null) {
            return null;
        }
        for (String n : names) {
            Object v = args.get(n);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    static long integer(Object value, String name) {
        if (value instanceof Number) {
            Number n = (Number) value;
            double d = n.doubleValue();
            if (value instanceof Double || value instanceof Float) {
                if (d != Math.rint(d) || Double.isInfinite(d)) {
                    throw bad(name, value, "an integer");
                }
                return (long) d;
            }
            return n.longValue();
        }
        if (value instanceof String) {
            String s = ((String) value).trim();
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                try {
                    double d = Double.parseDouble(s);
                    if (d == Math.rint(d) && !Double.isInfinite(d)) {
                        return (long) d;
                    }
                } catch (NumberFormatException ignored) {
                    // reported below
                }
                throw bad(name, value, "an integer");
            }
        }
        throw bad(name, value, "an integer");
    }

    static int intValue(Object value, String name) {
        long v = integer(value, name);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw bad(name, value, "an integer in the int range");
        }
        return (int) v;
    }

    static double number(Object value, String name) {
        if (value instanceof Number) {
            return ((Number) value).doubleValue();
        }
        if (value instanceof String) {
            try {
                return Double.parseDouble(((String) value).trim());
            } catch (NumberFormatException e) {
                throw bad(name, value, "a number");
            }
        }
        throw bad(name, value, "a number");
    }

    static boolean bool(Object value, String name) {
        if (value instanceof Boolean) {
            return (Boolean) value;
        }
        if (value instanceof String) {
            String s = ((String) value).trim();
            if ("true".equalsIgnoreCase(s)) {
                return true;
            }
            if ("false".equalsIgnoreCase(s)) {
                return false;
            }
        }
        throw bad(name, value, "true or false");
    }

    /**
     * Reads a list of strings: a collection or array of strings, a JSON array written as a string
     * ({@code ["\n\n", "###"]}), or a single string (one element).
     */
    static List<String> strings(Object value, String name) {
        List<String> out = new ArrayList<>();
        if (value instanceof String) {
            String s = (String) value;
            if (s.trim().startsWith("[")) {
                for (JsonElement e : jsonArray(s, name)) {
                    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                        throw bad(name, value, "a list of strings");
                    }
                    out.add(e.getAsString());
                }
            } else {
                out.add(s);
            }
            return out;
        }
        for (Object o : elements(value, name, "a list of strings")) {
            if (!(o instanceof String)) {
                throw bad(name, value, "a list of strings");
            }
            out.add((String) o);
        }
        return out;
    }

    /**
     * Reads a list of token ids: a collection or array of integers, a JSON array string, a
     * comma-separated string ({@code "0,2"}) or a single integer.
     */
    static List<Long> ids(Object value, String name) {
        List<Long> out = new ArrayList<>();
        if (value instanceof String) {
            String s = ((String) value).trim();
            if (s.startsWith("[")) {
                for (JsonElement e : jsonArray(s, name)) {
                    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                        throw bad(name, value, "a list of token ids");
                    }
                    out.add(integer(e.getAsNumber(), name));
                }
            } else if (!s.isEmpty()) {
                for (String part : s.split(",")) {
                    out.add(integer(part, name));
                }
            }
            return out;
        }
        if (value instanceof Number) {
            out.add(integer(value, name));
            return out;
        }
        for (Object o : elements(value, name, "a list of token ids")) {
            out.add(integer(o, name));
        }
        return out;
    }

    private static List<Object> elements(Object value, String name, String what) {
        List<Object> out = new ArrayList<>();
        if (value instanceof Collection) {
            out.addAll((Collection<?>) value);
        } else if (value != null && value.getClass().isArray()) {
            int n = Array.getLength(value);
            for (int i = 0; i < n; i++) {
                out.add(Array.get(value, i));
            }
        } else {
            throw bad(name, value, what);
        }
        return out;
    }

    private static JsonArray jsonArray(String s, String name) {
        try {
            JsonElement e = JsonParser.parseString(s);
            if (e.isJsonArray()) {
                return e.getAsJsonArray();
            }
        } catch (JsonParseException e) {
            // reported below
        }
        throw bad(name, s, "a JSON array");
    }

    static IllegalArgumentException bad(String name, Object value, String expected) {
        String shown = value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
        return new IllegalArgumentException(
                "argument " + name + " must be " + expected + ", got " + shown);
    }
}
