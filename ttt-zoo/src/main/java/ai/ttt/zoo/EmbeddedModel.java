package ai.ttt.zoo;

import ai.djl.util.Utils;
import ai.ttt.block.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model directory shipped inside the jar, under {@value #RESOURCE_ROOT}{@code <name>/}. It is
 * extracted on first use into DJL's cache directory ({@code DJL_CACHE_DIR}, default {@code
 * ~/.djl.ai}) under {@code ttt/models/<name>-<content hash>}, so a new version never reuses an old
 * extraction and concurrent processes agree on the result.
 */
final class EmbeddedModel {

    /** Where embedded models live on the class path. */
    static final String RESOURCE_ROOT = "ai/ttt/zoo/models/";

    /** The files of an embedded model directory. */
    static final List<String> FILES =
            List.of(
                    "config.json",
                    "model.safetensors",
                    "tokenizer.json",
                    "serving.properties",
                    "README.md");

    private static final String COMPLETE = ".complete";

    private final String name;
    private Path directory;

    EmbeddedModel(String name) {
        this.name = name;
    }

    /** Returns whether the jar ships this model. */
    boolean isPresent() {
        return loader().getResource(RESOURCE_ROOT + name + "/config.json") != null;
    }

    /** The directory the model would be extracted to, before extraction (no hash yet). */
    Path placeholder() {
        return cacheRoot().resolve(name);
    }

    /** Extracts the model if needed and returns its directory. */
    synchronized Path directory() throws IOException {
        if (directory != null && Files.isRegularFile(directory.resolve(COMPLETE))) {
            return directory;
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (String f : FILES) {
            String resource = RESOURCE_ROOT + name + "/" + f;
            try (InputStream in = loader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new NoSuchFileException(
                            resource, null, "embedded model resource missing from the class path");
                }
                byte[] bytes = in.readAllBytes();
                files.put(f, bytes);
                sha.update(f.getBytes(StandardCharsets.UTF_8));
                sha.update(bytes);
            }
        }
        String hash = HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        Path root = cacheRoot();
        Path target = root.resolve(name + "-" + hash);
        if (!Files.isRegularFile(target.resolve(COMPLETE))) {
            Files.createDirectories(root);
            Path staging = Files.createTempDirectory(root, "." + name + ".tmp-");
            try {
                for (Map.Entry<String, byte[]> e : files.entrySet()) {
                    Files.write(staging.resolve(e.getKey()), e.getValue());
                }
                Files.createFile(staging.resolve(COMPLETE));
                try {
                    Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException
                        | DirectoryNotEmptyException
                        | AtomicMoveNotSupportedException e) {
                    // Another process extracted it first (or left a broken copy: replace that).
                    if (!Files.isRegularFile(target.resolve(COMPLETE))) {
                        FileTrees.deleteQuietly(target);
                        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                    }
                }
            } finally {
                FileTrees.deleteQuietly(staging);
            }
        }
        directory = target;
        return target;
    }

    private static Path cacheRoot() {
        return Utils.getCacheDir().resolve("ttt").resolve("models");
    }

    private static ClassLoader loader() {
        return EmbeddedModel.class.getClassLoader();
    }
}
