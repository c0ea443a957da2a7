package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java is tested: every {@code ```java} block of README.md is compiled in-process
 * (javax.tools, against this module's test class path) and run against the embedded models,
 * offline.
 *
 * <p>Rules the README follows, so that a snippet runs as written:
 *
 * <ul>
 *   <li>a snippet is the body of a method: statements, no imports (the test imports DJL's {@code
 *       ai.djl}, {@code ai.djl.inference}, {@code ai.djl.modality}, {@code ai.djl.repository.zoo},
 *       the project's {@code ai.ttt.translators}, {@code ai.ttt.zoo}, {@code ai.ttt.block.nn},
 *       {@code java.nio.file} and {@code java.util});
 *   <li>a relative file name, {@code Paths.get("name")}, is resolved in a scratch directory holding
 *       {@code my-model} (the converted tiny test model) and {@code manual.txt} (a short text);
 *   <li>a snippet that cannot run here starts with the comment {@value #NOT_RUN} followed by the
 *       reason; it is neither compiled nor run, and the reason is printed.
 * </ul>
 */
class ReadmeSnippetsTest {

    /** The comment that exempts a snippet, followed by why it cannot run offline here. */
    static final String NOT_RUN = "// not run by the README test:";

    private static final Pattern JAVA_BLOCK =
            Pattern.compile("(?m)^( *)```java\\n(.*?)^\\1```$", Pattern.DOTALL);

    private static final String IMPORTS =
            String.join(
                    "\n",
                    "import ai.djl.*;",
                    "import ai.djl.inference.*;",
                    "import ai.djl.modality.*;",
                    "import ai.djl.repository.zoo.*;",
                    "import ai.ttt.block.nn.TttLanguageModel;",
                    "import ai.ttt.translators.*;",
                    "import ai.ttt.zoo.*;",
                    "import java.nio.file.*;",
                    "import java.util.*;",
                    "");

    @TempDir static Path tmp;

    /** One snippet of the README, by the line its block starts on. */
    record Snippet(int line, String code) {
        String className() {
            return "ReadmeLine" + line;
        }

        String notRunReason() {
            String first = code.strip().lines().findFirst().orElse("");
            return first.startsWith(NOT_RUN) ? first.substring(NOT_RUN.length()).strip() : null;
        }
    }

    static List<Snippet> snippets(String readme) {
        List<Snippet> out = new ArrayList<>();
        Matcher m = JAVA_BLOCK.matcher(readme);
        while (m.find()) {
            int line =
                    1 + (int) readme.substring(0, m.start()).chars().filter(c -> c == '\n').count();
            String indent = m.group(1);
            StringBuilder code = new StringBuilder();
            for (String l : m.group(2).split("\n", -1)) {
                code.append(l.startsWith(indent) ? l.substring(indent.length()) : l).append('\n');
            }
            out.add(new Snippet(line, code.toString()));
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> everyJavaSnippetOfTheReadmeCompilesAndRuns() throws Exception {
        assertEquals(
                "true",
                System.getProperty("ai.djl.offline"),
                "the README snippets must run offline");
        Path readme = Paths.get(System.getProperty("basedir", ".")).resolve("../README.md");
        String text = Files.readString(readme.normalize(), StandardCharsets.UTF_8);
        List<Snippet> all = snippets(text);
        List<Snippet> runnable = all.stream().filter(s -> s.notRunReason() == null).toList();
        assertTrue(
                runnable.size() >= 7, "the README has " + runnable.size() + " runnable snippets");

        Path root = tmp.resolve("files");
        Files.createDirectories(root);
        TestModels.convertTiny(root.resolve("my-model"));
        Files.writeString(
                root.resolve("manual.txt"),
                "To reset the device, hold the power button for ten seconds.\n");
        ClassLoader loader = compile(runnable, root, tmp.resolve("classes"));

        return all.stream()
                .map(
                        s ->
                                DynamicTest.dynamicTest(
                                        "README.md line " + s.line(),
                                        () -> {
                                            if (s.notRunReason() != null) {
                                                System.out.println(
                                                        "README.md line "
                                                                + s.line()
                                                                + " not run: "
                                                                + s.notRunReason());
                                                return;
                                            }
                                            run(loader, s);
                                        }));
    }

    private static void run(ClassLoader loader, Snippet s) throws Exception {
        Method m = loader.loadClass(s.className()).getMethod("run");
        try {
            m.invoke(null);
        } catch (InvocationTargetException e) {
            throw new AssertionError(
                    "README.md line " + s.line() + " failed: " + e.getCause(), e.getCause());
        }
    }

    /** Compiles every snippet as the body of {@code static void run()} of its own class. */
    private static ClassLoader compile(List<Snippet> snippets, Path root, Path out)
            throws IOException {
        Path src = out.resolveSibling("sources");
        Files.createDirectories(src);
        Files.createDirectories(out);
        List<Path> files = new ArrayList<>();
        String rootLiteral = root.toString().replace("\\", "\\\\").replace("\"", "\\\"");
        for (Snippet s : snippets) {
            String body = s.code().replace("Paths.get(\"", "Paths.get(ROOT, \"");
            String source =
                    IMPORTS
                            + "\npublic class "
                            + s.className()
                            + " {\n  static final String ROOT = \""
                            + rootLiteral
                            + "\";\n  public static void run() throws Exception {\n"
                            + body
                            + "\n  }\n}\n";
            files.add(Files.writeString(src.resolve(s.className() + ".java"), source));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        StringWriter log = new StringWriter();
        try (StandardJavaFileManager fm =
                javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            String classPath =
                    System.getProperty(
                            "surefire.test.class.path", System.getProperty("java.class.path"));
            boolean ok =
                    javac.getTask(
                                    log,
                                    fm,
                                    diagnostics,
                                    List.of(
                                            "-classpath",
                                            classPath,
                                            "-d",
                                            out.toString(),
                                            "-proc:none",
                                            "-Xlint:none"),
                                    null,
                                    fm.getJavaFileObjectsFromPaths(files))
                            .call();
            if (!ok) {
                StringBuilder why = new StringBuilder("README snippets do not compile:\n");
                diagnostics
                        .getDiagnostics()
                        .forEach(
                                d ->
                                        why.append(
                                                        d.getSource() == null
                                                                ? ""
                                                                : Paths.get(d.getSource().toUri())
                                                                        .getFileName())
                                                .append(':')
                                                .append(d.getLineNumber())
                                                .append(": ")
                                                .append(d.getMessage(Locale.ROOT))
                                                .append('\n'));
                fail(why.append(log).toString());
            }
        }
        return new URLClassLoader(
                new URL[] {out.toUri().toURL()}, ReadmeSnippetsTest.class.getClassLoader());
    }
}
