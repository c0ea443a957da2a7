package ai.ttt.train;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * {@link ProgramMetaGradientTest} with the program's norms as on the GPU, the fused {@code
 * torch.rms_norm} ({@code -Dttt.fusedNorm=true}), whose backward under grad mode must itself be
 * differentiable for the second-order meta-gradient: the same bars against the plain engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FusedNormMetaGradientTest extends ProgramMetaGradientTest {

    @BeforeAll
    void fuseNorms() {
        System.setProperty("ttt.fusedNorm", "true");
    }

    @AfterAll
    void clearProperty() {
        System.clearProperty("ttt.fusedNorm");
    }
}
