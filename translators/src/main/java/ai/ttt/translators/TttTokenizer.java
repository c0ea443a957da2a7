package ai.ttt.translators;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.ttt.block.StrictJson;
import ai.ttt.block.io.InvalidFileException;
import ai.ttt.block.io.TextFiles;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A Hugging Face {@code tokenizer.json} loaded through DJL's {@link HuggingFaceTokenizer}, set up
 * for causal language modelling: no truncation, no padding, and no template tokens added behind the
 * caller's back.
 *
 * <p>DJL's defaults are wrong for generation, so {@link #load(Path)} always overrides them:
 *
 * <ul>
 *   <li>DJL truncates to 512 tokens unless told otherwise; here a text of any length encodes to all
 *       of its tokens.
 *   <li>{@code addSpecialTokens} is off, so {@link #encode(String)} returns exactly the tokens of
 *       the text (a BOS token, if the model wants one, is the caller's business). Special tokens
 *       written literally in the text, such as {@code <|endoftext|>}, are still recognised.
 *   <li>DJL's one-argument {@code decode(ids)} silently drops special tokens when {@code
 *       addSpecialTokens} is off; {@link #decode(long[], boolean)} always says what it wants.
 * </ul>
 *
 * <p>DJL exposes neither the vocabulary size nor token-to-id lookups, so {@code load} also reads
 * the vocabulary ({@code model.vocab}, for BPE, WordPiece, WordLevel and Unigram models) and the
 * {@code added_tokens} from the JSON itself. Ids the tokenizer does not know are silently skipped
 * by {@link #decode(long[], boolean)} (the native library's behaviour); {@link #decodableMask(int)}
 * tells the sampler never to produce them.
 *
 * <p>Loading calls DJL's {@code HuggingFaceTokenizer.newInstance}, which probes for EC2 metadata
 * ("call home") unless the system property {@code ai.djl.offline=true} or the environment variable
 * {@code OPT_OUT_TRACKING=true} is set. No files are downloaded either way.
 *
 * <p>Instances are safe for concurrent use until {@link #close()}.
 */
public final class TttTokenizer implements AutoCloseable {

    /** The file name looked up when {@link #load(Path)} is given a directory. */
    public static final String TOKENIZER_JSON = "tokenizer.json";

    private final HuggingFaceTokenizer tokenizer;
    private final Path file;
    private final Map<String, Integer> addedTokens;
    private final Map<String, Integer> modelVocab;
    private final BitSet knownIds;
    private final int vocabSize;
    private volatile boolean closed;

    private TttTokenizer(
            HuggingFaceTokenizer tokenizer,
            Path file,
            Map<String, Integer> addedTokens,
            Map<String, Integer> modelVocab,
            BitSet knownIds) {
        this.tokenizer = tokenizer;
        this.file = file;
        this.addedTokens = addedTokens;
        this.modelVocab = modelVocab;
        this.knownIds = knownIds;
        this.vocabSize = knownIds.length();
    }

    /**
     * Loads a tokenizer with truncation, padding and implicit special tokens switched off.
     *
     * @param tokenizerJsonOrDir a {@code tokenizer.json} file, or a directory that contains one
     * @return the tokenizer; close it to free the native handle
     * @throws NoSuchFileException if the file does not exist (the message names the path)
     * @throws IOException if the file cannot be read or is not a valid tokenizer (the message names
     *     the path and what is wrong)
     */
    public static TttTokenizer load(Path tokenizerJsonOrDir) throws IOException {
        Objects.requireNonNull(tokenizerJsonOrDir, "tokenizerJsonOrDir");
        Path file =
                Files.isDirectory(tokenizerJsonOrDir)
                        ? tokenizerJsonOrDir.resolve(TOKENIZER_JSON)
                        : tokenizerJsonOrDir;
        file = file.toAbsolutePath();
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(
                    file.toString(),
                    null,
                    Files.isDirectory(tokenizerJsonOrDir)
                            ? "no " + TOKENIZER_JSON + " in the directory"
                            : "tokenizer file not found");
        }
        byte[] bytes = TextFiles.readBytes(file);
        String text = TextFiles.decodeUtf8(bytes, file);

        Map<String, Integer> addedTokens = new HashMap<>();
        Map<String, Integer> modelVocab = new HashMap<>();
        BitSet knownIds = new BitSet();
        try {
            JsonElement root = StrictJson.parse(text);
            readVocabulary(root, addedTokens, modelVocab, knownIds);
        } catch (JsonParseException
                | IllegalStateException
                | IllegalArgumentException
                | UnsupportedOperationException e) {
            throw new InvalidFileException(file, "not a valid tokenizer: " + e.getMessage(), e);
        }

        Map<String, String> options =
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");
        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), options);
        } catch (RuntimeException e) {
            // The native library rejects JSON that is not a tokenizer with a RuntimeException.
            throw new InvalidFileException(
                    file,
                    "not a valid tokenizer (rejected by the tokenizers library): "
                            + oneLine(e.getMessage()),
                    e);
        }
        return new TttTokenizer(hf, file, addedTokens, modelVocab, knownIds);
    }

    /**
     * Reads the token strings and ids of {@code model.vocab} and {@code added_tokens}.
     *
     * @throws IllegalArgumentException naming the offending key if the structure is unexpected
     */
    private static void readVocabulary(
            JsonElement root,
            Map<String, Integer> addedTokens,
            Map<String, Integer> modelVocab,
            BitSet knownIds) {
        if (!root.isJsonObject()) {
            throw new IllegalArgumentException("the top level is not a JSON object");
        }
        JsonObject top = root.getAsJsonObject();
        JsonElement model = top.get("model");
        if (model == null || !model.isJsonObject()) {
            throw new IllegalArgumentException("no \"model\" object");
        }
        JsonElement vocab = model.getAsJsonObject().get("vocab");
        if (vocab == null) {
            throw new IllegalArgumentException("no \"model.vocab\"");
        }
        if (vocab.isJsonObject()) {
            // BPE, WordPiece, WordLevel: {"token": id, ...}
            for (Map.Entry<String, JsonElement> e : vocab.getAsJsonObject().entrySet()) {
                int id = readId(e.getValue(), "model.vocab[\"" + e.getKey() + "\"]");
                modelVocab.put(e.getKey(), id);
                knownIds.set(id);
            }
        } else if (vocab.isJsonArray()) {
            // Unigram: [["piece", score], ...], the id is the position.
            JsonArray pieces = vocab.getAsJsonArray();
            for (int id = 0; id < pieces.size(); id++) {
                JsonElement piece = pieces.get(id);
                if (!piece.isJsonArray() || piece.getAsJsonArray().isEmpty()) {
                    throw new IllegalArgumentException(
                            "model.vocab[" + id + "] is not a [piece, score] pair");
                }
                modelVocab.putIfAbsent(piece.getAsJsonArray().get(0).getAsString(), id);
                knownIds.set(id);
            }
        } else {
            throw new IllegalArgumentException("\"model.vocab\" is neither an object nor a list");
        }

        JsonElement added = top.get("added_tokens");
        if (added != null && !added.isJsonNull()) {
            if (!added.isJsonArray()) {
                throw new IllegalArgumentException("\"added_tokens\" is not a list");
            }
            JsonArray list = added.getAsJsonArray();
            for (int i = 0; i < list.size(); i++) {
                JsonElement token = list.get(i);
                if (!token.isJsonObject()
                        || !token.getAsJsonObject().has("id")
                        || !token.getAsJsonObject().has("content")) {
                    throw new IllegalArgumentException(
                            "added_tokens[" + i + "] lacks \"id\" or \"content\"");
                }
                JsonObject object = token.getAsJsonObject();
                int id = readId(object.get("id"), "added_tokens[" + i + "].id");
                addedTokens.put(object.get("content").getAsString(), id);
                knownIds.set(id);
            }
        }
    }

    private static int readId(JsonElement value, String where) {
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(where + " is not a number: " + value);
        }
        long id = value.getAsLong();
        if (id < 0 || id >= Integer.MAX_VALUE || value.getAsDouble() != id) {
            throw new IllegalArgumentException(where + " is not a valid token id: " + value);
        }
        return (int) id;
    }

    /**
     * Returns the {@code tokenizer.json} this tokenizer was loaded from.
     *
     * @return the absolute path of the file
     */
    public Path file() {
        return file;
    }

    /**
     * Turns text into token ids: every token of the text, no truncation, no BOS/EOS or other
     * template tokens added. Special tokens spelt out in the text (e.g. {@code <|endoftext|>}) map
     * to their ids.
     *
     * @param text the text
     * @return the token ids
     */
    public long[] encode(String text) {
        Objects.requireNonNull(text, "text");
        HuggingFaceTokenizer hf = open();
        try {
            return hf.encode(text, false, false).getIds();
        } catch (RuntimeException e) {
            // The native library rejects text its model cannot represent (e.g. a Unigram model
            // without an unknown token given a character outside its vocabulary).
            throw new IllegalArgumentException(
                    file + ": the tokenizer cannot encode the text: " + oneLine(e.getMessage()), e);
        }
    }

    /**
     * Checks that every id this tokenizer can produce is a row of the model's embedding, so that a
     * tokenizer that does not belong to the model is refused when the two meet, not by an index
     * error inside the engine.
     *
     * @param modelVocabSize the model's {@code vocab_size}
     * @throws IllegalArgumentException naming this tokenizer's file, the first id out of range, its
     *     token and the model's vocabulary size
     */
    public void requireFits(int modelVocabSize) {
        int outside = knownIds.nextSetBit(modelVocabSize);
        if (outside < 0) {
            return;
        }
        throw new IllegalArgumentException(
                file
                        + ": token id "
                        + outside
                        + tokenOf(outside)
                        + " is outside the model's vocabulary [0, "
                        + modelVocabSize
                        + ") (config.json vocab_size); the tokenizer does not belong to the"
                        + " model");
    }

    private String tokenOf(int id) {
        for (Map<String, Integer> m : List.of(addedTokens, modelVocab)) {
            for (Map.Entry<String, Integer> e : m.entrySet()) {
                if (e.getValue() == id) {
                    return " (" + new JsonPrimitive(e.getKey()) + ")";
                }
            }
        }
        return "";
    }

    private static String oneLine(String message) {
        return message == null ? "(no message)" : message.replaceAll("\\s*\\R\\s*", " ").trim();
    }

    /**
     * Turns token ids back into text.
     *
     * <p>Ids the tokenizer does not know (negative, or beyond its vocabulary) are skipped silently,
     * as the underlying library does. A byte-level token that holds only part of a UTF-8 character
     * decodes to U+FFFD; use {@link IncrementalDecoder} to decode a stream.
     *
     * @param ids the token ids
     * @param skipSpecialTokens {@code true} to leave special tokens (such as {@code <|endoftext|>})
     *     out of the text, as for user-facing output; {@code false} to keep them
     * @return the text
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        Objects.requireNonNull(ids, "ids");
        return open().decode(ids, skipSpecialTokens);
    }

    /**
     * Decodes {@code ids[from, to)}; used by {@link IncrementalDecoder} on its small window.
     *
     * @param ids the ids
     * @param from the first index
     * @param to one past the last index
     * @param skipSpecialTokens whether to skip special tokens
     * @return the text
     */
    String decode(long[] ids, int from, int to, boolean skipSpecialTokens) {
        if (from == to) {
            return "";
        }
        return open().decode(Arrays.copyOfRange(ids, from, to), skipSpecialTokens);
    }

    /**
     * Returns the size of the id space: one more than the largest id in the vocabulary or among the
     * added tokens (50257 for GPT-2, 257 for the byte tokenizer). For the usual contiguous
     * vocabularies this equals Hugging Face's {@code get_vocab_size(with_added_tokens=True)}. The
     * model's embedding may be larger (padded); see {@link #decodableMask(int)}.
     *
     * @return the number of ids the tokenizer can produce or decode, counting added tokens
     */
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * Looks up the id of a token string as written in {@code tokenizer.json}: first among the added
     * tokens (where special tokens such as {@code <|endoftext|>} live), then in the model's
     * vocabulary (byte-level tokens in their escaped form, e.g. {@code "Ġthe"}).
     *
     * @param token the token string
     * @return its id, or empty if the tokenizer has no such token
     */
    public OptionalLong tokenId(String token) {
        Objects.requireNonNull(token, "token");
        Integer id = addedTokens.get(token);
        if (id == null) {
            id = modelVocab.get(token);
        }
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    /**
     * Returns whether {@code id} is a token of this tokenizer (in the vocabulary or an added
     * token).
     *
     * @param id a token id
     * @return {@code true} if the tokenizer can decode it
     */
    boolean isKnown(long id) {
        return id >= 0 && id < vocabSize && knownIds.get((int) id);
    }

    /**
     * Returns, for each id a model with {@code modelVocabSize} logits can produce, whether this
     * tokenizer can decode it. Models often pad their vocabulary (the fixture models have 512
     * logits, the byte tokenizer 257 ids); the padding ids must never be sampled, because decoding
     * would silently drop them. Special tokens count as decodable, so an EOS token stays
     * sampleable.
     *
     * @param modelVocabSize the number of logits the model produces per position
     * @return a fresh mask of length {@code modelVocabSize}, for {@link Sampler#sample}
     * @throws IllegalArgumentException if {@code modelVocabSize} is not positive
     */
    public boolean[] decodableMask(int modelVocabSize) {
        if (modelVocabSize <= 0) {
            throw new IllegalArgumentException(
                    "modelVocabSize must be positive, got " + modelVocabSize);
        }
        boolean[] mask = new boolean[modelVocabSize];
        for (int id = knownIds.nextSetBit(0);
                id >= 0 && id < modelVocabSize;
                id = knownIds.nextSetBit(id + 1)) {
            mask[id] = true;
        }
        return mask;
    }

    /**
     * Frees the native tokenizer. Further calls to encode or decode throw; closing twice is fine.
     */
    @Override
    public void close() {
        closed = true;
        tokenizer.close();
    }

    private HuggingFaceTokenizer open() {
        if (closed) {
            throw new IllegalStateException("the tokenizer loaded from " + file + " is closed");
        }
        return tokenizer;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "TttTokenizer[" + file + ", vocabSize=" + vocabSize + "]";
    }
}
