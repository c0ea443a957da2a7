package ai.ttt.block;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** File-tree helpers shared by the modules that write directories atomically. */
public final class FileTrees {

    private FileTrees() {}

    /**
     * Deletes a directory and everything below it (nothing if it does not exist).
     *
     * @param dir the directory
     * @throws IOException if something cannot be deleted
     */
    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder())
                    .forEach(
                            p -> {
                                try {
                                    Files.deleteIfExists(p);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * Deletes a directory tree on a best-effort basis (a hidden staging directory after a failure:
     * the failure being reported matters more than its leftovers).
     *
     * @param dir the directory
     */
    public static void deleteQuietly(Path dir) {
        try {
            deleteRecursively(dir);
        } catch (IOException ignored) {
            // Best effort; the caller is already reporting the original failure.
        }
    }
}
