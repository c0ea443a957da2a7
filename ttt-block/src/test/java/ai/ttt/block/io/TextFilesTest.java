package ai.ttt.block.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text inputs: strict UTF-8, and every failure names the file. */
class TextFilesTest {

    @TempDir Path tmp;

    @Test
    void readsUtf8() throws IOException {
        Path f = tmp.resolve("ok.txt");
        Files.writeString(f, "naïve — 文字 🙂");
        assertEquals("naïve — 文字 🙂", TextFiles.readUtf8(f));
    }

    @Test
    void invalidUtf8NamesTheFileAndTheByte() throws IOException {
        Path f = tmp.resolve("latin1.txt");
        Files.write(f, new byte[] {'c', 'a', 'f', (byte) 0xe9, '!'});
        InvalidFileException e =
                assertThrows(InvalidFileException.class, () -> TextFiles.readUtf8(f));
        assertEquals(
                f + ": is not valid UTF-8: byte 0xe9 at offset 3 (convert the file to UTF-8)",
                e.getMessage());
    }

    @Test
    void aDirectoryNamesThePath() {
        InvalidFileException e =
                assertThrows(InvalidFileException.class, () -> TextFiles.readUtf8(tmp));
        assertEquals(tmp + ": is a directory, not a file", e.getMessage());
    }

    @Test
    void aMissingFileNamesThePath() {
        NoSuchFileException e =
                assertThrows(
                        NoSuchFileException.class,
                        () -> TextFiles.readUtf8(tmp.resolve("missing.txt")));
        assertEquals(tmp.resolve("missing.txt").toString(), e.getFile());
    }
}
