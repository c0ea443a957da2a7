package ai.ttt.cli;

import ai.djl.repository.zoo.ZooModel;
import ai.ttt.block.io.TextFiles;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.translators.GenerationOptions;
import ai.ttt.translators.TttModels;
import ai.ttt.translators.TttSession;
import ai.ttt.translators.TttTokenizer;
import ai.ttt.zoo.TttModelZoo;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ttt chat}: an interactive conversation over a {@link TttSession}, which reads (and learns)
 * everything said and can be saved and restored. Reads standard input line by line, so a script can
 * drive it.
 */
@Command(
        name = "chat",
        mixinStandardHelpOptions = true,
        description = {
            "Talk with a model that keeps learning: the session reads every line and reply into"
                    + " its fast weights.",
            "Each input line is read (with a newline) and answered; replies stop at a newline"
                    + " unless --stop is given.",
            "Commands: /ingest FILE (read a document), /save DIR, /load DIR, /reset, /help, /quit."
        })
public final class ChatCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;

    @Mixin GenerationFlags flags;

    @Option(
            names = "--ingest",
            paramLabel = "FILE",
            description = "Read a UTF-8 document into the session before the conversation.")
    Path ingest;

    private PrintStream out;
    private TttLanguageModel model;
    private TttTokenizer tokenizer;
    private TttSession session;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        GenerationOptions options = flags.options(List.of("\n"));
        out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String ingestText = ingest == null ? null : TextFiles.readUtf8(ingest);
        try (ZooModel<String, String> zoo =
                ModelLoading.load(modelOptions, String.class, String.class, flags.arguments())) {
            model = TttModels.languageModel(zoo.getBlock());
            tokenizer = TttModels.loadTokenizer(zoo);
            session = TttSession.create(model, tokenizer, options.testTimeTraining());
            try {
                if (ingestText != null) {
                    read(ingest, ingestText);
                }
                status(
                        "chat with "
                                + (modelOptions.model == null
                                        ? "the embedded default model "
                                                + TttModelZoo.DEFAULT_MODEL_DESCRIPTION
                                        : modelOptions.model.toString())
                                + "; /help for commands");
                converse(options);
            } finally {
                session.close();
            }
        }
        return 0;
    }

    private void converse(GenerationOptions options) throws IOException {
        BufferedReader in =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        boolean interactive = System.console() != null;
        while (true) {
            if (interactive) {
                out.print("> ");
                out.flush();
            }
            String line = in.readLine();
            if (line == null) {
                return;
            }
            String trimmed = line.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.startsWith("/")) {
                if (!command(trimmed)) {
                    return;
                }
                continue;
            }
            session.generate(
                    line + "\n",
                    options,
                    piece -> {
                        out.print(piece);
                        out.flush();
                    });
            out.println();
        }
    }

    /** Runs a slash command; returns false to end the conversation. */
    private boolean command(String line) {
        int space = line.indexOf(' ');
        String name = space < 0 ? line : line.substring(0, space);
        String arg = space < 0 ? "" : line.substring(space + 1).trim();
        try {
            switch (name) {
                case "/quit":
                case "/exit":
                    return false;
                case "/help":
                    status(
                            "/ingest FILE  read a document into the session\n"
                                    + "/save DIR     save the session\n"
                                    + "/load DIR     continue a saved session\n"
                                    + "/reset        forget everything\n"
                                    + "/quit         leave");
                    return true;
                case "/reset":
                    session.reset();
                    status("session reset");
                    return true;
                case "/save":
                    session.save(Paths.get(requireArg(name, arg)));
                    status("saved to " + arg + " (" + session.position() + " tokens read)");
                    return true;
                case "/load":
                    TttSession loaded =
                            TttSession.load(model, tokenizer, Paths.get(requireArg(name, arg)));
                    session.close();
                    session = loaded;
                    status("loaded " + arg + " (" + session.position() + " tokens read)");
                    return true;
                case "/ingest":
                    Path file = Paths.get(requireArg(name, arg));
                    read(file, TextFiles.readUtf8(file));
                    return true;
                default:
                    error("unknown command " + name + " (try /help)");
                    return true;
            }
        } catch (IOException | RuntimeException e) {
            error(TttCommand.describeError(e));
            return true;
        }
    }

    private void read(Path file, String text) {
        long before = session.position();
        long total = tokenizer.encode(text).length;
        try (Progress progress = Progress.tokens("reading " + file.getFileName(), total)) {
            session.ingest(text, (done, all) -> progress.stepTo(done));
        }
        status("read " + (session.position() - before) + " tokens from " + file);
    }

    private static String requireArg(String command, String arg) {
        if (arg.isEmpty()) {
            throw new UserException(command + " needs a path");
        }
        return arg;
    }

    private static void status(String message) {
        System.err.println("(" + message + ")");
    }

    private static void error(String message) {
        System.err.println("error: " + message);
    }
}
