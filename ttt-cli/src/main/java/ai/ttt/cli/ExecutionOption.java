package ai.ttt.cli;

import ai.ttt.block.engine.StateOptions.Execution;
import java.util.Locale;

/** The {@code --execution} option: one reading of its values for every command. */
final class ExecutionOption {

    private ExecutionOption() {}

    /**
     * Returns the execution an {@code --execution} value names.
     *
     * @param name {@code program} or {@code plain}, any case
     * @return the execution
     * @throws UserException naming the value when it is neither
     */
    static Execution parse(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "program":
                return Execution.PROGRAM;
            case "plain":
                return Execution.PLAIN;
            default:
                throw new UserException("--execution " + name + " must be program or plain");
        }
    }
}
