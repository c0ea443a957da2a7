package ai.ttt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ttt} command line.
 *
 * <p>Exit codes: 0 success; 1 an input problem (missing or invalid file, bad value), reported as
 * one message; 2 a usage error (unknown flag, missing argument); 3 an unexpected internal error
 * (reported with its stack trace).
 */
@Command(
        name = "ttt",
        mixinStandardHelpOptions = true,
        version = "ttt 0.1.0 (TTT-E2E for DJL 0.35.1 / PyTorch 2.7.1)",
        description = "TTT-E2E language models on DJL: read, learn while reading, generate.",
        subcommands = {
            GenerateCommand.class,
            ChatCommand.class,
            ScoreCommand.class,
            ConvertCommand.class,
            InfoCommand.class,
            BenchCommand.class,
            TrainCommand.class,
            EvaluateCommand.class,
            CommandLine.HelpCommand.class
        })
public final class TttCommand implements Runnable {

    /** Exit code of an input problem. */
    public static final int EXIT_INPUT = 1;

    /** Exit code of an unexpected internal error. */
    public static final int EXIT_INTERNAL = 3;

    /** {@inheritDoc} */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                new CommandLine(this), "a subcommand is required (see ttt --help)");
    }

    /**
     * Runs the command.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * Runs the command and returns its exit code (for tests and embedding).
     *
     * @param args the arguments
     * @return the exit code
     */
    public static int execute(String... args) {
        quietDefaults();
        CommandLine cli = new CommandLine(new TttCommand());
        cli.setExecutionExceptionHandler(TttCommand::handle);
        return cli.execute(args);
    }

    /** Offline, and DJL's start-up chatter off, unless the user chose otherwise. */
    private static void quietDefaults() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        }
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parseResult) {
        PrintWriter err = cli.getErr();
        String name = cli.getCommandName();
        if (isUserError(e)) {
            err.println(name + ": " + describe(e));
            err.flush();
            return EXIT_INPUT;
        }
        err.println(name + ": internal error: " + e);
        e.printStackTrace(err);
        err.flush();
        return EXIT_INTERNAL;
    }

    private static boolean isUserError(Throwable e) {
        return e instanceof UserException
                || e instanceof IOException
                || e instanceof UncheckedIOException
                || e instanceof IllegalArgumentException;
    }

    /**
     * Describes a user error in one line (no stack trace).
     *
     * @param e the error
     * @return the message
     */
    static String describeError(Throwable e) {
        return describe(e);
    }

    private static String describe(Throwable e) {
        if (e instanceof NoSuchFileException) {
            String reason = ((NoSuchFileException) e).getReason();
            return "not found: "
                    + ((NoSuchFileException) e).getFile()
                    + (reason == null ? "" : " (" + reason + ")");
        }
        if (e instanceof FileSystemException) {
            FileSystemException f = (FileSystemException) e;
            return f.getFile()
                    + ": "
                    + (f.getReason() == null ? e.getClass().getSimpleName() : f.getReason());
        }
        if (e instanceof UncheckedIOException && e.getCause() != null) {
            return describe(e.getCause());
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
