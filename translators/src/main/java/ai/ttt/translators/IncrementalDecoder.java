package ai.ttt.translators;

import java.util.Arrays;
import java.util.Objects;

/**
 * Turns a stream of token ids into text as it is generated, without ever emitting half a character.
 *
 * <p>Decoding one token at a time is wrong for byte-level tokenizers: a token may hold only some of
 * the UTF-8 bytes of a character ({@code "é"} is two GPT-2 tokens in {@code "héllo"}), and decoding
 * it alone yields U+FFFD. It is also wrong for tokenizers whose decoder looks at neighbours (a
 * SentencePiece {@code "▁world"} decodes to {@code "world"} on its own but to {@code " world"}
 * after {@code "Hello"}). This class re-decodes a small window instead, as Hugging Face's
 * text-generation-inference does:
 *
 * <ul>
 *   <li>the <em>prefix</em>: the tokens of the last emitted piece, kept only as context;
 *   <li>the <em>pending</em> tokens after it, not yet (fully) emitted.
 * </ul>
 *
 * Each {@link #push(long)} decodes prefix + pending and emits what the decoded text has beyond the
 * prefix's own text, unless that text ends in U+FFFD, which may be a character whose remaining
 * bytes have not arrived yet. The window then slides (pending becomes prefix), so memory and work
 * per token stay bounded however long the stream: at most {@value #MAX_WINDOW_TOKENS} tokens plus a
 * few are held.
 *
 * <p><b>Held-back U+FFFD, and invalid bytes.</b> The decoder sees text, not bytes, so it cannot
 * tell an incomplete character from bytes that are invalid UTF-8 (both decode to U+FFFD). A
 * trailing U+FFFD is therefore held back and emitted as U+FFFD once it is clear it will stay one:
 *
 * <ol>
 *   <li>as soon as later tokens add text after it: a byte that cannot continue the sequence arrived
 *       (an ASCII byte, a new start byte), so the bytes can never complete;
 *   <li>when it has stayed the trailing character across {@value #MAX_PENDING_TOKENS} pushed
 *       tokens: a UTF-8 character has at most 4 bytes and every byte-level token carries at least
 *       one byte. (Tokens that carry no bytes, such as special tokens skipped in the output, also
 *       count; a stream that puts several of them inside one character is decoded differently from
 *       {@code decode(allIds)}.)
 *   <li>at {@link #flush()}, which emits whatever is pending.
 * </ol>
 *
 * Text before a held U+FFFD that belongs to earlier tokens is emitted right away. A genuine U+FFFD
 * character in the text is held back by the same rules and then emitted unchanged.
 *
 * <p><b>Guarantee.</b> For ids that decode to valid UTF-8, the concatenation of all pieces returned
 * by {@code push} and {@code flush} equals {@code tokenizer.decode(allIds, skipSpecialTokens)}
 * (with a context: the text after the context), no piece contains U+FFFD, and no piece ends in the
 * middle of a character (surrogate pairs included). For byte-level tokenizers the concatenation
 * also equals {@code decode(allIds)} for invalid UTF-8, given rule 2's caveat. This relies on the
 * tokenizer's decoded text only growing at the end as tokens are appended, which holds for
 * byte-level BPE, byte-fallback and SentencePiece-style tokenizers.
 *
 * <p>Not thread-safe: one decoder per generated sequence.
 */
public final class IncrementalDecoder {

    /** Pushes after which a trailing U+FFFD is emitted even if nothing follows it. */
    static final int MAX_PENDING_TOKENS = 4;

    /**
     * Window size (prefix + pending) beyond which the window slides even though the last tokens
     * added no text (e.g. a run of skipped special tokens), to bound memory.
     */
    static final int MAX_WINDOW_TOKENS = 64;

    /**
     * Context tokens kept as prefix by {@link #IncrementalDecoder(TttTokenizer, boolean, long[])}.
     */
    static final int CONTEXT_TOKENS = 5;

    private static final char REPLACEMENT = '\uFFFD';

    private final TttTokenizer tokenizer;
    private final boolean skipSpecialTokens;

    /** window[0, readOffset) is the prefix, window[readOffset, size) the pending tokens. */
    private long[] window = new long[16];

    private int size;
    private int readOffset;

    /** decode(window[0, readOffset)). */
    private String prefixText = "";

    /** decode(window[0, size)) as of the end of the last call, or null if not computed. */
    private String windowText = "";

    /** Consecutive pushes after which the text has ended in a held-back U+FFFD. */
    private int heldPushes;

