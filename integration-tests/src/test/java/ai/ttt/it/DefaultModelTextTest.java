package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.ttt.zoo.TttModelZoo;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * What the CLI says about the default model is what the zoo ships: the trained {@code kjv-5m}, not
 * the random-weights model it once was ("it generates noise", "(random weights)").
 */
class DefaultModelTextTest {

    /** Compares without white space: picocli wraps help lines anywhere, even after "ai.". */
    private static void assertDescribesTheTrainedModel(String text) {
        String joined = text.replaceAll("\\s+", "");
        String lower = joined.toLowerCase(Locale.ROOT);
        assertFalse(lower.contains("randomweights"), text);
        assertFalse(lower.contains("noise"), text);
        assertTrue(joined.contains(TttModelZoo.GROUP_ID + ":" + TttModelZoo.DEFAULT_MODEL), text);
        assertTrue(joined.contains("KingJamesBible"), text);
    }

    @Test
    void generateHelpDescribesTheTrainedDefaultModel() {
        InProcessCli r = InProcessCli.run("generate", "--help");
        assertEquals(0, r.code(), r.err());
        assertDescribesTheTrainedModel(r.out());
    }

    @Test
    void theChatBannerDescribesTheTrainedDefaultModel() {
        InProcessCli r = InProcessCli.withInput("/quit\n", "chat", "--max-new-tokens", "1");
        assertEquals(0, r.code(), r.err());
        String banner =
                r.err().lines().filter(l -> l.startsWith("(chat with")).findFirst().orElse(r.err());
        assertDescribesTheTrainedModel(banner);
    }
}
