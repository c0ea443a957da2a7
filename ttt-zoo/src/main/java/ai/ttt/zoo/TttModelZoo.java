package ai.ttt.zoo;

import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelZoo;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TTT-E2E model zoo, group id {@value #GROUP_ID}: {@code
 * Criteria.builder().setTypes(String.class, String.class).optGroupId("ai.ttt").optArtifactId(name)}
 * loads a model with no other argument.
 *
 * <p>Models, by artifact id:
 *
 * <ul>
 *   <li>{@value #DEFAULT_MODEL}: the embedded default model, shipped inside the jar and extracted
 *       on first use into DJL's cache directory: a 4.8M-parameter TTT-E2E model (6 layers, the last
 *       2 with fast weights, byte-level tokenizer) trained with {@code ttt train --preset default}
 *       on the King James Bible, Revelation held out.
 *   <li>{@value #TINY_RANDOM}: also embedded, the official TTT-E2E test model tiny-L4-S1 with
 *       <b>random weights</b>: it generates noise and only demonstrates the mechanics quickly (its
 *       loss on a repeated passage drops as it learns the passage while reading).
 *   <li>every model directory (one holding {@code config.json}) in the repository folder named by
 *       the system property {@value #MODEL_DIR_PROPERTY} or, when that is unset, the environment
 *       variable {@value #MODEL_DIR_ENV}; the artifact id is the directory's name. Several folders
 *       may be given, separated by the path separator ({@code :} on Linux). A folder that is itself
 *       a model directory contributes that model. A folder model named like the embedded one
 *       replaces it.
 * </ul>
 *
 * <p>Nothing happens when the zoo is created: the folders are listed when DJL asks this zoo for its
 * loaders (only for a Criteria whose group id is {@value #GROUP_ID}, or that names none), and the
 * embedded model is extracted when it is loaded. Nothing here touches the network.
 */
public class TttModelZoo extends ModelZoo {

    /** The zoo's group id. */
    public static final String GROUP_ID = "ai.ttt";

    /** The artifact id of the embedded default model, trained on the King James Bible. */
    public static final String DEFAULT_MODEL = "kjv-5m";

    /**
     * What the default model is, in a few words, for help texts and banners (one source, so that no
     * text goes on describing a model the zoo no longer ships).
     */
    public static final String DEFAULT_MODEL_DESCRIPTION =
            GROUP_ID
                    + ":"
                    + DEFAULT_MODEL
                    + ", a 4.8M-parameter TTT-E2E model trained on the King James Bible";

    /** The artifact id of the embedded random-weight test model (official tiny-L4-S1). */
    public static final String TINY_RANDOM = "tiny-random";

    private static final List<String> EMBEDDED_MODELS = List.of(DEFAULT_MODEL, TINY_RANDOM);

    /** System property naming the repository folder(s) of models. */
    public static final String MODEL_DIR_PROPERTY = "ttt.model.dir";

    /** Environment variable naming the repository folder(s), when the property is unset. */
    public static final String MODEL_DIR_ENV = "TTT_MODEL_DIR";

    private static final Logger logger = LoggerFactory.getLogger(TttModelZoo.class);

    /** {@code group:artifact}, as Maven coordinates are written; no slash, so never a path. */
    private static final Pattern ZOO_ID = Pattern.compile("[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+");

    /**
     * Returns whether a model name is a zoo id ({@code ai.ttt:kjv-5m}, {@code ai.ttt:my-model})
     * rather than a model directory.
     *
     * @param model a zoo id or a directory
     * @return {@code true} for {@code group:artifact} (no slash)
     */
    public static boolean isZooId(String model) {
        return ZOO_ID.matcher(model).matches();
    }

    /**
     * Points a Criteria at a model the way a user names it: a zoo id by group and artifact id (no
     * other argument needed), a directory by path with {@link TttTranslatorFactory} (DJL picks the
     * translator before it reads the directory's {@code serving.properties}).
     *
     * @param criteria the builder, types set
     * @param model a zoo id ({@link #isZooId}) or a model directory
     * @param <I> the input type
     * @param <O> the output type
     * @return the builder
     */
    public static <I, O> Criteria.Builder<I, O> locate(
            Criteria.Builder<I, O> criteria, String model) {
        if (isZooId(model)) {
            int colon = model.indexOf(':');
            return criteria.optGroupId(model.substring(0, colon))
                    .optArtifactId(model.substring(colon + 1));
        }
        return criteria.optModelPath(Paths.get(model))
                .optTranslatorFactory(new TttTranslatorFactory());
    }

    private static final Map<String, EmbeddedModel> EMBEDDED = new ConcurrentHashMap<>();

    private final Map<String, TttModelLoader> loaders = new ConcurrentHashMap<>();

    /** Creates the zoo; does nothing else (DJL creates it when the ModelZoo class loads). */
    public TttModelZoo() {}

    /** {@inheritDoc} */
    @Override
    public String getGroupId() {
        return GROUP_ID;
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> getSupportedEngines() {
        return Set.of("PyTorch");
    }

    /** {@inheritDoc} */
    @Override
    public Collection<ModelLoader> getModelLoaders() {
        return new ArrayList<>(resolve().values());
    }

    /** {@inheritDoc} */
    @Override
    public ModelLoader getModelLoader(String name) {
        return resolve().get(name);
    }

    /**
     * Returns the models' directories by artifact id as they are now (the folders are listed again
     * on every call; loaders are reused while a model's directory stays the same).
     */
    private Map<String, ModelLoader> resolve() {
        Map<String, ModelLoader> out = new LinkedHashMap<>();
        for (String name : EMBEDDED_MODELS) {
            EmbeddedModel embedded = embedded(name);
            if (embedded.isPresent()) {
                out.put(
                        name,
                        loaders.computeIfAbsent(
                                "embedded:" + name,
                                k ->
                                        new TttModelLoader(
                                                name,
                                                embedded.placeholder(),
                                                embedded::directory)));
            }
        }
        for (Path dir : folderModels()) {
            String name = dir.getFileName().toString();
            out.put(
                    name,
                    loaders.computeIfAbsent(
                            "dir:" + dir, k -> new TttModelLoader(name, dir, () -> dir)));
        }
        return out;
    }

    /**
     * Returns the model directories found in the repository folders.
     *
     * @return the directories, in name order per folder
     */
    static List<Path> folderModels() {
        List<Path> found = new ArrayList<>();
        String spec = repositoryFolders();
        if (spec == null || spec.isBlank()) {
            return found;
        }
        for (String part : spec.split(File.pathSeparator)) {
            if (part.isBlank()) {
                continue;
            }
            Path folder = Paths.get(part.trim()).toAbsolutePath().normalize();
            if (isModelDirectory(folder)) {
                found.add(folder);
                continue;
            }
            if (!Files.isDirectory(folder)) {
                logger.warn("TTT-E2E model folder {} does not exist", folder);
                continue;
            }
            try (Stream<Path> list = Files.list(folder)) {
                list.filter(TttModelZoo::isModelDirectory).sorted().forEach(found::add);
            } catch (IOException e) {
                logger.warn("Cannot list TTT-E2E model folder {}: {}", folder, e.toString());
            }
        }
        return found;
    }

    /**
     * Returns the repository folder setting: the system property, else the environment variable.
     *
     * @return the folders, or {@code null} if neither is set
     */
    public static String repositoryFolders() {
        String v = System.getProperty(MODEL_DIR_PROPERTY);
        if (v == null || v.isBlank()) {
            v = System.getenv(MODEL_DIR_ENV);
        }
        return v;
    }

    private static boolean isModelDirectory(Path p) {
        return Files.isDirectory(p) && Files.isRegularFile(p.resolve("config.json"));
    }

    private static EmbeddedModel embedded(String name) {
        return EMBEDDED.computeIfAbsent(name, EmbeddedModel::new);
    }

    /**
     * Returns the directory of the embedded default model, extracting it on first use (for tools
     * that read a model directory directly).
     *
     * @return the directory
     * @throws IOException if the jar does not ship the model or it cannot be extracted
     */
    public static Path defaultModelDirectory() throws IOException {
        return embeddedModelDirectory(DEFAULT_MODEL);
    }

    /**
     * Returns the directory of an embedded model, extracting it on first use.
     *
     * @param name {@value #DEFAULT_MODEL} or {@value #TINY_RANDOM}
     * @return the directory
     * @throws IllegalArgumentException if no model of that name is embedded
     * @throws IOException if the jar does not ship the model or it cannot be extracted
     */
    public static Path embeddedModelDirectory(String name) throws IOException {
        if (!EMBEDDED_MODELS.contains(name)) {
            throw new IllegalArgumentException(
                    "no embedded model \"" + name + "\"; embedded: " + EMBEDDED_MODELS);
        }
        return embedded(name).directory();
    }
}
