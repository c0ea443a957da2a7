package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * What Maven Central needs of every published module, as {@code mvn -B verify} builds it (this
 * module runs last in the reactor, after every other module's {@code package}): a {@code -sources}
 * and a {@code -javadoc} jar with content, and the POM's licence, SCM and developers sections.
 */
class PublishedArtifactsTest {

    private static final Path ROOT =
            Paths.get(System.getProperty("basedir", ".")).resolve("..").normalize();

    static List<String> publishedModules() throws IOException {
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        List<String> modules = new ArrayList<>();
        Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(pom);
        while (m.find()) {
            if (!m.group(1).equals("integration-tests")) {
                modules.add(m.group(1));
            }
        }
        return modules;
    }

    @Test
    void everyPublishedModuleHasSourcesAndJavadocJars() throws IOException {
        String version = version();
        List<String> missing = new ArrayList<>();
        List<String> modules = publishedModules();
        assertTrue(modules.size() >= 7, "modules: " + modules);
        for (String module : modules) {
            for (String classifier : List.of("sources", "javadoc")) {
                Path jar =
                        ROOT.resolve(module)
                                .resolve("target")
                                .resolve(module + "-" + version + "-" + classifier + ".jar");
                if (!Files.isRegularFile(jar)) {
                    missing.add(jar.toString());
                    continue;
                }
                String wanted = classifier.equals("sources") ? ".java" : ".html";
                try (ZipFile zip = new ZipFile(jar.toFile())) {
                    if (zip.stream().noneMatch(e -> e.getName().endsWith(wanted))) {
                        missing.add(jar + " (no " + wanted + " inside)");
                    }
                }
            }
        }
        assertTrue(missing.isEmpty(), "missing: " + missing);
    }

    @Test
    void thePomHasLicenceScmAndDevelopers() throws IOException {
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        for (String section :
                List.of("<licenses>", "<license>", "<scm>", "<connection>", "<developers>")) {
            assertTrue(pom.contains(section), "pom.xml has no " + section);
        }
    }

    private static String version() throws IOException {
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        Matcher m =
                Pattern.compile("<artifactId>ttt-parent</artifactId>\\s*<version>([^<]+)</version>")
                        .matcher(pom);
        assertTrue(m.find(), "no version in pom.xml");
        return m.group(1);
    }
}
