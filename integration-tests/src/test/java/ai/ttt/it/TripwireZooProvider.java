package ai.ttt.it;

import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A model zoo registered (through the test class path's META-INF/services) only to notice when a
 * model lookup consults it: a lookup for another group id must never ask it for loaders.
 */
public class TripwireZooProvider implements ZooProvider {

    /** The tripwire zoo's group id. */
    static final String GROUP_ID = "ai.ttt.it.tripwire";

    /** How often a lookup asked the tripwire zoo for its loaders. */
    static final AtomicInteger CONSULTED = new AtomicInteger();

    /** {@inheritDoc} */
    @Override
    public ModelZoo getModelZoo() {
        return new ModelZoo() {
            @Override
            public String getGroupId() {
                return GROUP_ID;
            }

            @Override
            public Set<String> getSupportedEngines() {
                return Set.of("PyTorch");
            }

            @Override
            public Collection<ModelLoader> getModelLoaders() {
                CONSULTED.incrementAndGet();
                return List.of();
            }

            @Override
            public ModelLoader getModelLoader(String name) {
                CONSULTED.incrementAndGet();
                return null;
            }
        };
    }
}
