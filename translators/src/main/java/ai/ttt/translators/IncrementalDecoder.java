package ai.ttt.translators;

import java.util.Arrays;
import java.util.Objects;

/**
 * Turns a stream of token ids into text as it is generated, without ever emitting half a character.
 *
 * <p>Decoding one token at a time is wrong for byte-level tokenizers: a token may hold only some of
 * the UTF-8 bytes of a character (GPT-2 encodes {@code " 東"} as three tokens: the space with the
 * first byte, then one byte each), and decoding such a token alone yields U+FFFD. It is also wrong
 * for tokenizers whose decoder looks at neighbours (a SentencePiece {@code "▁world"} decodes to
 * {@code "world"} alone but to {@code " world"} after {@code "Hello"}).
 *
 * <p><b>How.</b> Like Hugging Face's text-generation-inference, the decoder re-decodes a small
 * window of recent tokens on every {@link #push(long)}: the first part of the window is context
 * whose text was already emitted (TGI's {@code prefix_offset} to {@code read_offset}), the rest is
 * new. Unlike TGI it tracks the read position in characters rather than tokens: the piece returned
 * is the decoded window's text beyond what was already emitted, minus a trailing U+FFFD that may
 * still be an incomplete character. So a token that completes one character and starts the next one
 * releases the completed character at once. The window holds at most {@code 2 *} {@value
 * #WINDOW_TOKENS} {@code + 1} tokens: when it is full, all but the last {@value #WINDOW_TOKENS} are
 * dropped and the read position is carried over by the number of characters not yet emitted (at
 * most one), so memory and work per token are bounded however long the stream is.
 *
 * <p><b>Held-back U+FFFD, and invalid bytes.</b> The decoder sees text, not bytes, so it cannot
 * tell an incomplete character from bytes that are invalid UTF-8 (both decode to U+FFFD). A
 * trailing U+FFFD is therefore held back, and emitted as U+FFFD once it is clear it will stay one:
 *
 * <ol>
 *   <li>as soon as later tokens add text after it: a byte that cannot continue the character
 *       arrived (an ASCII byte, a new start byte), so the bytes before it can never complete. As a
 *       UTF-8 character has at most 4 bytes and every byte-level token carries at least one, this
 *       happens at the latest with the 4th byte of an invalid sequence;
 *   <li>when the same U+FFFD has stayed last for {@value #MAX_HELD_PUSHES} pushes. Only tokens that
 *       carry no bytes (special tokens skipped in the output) can make that happen. The decoder
 *       then treats the pending bytes as invalid and starts a fresh window after them, so bytes
 *       that arrive later are decoded on their own (where {@code decode(allIds)} would have joined
 *       them across the special tokens);
 *   <li>at {@link #flush()}, which emits whatever is pending.
 * </ol>
 *
 * A genuine U+FFFD character in the text is held back by the same rules and then emitted unchanged.
 *
 * <p><b>Guarantee.</b> For ids that decode to valid UTF-8, the concatenation of all pieces returned
 * by {@code push} and {@code flush} equals {@code tokenizer.decode(allIds, skipSpecialTokens)}
 * (with a context: the text that follows the context), no piece contains a U+FFFD that is not in
 * that text, and no piece ends inside a character (surrogate pairs included). For byte-level
 * tokenizers the concatenation also equals {@code decode(allIds)} for invalid UTF-8, except in rule
 * 2's case. This relies on the decoded text of a window only changing at its end as tokens are
 * appended, apart from a trailing incomplete character; that holds for byte-level BPE,
 * byte-fallback and SentencePiece-style decoders.
 *
 * <p>Not thread-safe: one decoder per generated sequence.
 */
public final class IncrementalDecoder {

    /** Tokens kept as context when the window is trimmed; the window holds at most twice this. */
    static final int WINDOW_TOKENS = 8;

    /** Pushes for which the same trailing U+FFFD is held before it is emitted anyway. */
    static final int MAX_HELD_PUSHES = 4;

    private static final char REPLACEMENT = '\uFFFD';

    private final TttTokenizer tokenizer;
    private final boolean skipSpecialTokens;

