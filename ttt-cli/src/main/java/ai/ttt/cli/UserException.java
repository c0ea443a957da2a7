package ai.ttt.cli;

/** A mistake in what the user asked for; printed as a message, never as a stack trace. */
public class UserException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong and, where it helps, what to do
     */
    public UserException(String message) {
        super(message);
    }
}
