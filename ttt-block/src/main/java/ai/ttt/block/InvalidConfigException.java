package ai.ttt.block;

/** A {@code config.json} that breaks a rule; the message names the key, the value and the rule. */
public class InvalidConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, naming the key and value
     */
    public InvalidConfigException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what is wrong, naming the key and value
     * @param cause the cause
     */
    public InvalidConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
