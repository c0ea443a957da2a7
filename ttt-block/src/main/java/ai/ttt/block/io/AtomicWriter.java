package ai.ttt.block.io;

import ai.ttt.block.FileTrees;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The one way this project writes its outputs: a reader sees either the old output or all of the
 * new one, never part of it, and nothing the project did not write is ever deleted or replaced.
 *
 * <p><b>Files</b> ({@link #writeFile}) are written to a hidden temporary sibling, forced to disk
 * and renamed over the target. The temporary file is created with the default permissions, so the
 * result's mode follows the umask like any file the user creates (an existing target's permissions
 * are kept). A symbolic link is honoured: the file it points to is replaced, not the link.
 *
 * <p><b>Directories</b> ({@link #writeDirectory}) are produced by a callback into a staging
 * directory, then put in place:
 *
 * <ul>
 *   <li>a target that does not exist: the staging directory is created beside it (mode following
 *       the umask) and renamed to the target in one step;
 *   <li>an existing directory (a symbolic link to one and a mount point included, which cannot be
 *       renamed): it may hold only files of the {@link OwnedFiles} kind (and must then hold its
 *       marker), else the writer refuses before writing anything, naming every entry in the way.
 *       The new files are staged inside it and renamed over the old ones one by one, the marker
 *       last; owned files the new output does not have are then removed. The directory itself (its
 *       inode, mode, owner, mount) is never replaced.
 * </ul>
 *
 * <p>On any failure the staging files are removed and the target is left as it was (in the
 * existing-directory case, a failure between two renames can leave new files beside old ones;
 * readers detect that through the marker's cross-checks, e.g. a session's position).
 */
public final class AtomicWriter {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** Prefix of the staging entries this writer creates (and may remove when it finds them). */
    static final String STAGING_PREFIX = ".ttt-tmp-";

    private AtomicWriter() {}

    /** Produces the content of a file. */
    @FunctionalInterface
    public interface FileContent {
        /**
         * Writes the whole content.
         *
         * @param channel the temporary file, positioned at 0
         * @throws IOException if producing or writing fails
         */
        void writeTo(FileChannel channel) throws IOException;
    }

    /** Produces the files of a directory. */
    @FunctionalInterface
    public interface DirectoryContent {
        /**
         * Writes every file of the output (plain files only, no subdirectories) into the staging
         * directory.
         *
         * @param staging an empty directory on the target's file system
         * @throws IOException if producing or writing fails
         */
        void writeInto(Path staging) throws IOException;
    }

    /**
     * Writes a file atomically.
     *
     * @param target the file (its parent directories are created when missing)
     * @param content produces the bytes
     * @throws IOException if writing fails (the target is then untouched), or the target is a
     *     directory or a dangling symbolic link
     */
    public static void writeFile(Path target, FileContent content) throws IOException {
        Path file = followLink(target.toAbsolutePath());
        if (Files.isDirectory(file)) {
            throw new FileAlreadyExistsException(
                    file.toString(), null, "is a directory; not replacing it with a file");
        }
        Path directory = file.getParent();
        Files.createDirectories(directory);
        Path temporary = createUnique(directory, STAGING_PREFIX + file.getFileName() + ".", false);
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                content.writeTo(channel);
                channel.force(true);
            }
            keepPermissions(file, temporary);
            Files.move(
                    temporary,
                    file,
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
     * Writes bytes atomically.
     *
     * @param target the file
     * @param bytes the content
     * @throws IOException if writing fails (the target is then untouched)
     */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        writeFile(
                target,
                channel -> {
                    ByteBuffer buffer = ByteBuffer.wrap(bytes);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                });
    }

    /**
     * Writes text atomically as UTF-8.
     *
     * @param target the file
     * @param text the content
     * @throws IOException if writing fails (the target is then untouched)
     */
    public static void writeString(Path target, String text) throws IOException {
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes a directory of the given kind, creating it or replacing the owned files of an existing
     * one (see the class description).
     *
     * @param target the directory
     * @param owned the files such a directory consists of
     * @param content produces the files
     * @throws FileSystemException naming the target and what is in the way if it exists and is not
     *     a directory, is a dangling symbolic link, or holds anything but owned files (nothing is
     *     written then)
     * @throws IOException if writing fails (the staging files are removed)
     */
    public static void writeDirectory(Path target, OwnedFiles owned, DirectoryContent content)
            throws IOException {
        Path absolute = target.toAbsolutePath();
        if (Files.isSymbolicLink(absolute) && !Files.exists(absolute)) {
            throw new FileSystemException(
                    absolute.toString(),
                    null,
                    "is a symbolic link to "
                            + Files.readSymbolicLink(absolute)
                            + ", which does not exist; not replacing the link");
        }
        if (Files.exists(absolute)) {
            replaceOwnedFiles(absolute, owned, content);
        } else {
            createWhole(absolute, content);
        }
    }

    private static void createWhole(Path target, DirectoryContent content) throws IOException {
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path staging = createUnique(parent, STAGING_PREFIX + target.getFileName() + ".", true);
        try {
            content.writeInto(staging);
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException | Error e) {
            FileTrees.deleteQuietly(staging);
            throw e;
        }
    }

    private static void replaceOwnedFiles(Path target, OwnedFiles owned, DirectoryContent content)
            throws IOException {
        if (!Files.isDirectory(target)) {
            throw new FileAlreadyExistsException(
                    target.toString(),
                    null,
                    "exists and is not a directory; not replacing it with " + owned.kind());
        }
        List<Path> present = list(target);
        List<String> inTheWay = new ArrayList<>();
        boolean hasMarker = false;
        for (Path p : present) {
            String name = p.getFileName().toString();
            if (name.startsWith(STAGING_PREFIX)) {
                continue; // another write of ours, running or interrupted: not in the way
            }
            boolean regular = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
            if (!regular || !owned.owns(name)) {
                inTheWay.add(describe(p));
            } else if (name.equals(owned.marker())) {
                hasMarker = true;
            }
        }
        boolean ours = inTheWay.isEmpty() && (hasMarker || onlyStaging(present));
        if (!ours) {
            if (inTheWay.isEmpty()) {
                present.forEach(p -> inTheWay.add(describe(p)));
            }
            String what =
                    owned.marker() == null
                            ? "is not empty"
                            : "is not empty and not " + owned.kind();
            throw new FileAlreadyExistsException(
                    target.toString(),
                    null,
                    what
                            + "; not writing into it: it holds "
                            + String.join(", ", inTheWay)
                            + " (move them away or choose another directory)");
        }
        Path staging = createUnique(target, STAGING_PREFIX, true);
        try {
            content.writeInto(staging);
            List<Path> produced = list(staging);
            List<String> names = new ArrayList<>();
            for (Path p : produced) {
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IllegalStateException(
                            p + ": a directory output may only consist of plain files");
                }
                names.add(p.getFileName().toString());
            }
            // The marker goes last: until it is replaced, the directory reads as the old output.
            names.sort(
                    (a, b) -> Boolean.compare(a.equals(owned.marker()), b.equals(owned.marker())));
            for (String name : names) {
                Files.move(
                        staging.resolve(name),
                        target.resolve(name),
                        StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            }
            for (Path p : present) {
                String name = p.getFileName().toString();
                if (owned.owns(name) && !names.contains(name)) {
                    Files.deleteIfExists(p);
                }
            }
        } finally {
            FileTrees.deleteQuietly(staging);
        }
    }

    private static boolean onlyStaging(List<Path> present) {
        return present.stream()
                .allMatch(p -> p.getFileName().toString().startsWith(STAGING_PREFIX));
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.sorted().toList());
        }
    }

    private static String describe(Path p) {
        String name = p.getFileName().toString();
        if (Files.isSymbolicLink(p)) {
            return name + " (a symbolic link)";
        }
        return Files.isDirectory(p) ? name + "/" : name;
    }

    /** The file a path names: a symbolic link is followed to its target, which must exist. */
    private static Path followLink(Path path) throws IOException {
        if (!Files.isSymbolicLink(path)) {
            return path;
        }
        if (!Files.exists(path)) {
            throw new NoSuchFileException(
                    path.toString(),
                    null,
                    "a symbolic link to "
                            + Files.readSymbolicLink(path)
                            + ", which does not exist; not replacing the link");
        }
        return path.toRealPath();
    }

    /** Gives the new file the permissions of the file it replaces (best effort, POSIX only). */
    private static void keepPermissions(Path replaced, Path replacement) {
        try {
            if (Files.exists(replaced)) {
                Files.setPosixFilePermissions(replacement, Files.getPosixFilePermissions(replaced));
            }
        } catch (IOException | UnsupportedOperationException ignored) {
            // Not a POSIX file system, or not ours to read: the default permissions stand.
        }
    }

    /**
     * Creates a uniquely named hidden file or directory with the default permissions (unlike {@code
     * Files.createTemp*}, which make them private to the owner: 0600 and 0700 whatever the umask).
     */
    private static Path createUnique(Path directory, String prefix, boolean asDirectory)
            throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE);
            Path candidate = directory.resolve(prefix + suffix);
            try {
                return asDirectory ? Files.createDirectory(candidate) : Files.createFile(candidate);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }
}
