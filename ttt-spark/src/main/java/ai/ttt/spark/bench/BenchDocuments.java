package ai.ttt.spark.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The benchmark's documents: the books of the King James Bible, from the output of Debian's {@code
 * bible} program ({@code bible -f "Gen1:1-Rev22:21"}, package {@code bible-kjv}), one document per
 * book with the verse references stripped, optionally cut to a maximum length.
 */
final class BenchDocuments {

    /** A verse line: book abbreviation, chapter:verse, text ({@code 1Sm3:4 That the LORD…}). */
    private static final Pattern VERSE = Pattern.compile("^([1-3]?[A-Za-z]+)\\d+:\\d+ (.*)$");

    private BenchDocuments() {}

    /**
     * Splits {@code bible}'s output into books.
     *
     * @param bibleOutput the program's output
     * @return book abbreviation → its verses joined by newlines, in canonical order
     * @throws IllegalArgumentException if a line is not a verse
     */
    static Map<String, String> books(String bibleOutput) {
        Map<String, StringBuilder> books = new LinkedHashMap<>();
        for (String line : bibleOutput.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Matcher m = VERSE.matcher(line);
            if (!m.matches()) {
                throw new IllegalArgumentException("not a verse line: " + line);
            }
            books.computeIfAbsent(m.group(1), k -> new StringBuilder())
                    .append(m.group(2))
                    .append('\n');
        }
        Map<String, String> out = new LinkedHashMap<>();
        books.forEach((book, text) -> out.put(book, text.toString()));
        return out;
    }

    /**
     * Writes the books as files {@code NN-Book.txt}, each cut at the last newline within {@code
     * maxBytes} (whole books when 0).
     *
     * @param bibleOutput the {@code bible} output
     * @param maxBytes the longest document, or 0
     * @param dir the folder to write to
     * @return the files, in canonical order
     * @throws IOException if writing fails
     */
    static List<Path> writeBooks(String bibleOutput, int maxBytes, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        int n = 0;
        for (Map.Entry<String, String> book : books(bibleOutput).entrySet()) {
            String text = book.getValue();
            if (maxBytes > 0 && text.length() > maxBytes) { // the KJV text is ASCII
                text = text.substring(0, text.lastIndexOf('\n', maxBytes - 1) + 1);
            }
            Path file = dir.resolve(String.format("%02d-%s.txt", ++n, book.getKey()));
            Files.writeString(file, text, StandardCharsets.UTF_8);
            files.add(file);
        }
        return files;
    }

    /**
     * Writes one document of exactly {@code tokens} tokens for a byte-level model with BOS: the
     * first {@code tokens − 1} bytes of the Bible's text (ASCII), references stripped.
     *
     * @param bibleOutput the {@code bible} output
     * @param tokens the document's tokens, BOS included
     * @param file where to write it
     * @throws IOException if writing fails
     */
    static void writeTokens(String bibleOutput, int tokens, Path file) throws IOException {
        String all = String.join("", books(bibleOutput).values());
        if (all.length() < tokens - 1) {
            throw new IllegalArgumentException("the text has fewer than " + tokens + " bytes");
        }
        Files.createDirectories(file.getParent());
        Files.writeString(file, all.substring(0, tokens - 1), StandardCharsets.UTF_8);
    }

    /**
     * Lists a folder's {@code .txt} documents in name order.
     *
     * @param dir the folder
     * @return the files
     * @throws IOException if the folder cannot be listed
     */
    static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".txt")).sorted().toList();
        }
    }
}
