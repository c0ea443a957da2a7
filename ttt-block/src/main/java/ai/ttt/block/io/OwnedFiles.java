package ai.ttt.block.io;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The files a kind of output directory consists of: what {@link AtomicWriter#writeDirectory} may
 * replace or remove in an existing directory. Everything else found there belongs to someone else
 * and makes the writer refuse.
 *
 * @param kind what such a directory is, for messages (e.g. "a saved session")
 * @param names the file names this project writes into such a directory (whole-name match)
 * @param marker the file whose presence shows that an existing non-empty directory is one of ours
 *     and may be replaced, or {@code null} when only an empty directory may be reused
 */
public record OwnedFiles(String kind, Pattern names, String marker) {

    /** Validates the fields. */
    public OwnedFiles {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(names, "names");
        if (marker != null && !names.matcher(marker).matches()) {
            throw new IllegalArgumentException("the marker " + marker + " must be an owned name");
        }
    }

    /**
     * Tells whether a file name is one this project writes into such a directory.
     *
     * @param name a file name (no directory part)
     * @return whether it is owned
     */
    public boolean owns(String name) {
        return names.matcher(name).matches();
    }
}
