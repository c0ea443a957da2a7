package ai.ttt.block;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the reference fixtures in the project's {@code test-fixtures/} folder. */
public final class Fixtures {

    private Fixtures() {}

    /**
     * Returns the fixtures root, found by walking up from the working directory.
     *
     * @return the {@code test-fixtures} directory
     */
    public static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("test-fixtures");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException(
                "test-fixtures/ not found above " + Path.of("").toAbsolutePath());
    }

    /**
     * Returns a fixture path.
     *
     * @param relative e.g. {@code hf/llama-tiny}
     * @return the path (must exist)
     */
    public static Path get(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("fixture missing: " + p);
        }
        return p;
    }
}
