package ai.ttt.block.safetensors;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random mutations of real safetensors files, for the fuzz tests of the two binary readers (model
 * weights and state files). Deterministic for a given {@link Random}.
 *
 * <p>Kinds (see {@link Kind}): raw byte damage anywhere (bit flips, byte overwrites, inserted and
 * deleted bytes, truncation, appended junk, a new header length), syntax damage in the header
 * (characters that matter to JSON), and structure-aware edits that keep the file well formed so
 * that the checks behind the parser are reached: a metadata value, a shape, an offset or a dtype
 * changed, an entry removed or renamed, and values in the data section overwritten (NaN,
 * infinities, extreme and random bit patterns).
 */
public final class SafetensorsMutator {

    /** What a mutation did (recorded per file, counted in the test's report). */
    public enum Kind {
        BIT_FLIP,
        BYTE_OVERWRITE,
        HEADER_SYNTAX,
        INSERT_BYTES,
        DELETE_BYTES,
        TRUNCATE,
        APPEND_JUNK,
        HEADER_LENGTH,
        METADATA_VALUE,
        SHAPE,
        OFFSETS,
        DTYPE,
        ENTRY_REMOVED_OR_RENAMED,
        DATA_VALUES
    }

    /** A mutated file and what was done to it. */
    public record Mutant(byte[] bytes, List<Kind> kinds) {}

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private static final String[] DTYPES = {
        "F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL", "U16", "F8_E4M3",
        "f32"
    };

    private static final byte[] JSON_BYTES =
            "{}[]\",:-+.eE0123456789 \n\\tfn\u0000".getBytes(StandardCharsets.UTF_8);

    private static final long[] INTERESTING = {
        0,
        1,
        -1,
        2,
        3,
        7,
        8,
        16,
        255,
        256,
        511,
        512,
        4096,
        65535,
        65536,
        Integer.MAX_VALUE,
        (long) Integer.MAX_VALUE + 1,
        1L << 32,
        1L << 40,
        Long.MAX_VALUE,
        Long.MIN_VALUE
    };

    private final Random random;
    private final List<Kind> menu = new ArrayList<>();

    /**
     * Creates a mutator that picks every kind equally often.
     *
     * @param random the source of all choices
     */
    public SafetensorsMutator(Random random) {
        this(random, Map.of());
    }

    /**
     * Creates a mutator that picks some kinds more often than others.
     *
     * @param random the source of all choices
     * @param weights relative weight of a kind (absent: 1)
     */
    public SafetensorsMutator(Random random, Map<Kind, Integer> weights) {
        this.random = random;
        for (Kind k : Kind.values()) {
            for (int i = 0; i < weights.getOrDefault(k, 1); i++) {
                menu.add(k);
            }
        }
    }

    /**
     * Mutates a valid file one to three times.
     *
     * @param original the bytes of a valid safetensors file
     * @param metadataValues candidate replacement values for metadata entries (e.g. numbers in
     *     canonical and non-canonical forms)
     * @return the mutant
     */
    public Mutant mutate(byte[] original, List<String> metadataValues) {
        byte[] bytes = original;
        List<Kind> kinds = new ArrayList<>();
        int times = 1 + (random.nextInt(4) == 0 ? 1 + random.nextInt(2) : 0);
        for (int i = 0; i < times; i++) {
            Kind kind = menu.get(random.nextInt(menu.size()));
            byte[] next;
            try {
                next = apply(kind, bytes, metadataValues);
            } catch (RuntimeException notApplicable) {
                next = null; // e.g. a header already damaged by an earlier mutation
            }
            if (next != null) {
                bytes = next;
                kinds.add(kind);
            }
        }
        if (kinds.isEmpty()) {
            bytes = apply(Kind.BIT_FLIP, bytes, metadataValues);
            kinds.add(Kind.BIT_FLIP);
        }
        return new Mutant(bytes, kinds);
    }

