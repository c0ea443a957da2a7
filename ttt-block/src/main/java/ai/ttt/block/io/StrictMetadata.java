package ai.ttt.block.io;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Typed, strict reads of the string metadata the project writes into its own files (the {@code
 * __metadata__} of state and session files): only canonical forms are accepted, so what loads is
 * exactly what was written. Every refusal is an {@link InvalidFileException} naming the file, the
 * key and the value.
 */
public final class StrictMetadata {

    private static final Pattern CANONICAL_INTEGER = Pattern.compile("0|[1-9][0-9]{0,18}");

    private final Path file;
    private final Map<String, String> entries;

    /**
     * Wraps a file's metadata.
     *
     * @param file the file (named in every message)
     * @param entries the metadata
     */
    public StrictMetadata(Path file, Map<String, String> entries) {
        this.file = file;
        this.entries = Map.copyOf(entries);
    }

    /**
     * Returns a value, or {@code null} when the key is absent.
     *
     * @param key the key
     * @return the value or null
     */
    public String get(String key) {
        return entries.get(key);
    }

    /**
     * Refuses a file whose format version is not the one this code reads.
     *
     * @param key the version's key
     * @param expected the version read here
     * @param format what the file must be ("a TTT-E2E state file")
     * @throws InvalidFileException naming the key and the version found
     */
    public void version(String key, String expected, String format) throws InvalidFileException {
        if (!expected.equals(entries.get(key))) {
            throw refuse(
                    "not "
                            + format
                            + " of version "
                            + expected
                            + " ("
                            + key
                            + " "
                            + quoted(entries.get(key))
                            + ")");
        }
    }

    /**
     * Refuses keys outside a known set (a misspelt key must not be ignored silently).
     *
     * @param known the keys the format has
     * @throws InvalidFileException naming the first unknown key
     */
    public void onlyKeys(Set<String> known) throws InvalidFileException {
        for (String key : entries.keySet()) {
            if (!known.contains(key)) {
                throw refuse("unknown metadata key " + quoted(key));
            }
        }
    }

    /**
     * Returns a value that must be present.
     *
     * @param key the key
     * @return the value
     * @throws InvalidFileException if it is missing
     */
    public String require(String key) throws InvalidFileException {
        String value = entries.get(key);
        if (value == null) {
            throw refuse("metadata has no " + quoted(key));
        }
        return value;
    }

    /**
     * Reads a non-negative integer written in canonical decimal (no sign, no leading zero).
     *
     * @param key the key
     * @return the value
     * @throws InvalidFileException if it is missing, not canonical or beyond 64 bits
     */
    public long nonNegativeLong(String key) throws InvalidFileException {
        String value = require(key);
        if (!CANONICAL_INTEGER.matcher(value).matches()) {
            throw refuse(key + " " + quoted(value) + " must be a non-negative decimal integer");
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw refuse(key + " " + quoted(value) + " is out of range");
        }
    }

    /**
     * Reads {@code true} or {@code false} (nothing else).
     *
     * @param key the key
     * @return the value
     * @throws InvalidFileException if it is missing or neither word
     */
    public boolean bool(String key) throws InvalidFileException {
        String value = require(key);
        if (!value.equals("true") && !value.equals("false")) {
            throw refuse(key + " " + quoted(value) + " must be true or false");
        }
        return value.equals("true");
    }

    /**
     * Makes the refusal of a rule about this file.
     *
     * @param problem what is wrong, naming the key and value
     * @return the exception to throw
     */
    public InvalidFileException refuse(String problem) {
        return new InvalidFileException(file, problem);
    }

    /**
     * Quotes a value for a one-line message: control characters escaped, long values cut.
     *
     * @param s the value, or null
     * @return the quoted value, or "(none)"
     */
    public static String quoted(String s) {
        if (s == null) {
            return "(none)";
        }
        String shown = s.length() > 60 ? s.substring(0, 60) + "…" : s;
        StringBuilder out = new StringBuilder("\"");
        for (char c : shown.toCharArray()) {
            out.append(
                    c < 0x20 || c == 0x7f || Character.isSurrogate(c)
                            ? String.format("\\u%04x", (int) c)
                            : c);
        }
        return out.append('"').toString();
    }
}
