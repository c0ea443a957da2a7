package ai.ttt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TextDataset#readDocuments}: files and folders of UTF-8 text, and what it refuses. */
class TextDatasetTest {

    @Test
    void readsFilesAndFoldersInNameOrder(@TempDir Path dir) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("corpus/sub"));
        Files.writeString(dir.resolve("corpus/b.txt"), "second", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("corpus/a.txt"), "first", StandardCharsets.UTF_8);
        Files.writeString(folder.resolve("c.txt"), "third: ünïcödé", StandardCharsets.UTF_8);
        Path single = Files.writeString(dir.resolve("one.txt"), "alone", StandardCharsets.UTF_8);
        assertEquals(
                List.of("first", "second", "third: ünïcödé", "alone"),
                TextDataset.readDocuments(List.of(dir.resolve("corpus"), single)));
    }

    @Test
    void aBinaryFileInAFolderIsRefusedByName(@TempDir Path dir) throws IOException {
        // A plot beside the text: its bytes are not UTF-8. Found while training on a docs folder,
        // where the message was only "Input length = 1".
        Files.writeString(dir.resolve("notes.txt"), "text", StandardCharsets.UTF_8);
        Path png = dir.resolve("plot.png");
        Files.write(png, new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        IOException e =
                assertThrows(IOException.class, () -> TextDataset.readDocuments(List.of(dir)));
        assertTrue(e.getMessage().contains(png.toString()), e.getMessage());
        assertTrue(
                e.getMessage().contains("not valid UTF-8: byte 0x89 at offset 0"), e.getMessage());
    }

    @Test
    void aMissingPathIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nothing-here");
        NoSuchFileException e =
                assertThrows(
                        NoSuchFileException.class,
                        () -> TextDataset.readDocuments(List.of(missing)));
        assertEquals(missing.toString(), e.getFile());
    }
}