    private byte[] apply(Kind kind, byte[] in, List<String> metadataValues) {
        byte[] b = in.clone();
        int headerEnd = headerEnd(b);
        switch (kind) {
            case BIT_FLIP:
                {
                    int at = position(b, headerEnd);
                    b[at] ^= (byte) (1 << random.nextInt(8));
                    return b;
                }
            case BYTE_OVERWRITE:
                {
                    int at = position(b, headerEnd);
                    b[at] = (byte) random.nextInt(256);
                    return b;
                }
            case HEADER_SYNTAX:
                {
                    if (headerEnd <= 8) {
                        return null;
                    }
                    int at = 8 + random.nextInt(headerEnd - 8);
                    b[at] = JSON_BYTES[random.nextInt(JSON_BYTES.length)];
                    return b;
                }
            case INSERT_BYTES:
                {
                    int at = random.nextInt(b.length + 1);
                    byte[] extra = new byte[1 + random.nextInt(8)];
                    random.nextBytes(extra);
                    return splice(b, at, 0, extra);
                }
            case DELETE_BYTES:
                {
                    if (b.length == 0) {
                        return null;
                    }
                    int at = random.nextInt(b.length);
                    int n = Math.min(b.length - at, 1 + random.nextInt(8));
                    return splice(b, at, n, new byte[0]);
                }
            case TRUNCATE:
                return Arrays.copyOf(b, random.nextInt(b.length));
            case APPEND_JUNK:
                {
                    byte[] extra = new byte[1 + random.nextInt(64)];
                    random.nextBytes(extra);
                    return splice(b, b.length, 0, extra);
                }
            case HEADER_LENGTH:
                {
                    if (b.length < 8) {
                        return null;
                    }
                    long length = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
                    long next =
                            random.nextBoolean()
                                    ? length + random.nextInt(17) - 8
                                    : INTERESTING[random.nextInt(INTERESTING.length)];
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, next);
                    return b;
                }
            case DATA_VALUES:
                return dataValues(b, headerEnd);
            default:
                return structured(kind, b, metadataValues);
        }
    }

    /** A position in the header (half the time) or anywhere. */
    private int position(byte[] b, int headerEnd) {
        if (headerEnd > 0 && random.nextBoolean()) {
            return random.nextInt(Math.min(b.length, headerEnd));
        }
        return random.nextInt(b.length);
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }

    /** 8 + header length, if the length field is plausible, else 0. */
    private static int headerEnd(byte[] b) {
        if (b.length < 8) {
            return 0;
        }
        long length = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return length > 0 && length <= b.length - 8 ? (int) (8 + length) : 0;
    }

    /** Overwrites a few elements of one tensor with special or random values (header intact). */
    private byte[] dataValues(byte[] b, int headerEnd) {
        JsonObject header = header(b, headerEnd);
        if (header == null) {
            return null;
        }
        List<String> names = tensorNames(header);
        if (names.isEmpty()) {
            return null;
        }
        JsonObject entry = header.getAsJsonObject(names.get(random.nextInt(names.size())));
        String dtype = entry.get("dtype").getAsString();
        JsonArray offsets = entry.getAsJsonArray("data_offsets");
        long begin = headerEnd + offsets.get(0).getAsLong();
        long end = headerEnd + offsets.get(1).getAsLong();
        int size = elementSize(dtype);
        if (size == 0 || end - begin < size || end > b.length) {
            return null;
        }
        long elements = (end - begin) / size;
        int writes = 1 + random.nextInt(3);
        ByteBuffer buffer = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < writes; i++) {
            int at = (int) (begin + size * (long) random.nextInt((int) elements));
            switch (dtype) {
                case "F32":
                    buffer.putFloat(at, specialFloat());
                    break;
                case "F64":
                    buffer.putDouble(at, specialFloat());
                    break;
                case "I64":
                    buffer.putLong(
                            at,
                            random.nextBoolean()
                                    ? INTERESTING[random.nextInt(INTERESTING.length)]
                                    : buffer.getLong(at) + random.nextInt(5) - 2);
                    break;
                default:
                    for (int k = 0; k < size; k++) {
                        b[at + k] = (byte) random.nextInt(256);
                    }
            }
        }
        return b;
    }

    private float specialFloat() {
        float[] special = {
            Float.NaN,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
            Float.MIN_VALUE,
            0f,
            -0f,
            1e30f,
            -1f
        };
        return random.nextInt(3) == 0
                ? Float.intBitsToFloat(random.nextInt())
                : special[random.nextInt(special.length)];
    }

    private static int elementSize(String dtype) {
        switch (dtype) {
            case "F64":
            case "I64":
                return 8;
            case "F32":
            case "I32":
                return 4;
            case "F16":
            case "BF16":
            case "I16":
                return 2;
            case "I8":
            case "U8":
            case "BOOL":
                return 1;
            default:
                return 0;
        }
    }

    /** Edits the parsed header and writes it back (with a new length field), data unchanged. */
    private byte[] structured(Kind kind, byte[] b, List<String> metadataValues) {
        int headerEnd = headerEnd(b);
        JsonObject header = header(b, headerEnd);
        if (header == null) {
            return null;
        }
        List<String> names = tensorNames(header);
        switch (kind) {
            case METADATA_VALUE:
                {
                    if (!header.has("__metadata__") || !header.get("__metadata__").isJsonObject()) {
                        return null;
                    }
                    JsonObject meta = header.getAsJsonObject("__metadata__");
                    List<String> keys = new ArrayList<>(meta.keySet());
                    if (keys.isEmpty()) {
                        return null;
                    }
                    String key = keys.get(random.nextInt(keys.size()));
                    int choice = random.nextInt(4);
                    if (choice == 0) {
                        meta.remove(key);
                    } else if (choice == 1 && !metadataValues.isEmpty()) {
                        meta.addProperty(
                                key, metadataValues.get(random.nextInt(metadataValues.size())));
                    } else if (choice == 2) {
                        meta.addProperty(key + (random.nextBoolean() ? "_" : ""), "1");
                    } else {
                        String value = meta.get(key).getAsString();
                        meta.addProperty(key, tweakDigits(value));
                    }
                    break;
                }
            case SHAPE:
                {
                    if (names.isEmpty()) {
                        return null;
                    }
                    JsonObject entry =
                            header.getAsJsonObject(names.get(random.nextInt(names.size())));
                    JsonArray shape = entry.getAsJsonArray("shape");
                    JsonArray next = new JsonArray();
                    shape.forEach(next::add);
                    int choice = random.nextInt(3);
                    if (choice == 0 || next.isEmpty()) {
                        next.add(1 + random.nextInt(3));
                    } else if (choice == 1) {
                        next.remove(random.nextInt(next.size()));
                    } else {
                        int i = random.nextInt(next.size());
                        next.set(i, new JsonPrimitive(mutateNumber(next.get(i).getAsLong())));
                    }
                    entry.add("shape", next);
                    break;
                }
            case OFFSETS:
                {
                    if (names.isEmpty()) {
                        return null;
                    }
                    JsonObject entry =
                            header.getAsJsonObject(names.get(random.nextInt(names.size())));
                    JsonArray offsets = entry.getAsJsonArray("data_offsets");
                    int i = random.nextInt(2);
                    offsets.set(i, new JsonPrimitive(mutateNumber(offsets.get(i).getAsLong())));
                    break;
                }
            case DTYPE:
                {
                    if (names.isEmpty()) {
                        return null;
                    }
                    JsonObject entry =
                            header.getAsJsonObject(names.get(random.nextInt(names.size())));
                    entry.addProperty("dtype", DTYPES[random.nextInt(DTYPES.length)]);
                    break;
                }
            case ENTRY_REMOVED_OR_RENAMED:
                {
                    if (names.isEmpty()) {
                        return null;
                    }
                    String name = names.get(random.nextInt(names.size()));
                    JsonElement entry = header.remove(name);
                    if (random.nextBoolean()) {
                        header.add(tweakName(name), entry);
                    }
                    break;
                }
            default:
                throw new IllegalArgumentException("not structured: " + kind);
        }
        byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        byte[] out = new byte[8 + padded + (b.length - headerEnd)];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
        System.arraycopy(json, 0, out, 8, json.length);
        Arrays.fill(out, 8 + json.length, 8 + padded, (byte) ' ');
        System.arraycopy(b, headerEnd, out, 8 + padded, b.length - headerEnd);
        return out;
    }

    private long mutateNumber(long v) {
        switch (random.nextInt(3)) {
            case 0:
                return v + random.nextInt(9) - 4;
            case 1:
                return v * 2;
            default:
                return INTERESTING[random.nextInt(INTERESTING.length)];
        }
    }

    private String tweakDigits(String value) {
        if (value.isEmpty()) {
            return "0";
        }
        switch (random.nextInt(5)) {
            case 0:
                return "0" + value;
            case 1:
                return "-" + value;
            case 2:
                return value + random.nextInt(10);
            case 3:
                return " " + value;
            default:
                char[] c = value.toCharArray();
                c[random.nextInt(c.length)] = (char) ('0' + random.nextInt(10));
                return new String(c);
        }
    }

    private String tweakName(String name) {
        switch (random.nextInt(3)) {
            case 0:
                return name + "x";
            case 1:
                return name.substring(0, Math.max(0, name.length() - 1));
            default:
                return name.toUpperCase(java.util.Locale.ROOT);
        }
    }

    private static JsonObject header(byte[] b, int headerEnd) {
        if (headerEnd == 0) {
            return null;
        }
        try {
            JsonElement e =
                    JsonParser.parseString(new String(b, 8, headerEnd - 8, StandardCharsets.UTF_8));
            return e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static List<String> tensorNames(JsonObject header) {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (!e.getKey().equals("__metadata__")
                    && e.getValue().isJsonObject()
                    && e.getValue().getAsJsonObject().has("dtype")
                    && e.getValue().getAsJsonObject().has("shape")
                    && e.getValue().getAsJsonObject().get("shape").isJsonArray()
                    && e.getValue().getAsJsonObject().has("data_offsets")
                    && e.getValue().getAsJsonObject().get("data_offsets").isJsonArray()
                    && e.getValue().getAsJsonObject().getAsJsonArray("data_offsets").size() == 2) {
                names.add(e.getKey());
            }
        }
        return names;
    }
}
