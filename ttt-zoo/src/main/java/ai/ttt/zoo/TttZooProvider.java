package ai.ttt.zoo;

import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;

/**
 * Registers the {@link TttModelZoo} with DJL (through {@code
 * META-INF/services/ai.djl.repository.zoo.ZooProvider}).
 *
 * <p>DJL creates every provider while the {@code ModelZoo} class initialises, and an exception
 * there would break every Criteria in the JVM; so neither this provider nor the zoo does any work
 * when created: no file access, no network.
 */
public class TttZooProvider implements ZooProvider {

    /** Creates the provider. */
    public TttZooProvider() {}

    /** {@inheritDoc} */
    @Override
    public ModelZoo getModelZoo() {
        return new TttModelZoo();
    }
}
