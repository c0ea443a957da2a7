package ai.ttt.block;

import ai.ttt.block.io.TextFiles;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The JSON codec of {@link TttConfig}: {@code config.json} to a validated config and back
 * (docs/MODEL_FORMAT.md). Reading is strict ({@link StrictJson}: RFC 8259, no key twice), refuses
 * unknown keys (keys starting with {@code _} are free-form notes), and every error names the key,
 * the value and the rule ({@link JsonFields}); writing puts the keys in a fixed order.
 */
public final class TttConfigJson {

    private static final Set<String> KEYS =
            Set.of(
                    "model_type",
                    "format_version",
                    "vocab_size",
                    "hidden_size",
                    "intermediate_size",
                    "prime_intermediate_size",
                    "num_hidden_layers",
                    "num_attention_heads",
                    "num_key_value_heads",
                    "head_dim",
                    "rope_theta",
                    "rope_layout",
                    "rope_scaling",
                    "qk_norm",
                    "attention_bias",
                    "norm_placement",
                    "tie_word_embeddings",
                    "rms_norm_eps",
                    "sliding_window",
                    "mini_batch_size",
                    "num_prime_layers",
                    "inner_lr",
                    "inner_grad_clip",
                    "bos_token_id",
                    "eos_token_id");

    private TttConfigJson() {}

