package ai.ttt.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What a piece of code writes to standard error, for the tests of messages. */
final class StdErr {

    /** Code that may write to standard error. */
    interface Body {
        /**
         * Runs.
         *
         * @throws IOException if the code under test throws it
         */
        void run() throws IOException;
    }

    private StdErr() {}

    /**
     * Runs the body with standard error captured, and restores it.
     *
     * @param body the code
     * @return what it wrote, UTF-8
     * @throws IOException if the body throws it
     */
    static String capture(Body body) throws IOException {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setErr(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
