package ai.ttt.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelZoo;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TttModelZooTest {

    @TempDir Path tmp;

    @AfterEach
    void clear() {
        System.clearProperty(TttModelZoo.MODEL_DIR_PROPERTY);
    }

    private static Set<String> names(ModelZoo zoo) {
        return zoo.getModelLoaders().stream()
                .map(ModelLoader::getArtifactId)
                .collect(Collectors.toSet());
    }

    @Test
    void theProviderIsRegisteredAndNeverThrowsEvenWithABadFolder() {
        System.setProperty(TttModelZoo.MODEL_DIR_PROPERTY, tmp.resolve("missing").toString());
        ModelZoo zoo = new TttZooProvider().getModelZoo();
        assertEquals("ai.ttt", zoo.getGroupId());
        assertEquals(Set.of("PyTorch"), zoo.getSupportedEngines());
        assertEquals(Set.of(TttModelZoo.DEFAULT_MODEL, TttModelZoo.TINY_RANDOM), names(zoo));
        assertNotNull(ModelZoo.getModelZoo("ai.ttt"), "registered through META-INF/services");
    }

    @Test
    void folderModelsAreFoundByDirectoryName() throws Exception {
        Path repo = tmp.resolve("repo");
        Files.createDirectories(repo.resolve("alpha"));
        Files.writeString(repo.resolve("alpha/config.json"), "{}");
        Files.createDirectories(repo.resolve("not-a-model"));
        Files.writeString(repo.resolve("stray.txt"), "x");
        Path single = tmp.resolve("beta");
        Files.createDirectories(single);
        Files.writeString(single.resolve("config.json"), "{}");
        System.setProperty(TttModelZoo.MODEL_DIR_PROPERTY, repo + File.pathSeparator + single);
        ModelZoo zoo = new TttModelZoo();
        assertEquals(
                Set.of(TttModelZoo.DEFAULT_MODEL, TttModelZoo.TINY_RANDOM, "alpha", "beta"),
                names(zoo));
        assertEquals("ai.ttt", zoo.getModelLoader("alpha").getGroupId());
        assertNull(zoo.getModelLoader("not-a-model"));
        assertEquals(
                List.of(repo.resolve("alpha").toAbsolutePath(), single.toAbsolutePath()),
                TttModelZoo.folderModels());
        // The folders are listed again on every lookup.
        System.clearProperty(TttModelZoo.MODEL_DIR_PROPERTY);
        assertEquals(Set.of(TttModelZoo.DEFAULT_MODEL, TttModelZoo.TINY_RANDOM), names(zoo));
    }

    @Test
    void theEmbeddedModelIsExtractedOnceUnderAContentHash() throws Exception {
        Path dir = TttModelZoo.defaultModelDirectory();
        assertEquals(dir, TttModelZoo.defaultModelDirectory());
        assertTrue(
                dir.getFileName().toString().matches(TttModelZoo.DEFAULT_MODEL + "-[0-9a-f]{16}"),
                dir.toString());
        for (String f : EmbeddedModel.FILES) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        assertTrue(Files.isRegularFile(dir.resolve(".complete")));
    }
}
