package ai.ttt.zoo;

import ai.djl.Application;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.repository.MRL;
import ai.djl.repository.Repository;
import ai.djl.repository.zoo.BaseModelLoader;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Loads one TTT-E2E model of the {@link TttModelZoo} (a model directory, or the embedded default
 * extracted on first use).
 *
 * <p>Compared with DJL's {@link BaseModelLoader} it defaults everything a TTT-E2E model needs, so
 * that {@code Criteria.builder().setTypes(String.class, String.class).optGroupId("ai.ttt")
 * .optArtifactId(name)} needs no other argument: the translator factory ({@link
 * TttTranslatorFactory}, whatever the types), the block factory ({@link TttBlockFactory}) and
 * {@code hasParameter=false} (weights come from safetensors), each only when neither the Criteria
 * nor the directory's {@code serving.properties} sets it.
 */
public class TttModelLoader extends BaseModelLoader {

    /** Makes a model's directory available. */
    @FunctionalInterface
    public interface Source {
        /**
         * Returns the model directory, creating it first if needed (the embedded model is
         * extracted).
         *
         * @return the directory
         * @throws IOException if it cannot be made available
         */
        Path prepare() throws IOException;
    }

    private final String artifactId;
    private final Source source;
    private Path prepared;

    /**
     * Creates a loader.
     *
     * @param artifactId the model's name in the zoo
     * @param expectedDir where the model directory is (or will be, once prepared)
     * @param source makes the directory available
     */
    public TttModelLoader(String artifactId, Path expectedDir, Source source) {
        super(mrl(artifactId, expectedDir));
        this.artifactId = artifactId;
        this.source = source;
        this.defaultFactory = new TttTranslatorFactory();
    }

    private static MRL mrl(String artifactId, Path dir) {
        Repository repository = Repository.newInstance("ttt-" + artifactId, dir);
        return MRL.model(
                repository,
                Application.NLP.TEXT_GENERATION,
                TttModelZoo.GROUP_ID,
                artifactId,
                null,
                null);
    }

    /**
     * Makes the model directory available and points the loader at it.
     *
     * @return the model directory
     * @throws IOException if it cannot be made available
     */
    public synchronized Path prepare() throws IOException {
        if (prepared == null) {
            Path dir = source.prepare();
            mrl = mrl(artifactId, dir);
            prepared = dir;
        }
        return prepared;
    }

    /** {@inheritDoc} */
    @Override
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
            throws IOException, ModelNotFoundException, MalformedModelException {
        prepare();
        Map<String, String> options = criteria.getOptions();
        if (options == null || !options.containsKey("hasParameter")) {
            criteria = criteria.toBuilder().optOption("hasParameter", "false").build();
        }
        return super.loadModel(criteria);
    }

    /** {@inheritDoc} */
    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria)
            throws IOException, ModelNotFoundException {
        prepare();
        return super.isDownloaded(criteria);
    }

    /** {@inheritDoc} */
    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress)
            throws IOException, ModelNotFoundException {
        prepare();
        super.downloadModel(criteria, progress);
    }

    /** {@inheritDoc} */
    @Override
    protected Model createModel(
            Path modelPath,
            String name,
            Device device,
            Block block,
            Map<String, Object> arguments,
            String engine)
            throws IOException {
        if (block == null) {
            arguments.putIfAbsent("blockFactory", TttBlockFactory.class.getName());
        }
        return super.createModel(modelPath, name, device, block, arguments, engine);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "TttModelLoader[" + TttModelZoo.GROUP_ID + ":" + artifactId + "]";
    }
}
