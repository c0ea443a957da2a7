package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.ttt.block.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code java -jar ttt-cli/target/ttt.jar} in a separate process, as a user does (so the
 * shaded jar's merged service files are tested too). The jar is built by {@code mvn verify} (or
 * {@code mvn package}) before this module's tests run.
 */
final class TttJar {

    private TttJar() {}

    /** What a run printed and returned. */
    record Run(int exit, String out, String err) {
        String all() {
            return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    /**
     * Returns the shaded jar, failing the test if it has not been built.
     *
     * @return the jar
     */
    static Path jar() {
        Path jar = Fixtures.root().getParent().resolve("ttt-cli/target/ttt.jar");
        assertTrue(
                Files.isRegularFile(jar),
                jar + " is missing: build it first (mvn verify, or mvn -DskipTests package)");
        return jar;
    }

    /**
     * Runs the command and waits for it.
     *
     * @param workDir the working directory
     * @param stdin what to type, or null
     * @param timeoutSeconds how long it may take (a hang fails the test)
     * @param args the arguments
     * @return what it printed and returned
     * @throws Exception if it cannot be run or does not finish in time
     */
    static Run run(Path workDir, String stdin, long timeoutSeconds, String... args)
            throws Exception {
        return run(workDir, stdin, timeoutSeconds, Map.of(), args);
    }

    /**
     * Runs the command with extra environment variables and waits for it.
     *
     * @param workDir the working directory
     * @param stdin what to type, or null
     * @param timeoutSeconds how long it may take (a hang fails the test)
     * @param environment variables added to the command's environment
     * @param args the arguments
     * @return what it printed and returned
     * @throws Exception if it cannot be run or does not finish in time
     */
    static Run run(
            Path workDir,
            String stdin,
            long timeoutSeconds,
            Map<String, String> environment,
            String... args)
            throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx2g");
        command.add("-jar");
        command.add(jar().toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
        pb.environment().remove("TTT_PROGRESS");
        pb.environment().remove("TTT_PROGRESS_SECONDS");
        pb.environment().putAll(environment);
        Process p = pb.start();
        CompletableFuture<String> out = read(p.getInputStream());
        CompletableFuture<String> err = read(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(
                    "ttt "
                            + String.join(" ", args)
                            + " did not finish in "
                            + timeoutSeconds
                            + " s");
        }
        return new Run(p.exitValue(), out.get(), err.get());
    }

    private static CompletableFuture<String> read(InputStream s) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return new String(s.readAllBytes(), StandardCharsets.UTF_8);
                    } catch (IOException e) {
                        return e.toString();
                    }
                });
    }
}