    /**
     * Reads and validates {@code config.json}.
     *
     * @param file the file
     * @return the config
     * @throws IOException if the file cannot be read
     * @throws InvalidConfigException naming the file, key and rule if it is invalid
     */
    public static TttConfig load(Path file) throws IOException {
        try {
            String text = TextFiles.readUtf8(file);
            JsonElement root;
            try {
                root = StrictJson.parse(text);
            } catch (JsonParseException e) {
                throw new InvalidConfigException(
                        file + ": invalid JSON: " + StrictJson.firstLine(e), e);
            }
            if (!root.isJsonObject()) {
                throw new InvalidConfigException(file + ": expected a JSON object");
            }
            return fromJson(root.getAsJsonObject());
        } catch (InvalidConfigException e) {
            if (e.getMessage().startsWith(file.toString())) {
                throw e;
            }
            throw new InvalidConfigException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses and validates a config object.
     *
     * @param o the JSON object of config.json
     * @return the config
     * @throws InvalidConfigException naming the key and rule if it is invalid
     */
    public static TttConfig fromJson(JsonObject o) {
        for (String key : o.keySet()) {
            if (!KEYS.contains(key) && !key.startsWith("_")) {
                throw new InvalidConfigException(
                        "unknown key \"" + key + "\" (keys starting with _ are free-form notes)");
            }
        }
        JsonFields<InvalidConfigException> j = new JsonFields<>(o, InvalidConfigException::new);
        String type = j.string("model_type");
        if (!TttConfig.MODEL_TYPE.equals(type)) {
            throw new InvalidConfigException(
                    "model_type \"" + type + "\" is not \"" + TttConfig.MODEL_TYPE + "\"");
        }
        int version = j.integer("format_version");
        if (version != TttConfig.FORMAT_VERSION) {
            throw new InvalidConfigException(
                    "format_version "
                            + version
                            + " is not supported (this build reads "
                            + TttConfig.FORMAT_VERSION
                            + ")");
        }
        String layoutName = j.string("rope_layout");
        RopeLayout layout = RopeLayout.fromJson(layoutName);
        if (layout == null) {
            throw new InvalidConfigException(
                    "rope_layout \""
                            + layoutName
                            + "\" must be \"interleaved\" or \"rotate_half\"");
        }
        String placementName = j.string("norm_placement");
        NormPlacement placement = NormPlacement.fromJson(placementName);
        if (placement == null) {
            throw new InvalidConfigException(
                    "norm_placement \"" + placementName + "\" must be \"pre\" or \"sandwich\"");
        }
        int hidden = j.integer("hidden_size");
        int heads = j.integer("num_attention_heads");
        int headDim;
        if (j.has("head_dim")) {
            headDim = j.integer("head_dim");
        } else {
            // num_attention_heads <= 0 is reported by the config's own validation.
            headDim = heads > 0 ? TttConfig.impliedHeadDim(hidden, heads) : 0;
        }
        // Repeated EOS ids mean one id.
        List<Integer> eos = new ArrayList<>(new LinkedHashSet<>(j.integers("eos_token_id")));
        return new TttConfig(
                j.integer("vocab_size"),
                hidden,
                j.integer("intermediate_size"),
                j.integer("prime_intermediate_size"),
                j.integer("num_hidden_layers"),
                heads,
                j.integer("num_key_value_heads"),
                headDim,
                j.number("rope_theta"),
                layout,
                scaling(o.get("rope_scaling")),
                j.bool("qk_norm"),
                j.bool("attention_bias"),
                placement,
                j.bool("tie_word_embeddings"),
                j.number("rms_norm_eps"),
                j.integer("sliding_window"),
                j.integer("mini_batch_size"),
                j.integer("num_prime_layers"),
                j.number("inner_lr"),
                j.number("inner_grad_clip"),
                j.optionalInt("bos_token_id"),
                eos);
    }

    /**
     * Reads {@code rope_scaling}: {@code null}, or an object whose {@code rope_type} this plugin
     * implements ({@link RopeScaling.Type}).
     */
    private static RopeScaling scaling(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonObject()) {
            throw new InvalidConfigException("rope_scaling " + e + " must be an object or null");
        }
        JsonFields<InvalidConfigException> s =
                new JsonFields<>(e.getAsJsonObject(), InvalidConfigException::new);
        String name = s.string("rope_type");
        RopeScaling.Type type = RopeScaling.Type.fromJson(name);
        if (type == null) {
            throw new InvalidConfigException(
                    "rope_scaling.rope_type \""
                            + name
                            + "\" is not supported; supported: "
                            + RopeScaling.SUPPORTED);
        }
        switch (type) {
            case LLAMA3:
                return RopeScaling.llama3(
                        s.number("factor"),
                        s.number("low_freq_factor"),
                        s.number("high_freq_factor"),
                        s.integer("original_max_position_embeddings"));
            case LINEAR:
                return RopeScaling.linear(s.number("factor"));
            default:
                throw new AssertionError(type);
        }
    }

    /**
     * Returns a config as the JSON object of config.json, keys in a fixed order.
     *
     * @param c the config
     * @return the JSON object
     */
    public static JsonObject toJson(TttConfig c) {
        JsonObject o = new JsonObject();
        o.addProperty("model_type", TttConfig.MODEL_TYPE);
        o.addProperty("format_version", TttConfig.FORMAT_VERSION);
        o.addProperty("vocab_size", c.vocabSize());
        o.addProperty("hidden_size", c.hiddenSize());
        o.addProperty("intermediate_size", c.intermediateSize());
        o.addProperty("prime_intermediate_size", c.primeIntermediateSize());
        o.addProperty("num_hidden_layers", c.numLayers());
        o.addProperty("num_attention_heads", c.numHeads());
        o.addProperty("num_key_value_heads", c.numKvHeads());
        o.addProperty("head_dim", c.headDim());
        o.addProperty("rope_theta", c.ropeTheta());
        o.addProperty("rope_layout", c.ropeLayout().jsonName());
        RopeScaling scaling = c.ropeScaling();
        if (scaling == null) {
            o.add("rope_scaling", JsonNull.INSTANCE);
        } else {
            JsonObject s = new JsonObject();
            s.addProperty("rope_type", scaling.ropeType().jsonName());
            s.addProperty("factor", scaling.factor());
            if (scaling.ropeType() == RopeScaling.Type.LLAMA3) {
                s.addProperty("low_freq_factor", scaling.lowFreqFactor());
                s.addProperty("high_freq_factor", scaling.highFreqFactor());
                s.addProperty("original_max_position_embeddings", scaling.originalMaxPositions());
            }
            o.add("rope_scaling", s);
        }
        o.addProperty("qk_norm", c.qkNorm());
        o.addProperty("attention_bias", c.attentionBias());
        o.addProperty("norm_placement", c.normPlacement().jsonName());
        o.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
        o.addProperty("rms_norm_eps", c.rmsNormEps());
        o.addProperty("sliding_window", c.slidingWindow());
        o.addProperty("mini_batch_size", c.miniBatchSize());
        o.addProperty("num_prime_layers", c.numPrimeLayers());
        o.addProperty("inner_lr", c.innerLr());
        o.addProperty("inner_grad_clip", c.innerGradClip());
        if (c.bosTokenId().isPresent()) {
            o.addProperty("bos_token_id", c.bosTokenId().getAsInt());
        } else {
            o.add("bos_token_id", JsonNull.INSTANCE);
        }
        JsonArray eos = new JsonArray();
        c.eosTokenIds().forEach(eos::add);
        o.add("eos_token_id", eos);
        return o;
    }

    /**
     * Returns the config.json text of a config (pretty-printed, nulls written).
     *
     * @param c the config
     * @return the JSON text
     */
    public static String toJsonString(TttConfig c) {
        Gson gson = new GsonBuilder().setPrettyPrinting().serializeNulls().create();
        return gson.toJson(toJson(c)) + "\n";
    }
}
