package ai.ttt.train;

import ai.ttt.block.io.TextFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The King James Bible as training documents, one per book, from the output of Debian's {@code
 * bible} program ({@code apt-get install bible-kjv}; {@code bible -f "Gen1:1-Rev22:21"}).
 *
 * <p>Each line of that output is one verse prefixed by its reference ({@code Rev22:21 The grace…}).
 * The reference is stripped; the verses of a book are joined by newlines into one document.
 */
public final class KingJamesBible {

    /** The book held out of training: the Revelation of John. */
    public static final String HELD_OUT = "Rev";

    private static final Pattern VERSE = Pattern.compile("^([1-3]?[A-Za-z]+)\\d+:\\d+ (.*)$");

    private KingJamesBible() {}

    /**
     * Runs {@code bible -f "Gen1:1-Rev22:21"} and returns its output.
     *
     * @return the whole text
     * @throws IOException if the program is missing or fails (the message says how to install it)
     */
    public static String runBible() throws IOException {
        Process p;
        try {
            p =
                    new ProcessBuilder("bible", "-f", "Gen1:1-Rev22:21")
                            .redirectErrorStream(true)
                            .start();
        } catch (IOException e) {
            throw new IOException(
                    "the program 'bible' was not found; install it with: apt-get install bible-kjv",
                    e);
        }
        String text;
        try (InputStream in = p.getInputStream()) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (p.waitFor() != 0) {
                throw new IOException(
                        "bible exited with "
                                + p.exitValue()
                                + ": "
                                + text.lines().findFirst().orElse(""));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running bible", e);
        }
        return text;
    }

    /**
     * Reads the text from a file holding {@code bible}'s output.
     *
     * @param file the file
     * @return the text
     * @throws IOException if it cannot be read
     */
    public static String read(Path file) throws IOException {
        return TextFiles.readUtf8(file);
    }

    /**
     * Splits {@code bible}'s output into books, references stripped.
     *
     * @param text the program's output
     * @return book abbreviation (as {@code bible} prints it, e.g. {@code Ge}, {@code Rev}) → text
     * @throws IOException naming the line if a line is not a verse
     */
    public static Map<String, String> books(String text) throws IOException {
        Map<String, StringBuilder> books = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            Matcher m = VERSE.matcher(line);
            if (!m.matches()) {
                throw new IOException("line " + lineNo + " is not a verse: " + line);
            }
            books.computeIfAbsent(m.group(1), k -> new StringBuilder())
                    .append(m.group(2))
                    .append('\n');
        }
        Map<String, String> out = new LinkedHashMap<>();
        books.forEach((k, v) -> out.put(k, v.toString()));
        return out;
    }
}
