package ai.ttt.block.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one atomic writer: never a partial output, never a foreign file touched, links honoured. */
class AtomicWriterTest {

    @TempDir Path tmp;

    private static final OwnedFiles SESSION =
            new OwnedFiles(
                    "a saved session", Pattern.compile("a\\.bin|marker\\.bin"), "marker.bin");

    private static final OwnedFiles MODEL =
            new OwnedFiles("a model directory", Pattern.compile("a\\.bin|marker\\.bin"), null);

    private static AtomicWriter.DirectoryContent files(String... namesAndTexts) {
        return staging -> {
            for (int i = 0; i < namesAndTexts.length; i += 2) {
                AtomicWriter.writeString(staging.resolve(namesAndTexts[i]), namesAndTexts[i + 1]);
            }
        };
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The permissions a directory made with the process's umask gets. */
    private Set<PosixFilePermission> umaskDirectoryMode() throws IOException {
        Path probe = Files.createDirectory(tmp.resolve("umask-probe-dir"));
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(probe);
        Files.delete(probe);
        return mode;
    }

    private Set<PosixFilePermission> umaskFileMode() throws IOException {
        Path probe = Files.createFile(tmp.resolve("umask-probe-file"));
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(probe);
        Files.delete(probe);
        return mode;
    }

    @Test
    void aNewDirectoryAppearsWholeWithTheUmasksModes() throws IOException {
        Path out = tmp.resolve("new/nested/out");
        AtomicWriter.writeDirectory(out, MODEL, files("a.bin", "A", "marker.bin", "M"));
        assertEquals(List.of("a.bin", "marker.bin"), names(out));
        assertEquals(umaskDirectoryMode(), Files.getPosixFilePermissions(out));
        assertEquals(umaskFileMode(), Files.getPosixFilePermissions(out.resolve("a.bin")));
        assertEquals(List.of("nested"), names(tmp.resolve("new")), "no staging left behind");
    }

    @Test
    void aFailedWriteLeavesNothing() throws IOException {
        Path out = tmp.resolve("out");
        assertThrows(
                IOException.class,
                () ->
                        AtomicWriter.writeDirectory(
                                out,
                                MODEL,
                                staging -> {
                                    AtomicWriter.writeString(staging.resolve("a.bin"), "A");
                                    throw new IOException("disk full");
                                }));
        assertFalse(Files.exists(out));
        assertEquals(List.of(), names(tmp));
    }

    @Test
    void anExistingEmptyDirectoryIsFilledInPlaceAndKept() throws IOException {
        // A mount point cannot be renamed or removed: the writer must never replace the directory
        // itself. Its identity (inode) and mode stay; only files appear in it.
        Path out = Files.createDirectory(tmp.resolve("mounted"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-x---"));
        Object before = Files.readAttributes(out, "unix:ino").get("ino");
        AtomicWriter.writeDirectory(out, MODEL, files("a.bin", "A"));
        assertEquals(before, Files.readAttributes(out, "unix:ino").get("ino"));
        assertEquals(
                PosixFilePermissions.fromString("rwxr-x---"), Files.getPosixFilePermissions(out));
        assertEquals(List.of("a.bin"), names(out));
    }

    @Test
    void aSymbolicLinkToAnEmptyDirectoryIsWrittenThrough() throws IOException {
        Path real = Files.createDirectory(tmp.resolve("real"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
        AtomicWriter.writeDirectory(link, MODEL, files("a.bin", "A"));
        assertTrue(Files.isSymbolicLink(link), "the link stays a link");
        assertEquals(List.of("a.bin"), names(real), "the files land in the link's target");
    }

    @Test
    void aDanglingLinkIsRefused() throws IOException {
        Path link = Files.createSymbolicLink(tmp.resolve("link"), tmp.resolve("nowhere"));
        FileSystemException e =
                assertThrows(
                        FileSystemException.class,
                        () -> AtomicWriter.writeDirectory(link, MODEL, files("a.bin", "A")));
        assertTrue(e.getMessage().contains("which does not exist"), e.getMessage());
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void aNonEmptyDirectoryIsRefusedNamingWhatIsInTheWay() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("out"));
        Files.writeString(out.resolve("notes.txt"), "mine");
        Files.createDirectory(out.resolve("data"));
        FileSystemException e =
                assertThrows(
                        FileSystemException.class,
                        () -> AtomicWriter.writeDirectory(out, MODEL, files("a.bin", "A")));
        assertEquals(
                out.toAbsolutePath()
                        + ": is not empty; not writing into it: it holds data/, notes.txt"
                        + " (move them away or choose another directory)",
                e.getMessage());
        assertEquals(List.of("data", "notes.txt"), names(out), "nothing touched");
    }

    @Test
    void anOwnedDirectoryIsReplacedFileByFileAndForeignFilesNeverDeleted() throws IOException {
        Path out = tmp.resolve("session");
        AtomicWriter.writeDirectory(out, SESSION, files("a.bin", "old A", "marker.bin", "old M"));
        Object inode = Files.readAttributes(out, "unix:ino").get("ino");
        AtomicWriter.writeDirectory(out, SESSION, files("marker.bin", "new M"));
        assertEquals(List.of("marker.bin"), names(out), "the owned file not rewritten is gone");
        assertEquals("new M", Files.readString(out.resolve("marker.bin")));
        assertEquals(inode, Files.readAttributes(out, "unix:ino").get("ino"));

        Files.writeString(out.resolve("diary.txt"), "precious");
        FileSystemException e =
                assertThrows(
                        FileSystemException.class,
                        () -> AtomicWriter.writeDirectory(out, SESSION, files("marker.bin", "x")));
        assertTrue(e.getMessage().contains("not a saved session"), e.getMessage());
        assertTrue(e.getMessage().contains("it holds diary.txt"), e.getMessage());
        assertEquals("precious", Files.readString(out.resolve("diary.txt")));
        assertEquals("new M", Files.readString(out.resolve("marker.bin")));
    }

    @Test
    void ownedNamesWithoutTheMarkerAreNotOurs() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("out"));
        Files.writeString(out.resolve("a.bin"), "someone else's");
        FileSystemException e =
                assertThrows(
                        FileSystemException.class,
                        () -> AtomicWriter.writeDirectory(out, SESSION, files("a.bin", "A")));
        assertTrue(e.getMessage().contains("it holds a.bin"), e.getMessage());
        assertEquals("someone else's", Files.readString(out.resolve("a.bin")));
    }

    @Test
    void aFileIsReplacedAtomicallyKeepingItsModeAndFollowingLinks() throws IOException {
        Path real = tmp.resolve("real.json");
        Files.writeString(real, "old");
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rw-------"));
        Path link = Files.createSymbolicLink(tmp.resolve("out.json"), real);
        AtomicWriter.writeString(link, "new");
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("new", Files.readString(real));
        assertEquals(
                PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(real));
        Path fresh = tmp.resolve("fresh.json");
        AtomicWriter.writeString(fresh, "x");
        assertEquals(umaskFileMode(), Files.getPosixFilePermissions(fresh));
        assertEquals(
                List.of("fresh.json", "out.json", "real.json"),
                names(tmp),
                "no temporary file left");
        assertTrue(Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aDirectoryIsNeverReplacedByAFile() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("out.json"));
        FileSystemException e =
                assertThrows(
                        FileSystemException.class, () -> AtomicWriter.writeString(dir, "text"));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        assertTrue(Files.isDirectory(dir));
    }
}
