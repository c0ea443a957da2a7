package ai.ttt.spark;

/** Turns an exception into the sentence an error column holds. */
final class Errors {

    private Errors() {}

    /**
     * Describes an exception by its most specific message.
     *
     * @param e the exception
     * @return the deepest cause's message, or its class name when it has none
     */
    static String describe(Throwable e) {
        Throwable most = e;
        int depth = 0;
        for (Throwable c = e.getCause(); c != null && depth < 32; c = c.getCause(), depth++) {
            if (c.getMessage() != null) {
                most = c;
            }
        }
        return most.getMessage() == null ? most.getClass().getSimpleName() : most.getMessage();
    }
}