    private final long[] window = new long[2 * WINDOW_TOKENS + 1];
    private int size;

    /** decode(window[0, size)). */
    private String text = "";

    /** Characters of {@link #text} already emitted (or context); the rest is held back. */
    private int emitted;

    /** Pushes for which the current trailing U+FFFD has been held, 0 if none is held. */
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
     * last {@value #WINDOW_TOKENS} context ids are decoded together with the first new tokens, so
     * that, for instance, a leading space comes out right; the context itself is never emitted.
     *
     * @param tokenizer the tokenizer (not closed by this decoder)
     * @param skipSpecialTokens {@code true} to leave special tokens out of the text
     * @param contextIds ids that precede the stream; they must decode to whole characters (any
     *     output of {@link TttTokenizer#encode(String)} does); may be empty
     * @throws IllegalArgumentException if a context id is not a token of the tokenizer
     */
    public IncrementalDecoder(
            TttTokenizer tokenizer, boolean skipSpecialTokens, long[] contextIds) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.skipSpecialTokens = skipSpecialTokens;
        Objects.requireNonNull(contextIds, "contextIds");
        int n = Math.min(contextIds.length, WINDOW_TOKENS);
        for (int i = contextIds.length - n; i < contextIds.length; i++) {
            window[size++] = checkId(contextIds[i]);
        }
        text = decodeWindow();
        emitted = text.length();
    }

    /**
     * Adds the next token of the stream.
     *
     * @param id the token id
     * @return the text this token completed: possibly empty, never a partial character
     * @throws IllegalArgumentException if the id is not a token of the tokenizer (negative, or
     *     beyond its vocabulary)
     */
    public String push(long id) {
        checkId(id);
        if (size == window.length) {
            trim();
        }
        window[size++] = id;
        String previous = text;
        text = decodeWindow();

        int end = text.length();
        if (end > 0 && text.charAt(end - 1) == REPLACEMENT) {
            // The same held U+FFFD if the text only grew by continuation bytes (or not at all).
            boolean sameHeld = heldPushes > 0 && end == previous.length();
            heldPushes = sameHeld ? heldPushes + 1 : 1;
            if (heldPushes < MAX_HELD_PUSHES) {
                end--; // may be an incomplete character: hold it back
            }
        } else {
            heldPushes = 0;
        }

        String piece = end > emitted ? text.substring(emitted, end) : "";
        emitted = Math.max(emitted, end);
        if (heldPushes >= MAX_HELD_PUSHES) {
            // Rule 2: give up on the pending bytes and decode what follows on its own.
            size = 0;
            text = "";
            emitted = 0;
            heldPushes = 0;
        }
        return piece;
    }

    /**
     * Ends the stream: returns everything still held back, including a U+FFFD for bytes that never
     * completed a character. The decoder is then empty and can decode a new stream (without
     * context).
     *
     * @return the remaining text, possibly empty
     */
    public String flush() {
        String piece = text.length() > emitted ? text.substring(emitted) : "";
        size = 0;
        text = "";
        emitted = 0;
        heldPushes = 0;
        return piece;
    }

    /**
     * Returns how many tokens the window holds; for tests of the memory bound.
     *
     * @return the window size
     */
    int windowSize() {
        return size;
    }

    /**
     * Keeps only the last {@link #WINDOW_TOKENS} tokens. The held-back tail (at most one U+FFFD,
     * whose bytes lie in the last {@code MAX_HELD_PUSHES - 1} tokens) is the same at the end of the
     * shorter window's text, so the read position moves with it. Bytes of a character cut off at
     * the new start decode to U+FFFD there, but that stays inside the already-emitted context.
     */
    private void trim() {
        int held = text.length() - emitted;
        int drop = size - WINDOW_TOKENS;
        System.arraycopy(window, drop, window, 0, WINDOW_TOKENS);
        size = WINDOW_TOKENS;
        text = decodeWindow();
        emitted = Math.max(0, text.length() - held);
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

    private String decodeWindow() {
        return tokenizer.decode(window, 0, size, skipSpecialTokens);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "IncrementalDecoder[window=" + Arrays.toString(Arrays.copyOf(window, size)) + "]";
    }
}
