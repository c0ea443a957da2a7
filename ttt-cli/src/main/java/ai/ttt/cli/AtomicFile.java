package ai.ttt.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes outputs to a temporary file beside the target, then moves it into place. */
final class AtomicFile {

    private AtomicFile() {}

    /**
     * Writes text atomically: the target holds either its old content or all of the new.
     *
     * @param target the file
     * @param text the content (UTF-8)
     * @throws IOException if writing fails (the target is then untouched)
     */
    static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes bytes atomically.
     *
     * @param target the file
     * @param bytes the content
     * @throws IOException if writing fails (the target is then untouched)
     */
    static void write(Path target, byte[] bytes) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (!Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(
                    dir.toString(), null, "output directory does not exist");
        }
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(
                    tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
