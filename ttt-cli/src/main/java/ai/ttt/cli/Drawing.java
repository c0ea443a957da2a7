package ai.ttt.cli;

import java.io.IOException;

/**
 * Plots where Java can draw, a warning where it cannot: a runtime without {@code java.desktop},
 * such as the GPU kit's, still writes a command's numbers (tables, JSON, CSV) and only skips the
 * PNG.
 */
final class Drawing {

    /** Draws and writes plots. */
    @FunctionalInterface
    interface Plotting {
        /**
         * Draws.
         *
         * @throws IOException if a plot cannot be written
         */
        void draw() throws IOException;
    }

    private Drawing() {}

    /**
     * Draws, or warns on standard error when this runtime has no AWT.
     *
     * @param command the command, for the message, e.g. {@code ttt bench}
     * @param later how to get the plots afterwards, for the message
     * @param plotting the drawing
     * @return whether the plots were drawn
     * @throws IOException if a plot cannot be written
     */
    static boolean orWarn(String command, String later, Plotting plotting) throws IOException {
        try {
            plotting.draw();
            return true;
        } catch (Error e) {
            // No java.awt types named here: this class must load where java.desktop is absent.
            boolean cannotDraw =
                    e instanceof LinkageError || e.getClass().getName().startsWith("java.awt.");
            if (!cannotDraw) {
                throw e;
            }
            System.err.println(command + ": no plots (" + e + "); " + later);
            return false;
        }
    }
}
