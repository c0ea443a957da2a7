package ai.ttt.it;

import ai.ttt.cli.TttCommand;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * {@code ttt} run in this JVM through {@link TttCommand#execute}, with standard input given and
 * standard output and error captured: the commands' own code, without the minutes a JVM per command
 * would cost ({@link CliTest} runs the shaded jar as a user does).
 *
 * @param code the exit code
 * @param out standard output
 * @param err standard error
 */
record InProcessCli(int code, String out, String err) {

    /** Runs {@code ttt args} with empty standard input. */
    static InProcessCli run(String... args) {
        return withInput("", args);
    }

    /** Runs {@code ttt args} reading {@code stdin}. Serialised: the streams are the JVM's. */
    static synchronized InProcessCli withInput(String stdin, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        InputStream in = System.in;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = TttCommand.execute(args);
            System.out.flush();
            return new InProcessCli(
                    code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(in);
            System.setOut(out);
            System.setErr(err);
        }
    }
}
