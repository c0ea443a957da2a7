package ai.ttt.block;

/** How RoPE pairs the coordinates of a head vector it rotates. */
public enum RopeLayout {
    /** Pairs (x[2j], x[2j+1]), as in the official TTT-E2E code and Meta's original Llama. */
    INTERLEAVED("interleaved"),
    /** Pairs (x[j], x[j + hd/2]), as in Hugging Face transformers ({@code rotate_half}). */
    ROTATE_HALF("rotate_half");

    private final String jsonName;

    RopeLayout(String jsonName) {
        this.jsonName = jsonName;
    }

    /**
     * Returns the name used in {@code config.json}.
     *
     * @return the json name
     */
    public String jsonName() {
        return jsonName;
    }

    /**
     * Parses a {@code config.json} value.
     *
     * @param name the json name
     * @return the layout, or {@code null} if the name is unknown
     */
    public static RopeLayout fromJson(String name) {
        for (RopeLayout l : values()) {
            if (l.jsonName.equals(name)) {
                return l;
            }
        }
        return null;
    }
}
