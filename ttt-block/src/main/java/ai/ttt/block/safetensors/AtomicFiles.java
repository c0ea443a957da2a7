package ai.ttt.block.safetensors;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/** Writes a file through a temporary sibling and an atomic rename (package-private). */
final class AtomicFiles {

    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {}

    /** Produces the content of a file. */
    @FunctionalInterface
    interface Content {
        void writeTo(FileChannel channel, Path temporaryFile) throws IOException;
    }

    /**
     * Writes {@code content} to a temporary file next to {@code target}, forces it to disk and
     * renames it over {@code target}. On any failure the temporary file is deleted and the target
     * is untouched.
     */
    static void write(Path target, Content content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path directory = absolute.getParent();
        Files.createDirectories(directory);
        Path temporary = createTemporary(directory, absolute.getFileName().toString());
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                content.writeTo(channel, temporary);
                channel.force(true);
            }
            Files.move(
                    temporary,
                    absolute,
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Creates an empty, uniquely named hidden file; unlike {@code Files.createTempFile} it gets the
     * default permissions, which the renamed target keeps.
     */
    private static Path createTemporary(Path directory, String targetName) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE);
            Path candidate = directory.resolve("." + targetName + "." + suffix + ".tmp");
            try {
                return Files.createFile(candidate);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }
}
