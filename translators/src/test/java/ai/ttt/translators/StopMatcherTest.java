package ai.ttt.translators;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopMatcherTest {

    @Test
    void withoutStopsEverythingPassesAtOnce() {
        StopMatcher m = new StopMatcher(List.of());
        assertEquals("abc", m.push("abc"));
        assertEquals("", m.flush());
    }

    @Test
    void holdsBackWhatMayStartAStopStringUntilItIsDecided() {
        StopMatcher m = new StopMatcher(List.of("###"));
        assertEquals("ab", m.push("ab#"));
        assertEquals("", m.push("#"));
        assertEquals("##x", m.push("x"), "not a stop string after all");
        assertFalse(m.stopped());
        assertEquals("y", m.push("y#"));
        assertEquals("#", m.flush(), "the end releases what was held");
    }

    @Test
    void stopsBeforeTheFirstStopStringEvenAcrossPieces() {
        StopMatcher m = new StopMatcher(List.of("END", "\n\n"));
        assertEquals("one", m.push("one\n"));
        assertEquals("", m.push("\ntwo"));
        assertTrue(m.stopped());
        assertEquals("", m.push("more"));
        assertEquals("", m.flush());

        StopMatcher earliest = new StopMatcher(List.of("cd", "bcx"));
        assertEquals("ab", earliest.push("abcdbcx"));
        assertTrue(earliest.stopped());
    }
}