    /**
     * Creates a decoder for a stream that starts from nothing.
     *
     * @param tokenizer the tokenizer (not closed by this decoder)
     * @param skipSpecialTokens {@code true} to leave special tokens out of the text
     */
    public IncrementalDecoder(TttTokenizer tokenizer, boolean skipSpecialTokens) {
        this(tokenizer, skipSpecialTokens, new long[0]);
    }

    /**
     * Creates a decoder for a stream that continues {@code contextIds} (typically the prompt). The
     * last {@value #CONTEXT_TOKENS} context ids are decoded together with the first new tokens, so
     * that, for instance, a leading space comes out right; the context itself is never emitted.
     *
     * @param tokenizer the tokenizer (not closed by this decoder)
     * @param skipSpecialTokens {@code true} to leave special tokens out of the text
     * @param contextIds ids that precede the stream and decode to whole characters (any output of
     *     {@link TttTokenizer#encode(String)} does); may be empty
     * @throws IllegalArgumentException if a context id is not a token of the tokenizer
     */
    public IncrementalDecoder(
            TttTokenizer tokenizer, boolean skipSpecialTokens, long[] contextIds) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.skipSpecialTokens = skipSpecialTokens;
        Objects.requireNonNull(contextIds, "contextIds");
        int n = Math.min(contextIds.length, CONTEXT_TOKENS);
        for (int i = contextIds.length - n; i < contextIds.length; i++) {
            append(checkId(contextIds[i]));
        }
        readOffset = size;
        prefixText = decode(0, size);
        windowText = prefixText;
    }

    /**
     * Adds the next token of the stream.
     *
     * @param id the token id
     * @return the text that this token completed: possibly empty, never a partial character
     * @throws IllegalArgumentException if the id is not a token of the tokenizer (negative, or
     *     beyond its vocabulary)
     */
    public String push(long id) {
        checkId(id);
        String before = windowText != null ? windowText : decode(0, size);
        append(id);
        String text = decode(0, size);
        windowText = text;

        boolean endsInReplacement =
                !text.isEmpty() && text.charAt(text.length() - 1) == REPLACEMENT;
        if (endsInReplacement && heldPushes + 1 < MAX_PENDING_TOKENS) {
            heldPushes++;
            // The last character may be incomplete. If this token added text after everything
            // decoded before it, then all of that earlier text is final (a U+FFFD it ended with
            // has been followed by more text), so emit it and keep only this token pending.
            if (before.length() > prefixText.length()
                    && text.length() > before.length()
                    && text.startsWith(before)) {
                String piece = before.substring(prefixText.length());
                slide(size - 1);
                windowText = null;
                heldPushes = 1;
                return piece;
            }
            return "";
        }

        heldPushes = 0;
        boolean grew = text.length() > prefixText.length();
        if (grew || size > MAX_WINDOW_TOKENS) {
            String piece = grew ? text.substring(prefixText.length()) : "";
            slide(size);
            windowText = prefixText;
            return piece;
        }
        // Nothing new yet (e.g. a skipped special token): keep the token pending as context.
        return "";
    }

    /**
     * Ends the stream: returns everything still pending, including a held-back U+FFFD for bytes
     * that never completed a character. The decoder is then empty and can decode a new stream
     * (without context).
     *
     * @return the remaining text, possibly empty
     */
    public String flush() {
        String text = windowText != null ? windowText : decode(0, size);
        String piece =
                text.length() > prefixText.length() ? text.substring(prefixText.length()) : "";
        size = 0;
        readOffset = 0;
        prefixText = "";
        windowText = "";
        heldPushes = 0;
        return piece;
    }

    /**
     * Returns how many tokens the window holds (prefix + pending); for tests of the memory bound.
     *
     * @return the window size
     */
    int windowSize() {
        return size;
    }

    /**
     * Makes the pending tokens before {@code newReadOffset} the prefix and drops the old prefix.
     */
    private void slide(int newReadOffset) {
        int drop = readOffset;
        System.arraycopy(window, drop, window, 0, size - drop);
        size -= drop;
        readOffset = newReadOffset - drop;
        prefixText = decode(0, readOffset);
    }

    private void append(long id) {
        if (size == window.length) {
            window = Arrays.copyOf(window, size * 2);
        }
        window[size++] = id;
    }

    private long checkId(long id) {
        if (!tokenizer.isKnown(id)) {
            throw new IllegalArgumentException(
                    "token id "
                            + id
                            + " is not in the tokenizer's vocabulary (size "
                            + tokenizer.vocabSize()
                            + ")");
        }
        return id;
    }

    private String decode(int from, int to) {
        return tokenizer.decode(window, from, to, skipSpecialTokens);
    }
}
