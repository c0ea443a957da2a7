package ai.ttt.block.programs;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * A test class that runs with some of the program's switches on: the named system properties are
 * set to {@code true} before its first test and cleared after its last (programs bound in between
 * read them).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class UnderProperties {

    /** The system properties this class turns on. */
    abstract List<String> properties();

    @BeforeAll
    void setProperties() {
        for (String p : properties()) {
            System.setProperty(p, "true");
        }
    }

    @AfterAll
    void clearProperties() {
        for (String p : properties()) {
            System.clearProperty(p);
        }
    }
}
