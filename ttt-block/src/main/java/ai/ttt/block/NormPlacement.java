package ai.ttt.block;

/** Where the RMSNorms of a sublayer sit. */
public enum NormPlacement {
    /** {@code h + f(norm(h))}, as in Llama, Mistral and Qwen. */
    PRE("pre"),
    /** {@code h + postNorm(f(norm(h)))}, as in the official TTT-E2E models. */
    SANDWICH("sandwich");

    private final String jsonName;

    NormPlacement(String jsonName) {
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
     * @return the placement, or {@code null} if the name is unknown
     */
    public static NormPlacement fromJson(String name) {
        for (NormPlacement p : values()) {
            if (p.jsonName.equals(name)) {
                return p;
            }
        }
        return null;
    }
}
