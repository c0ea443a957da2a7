package ai.ttt.cli;

import ai.djl.Device;
import ai.djl.repository.zoo.ZooModel;
import ai.ttt.block.TttConfig;
import ai.ttt.block.io.AtomicWriter;
import ai.ttt.block.io.TextFiles;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.train.Plots;
import ai.ttt.translators.ScoreResult;
import ai.ttt.translators.TttModels;
import ai.ttt.zoo.TttModelZoo;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ttt evaluate}: one long text scored as one document by several models, each with and
 * without test-time training; a table of mean NLL, JSON, and a PNG of NLL against position.
 */
@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        description =
                "Score one text as one document with several models, with and without test-time training: table, JSON and a PNG of NLL against position.")
public final class EvaluateCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;

    @Option(
            names = "--models",
            required = true,
            split = ",",
            paramLabel = "DIR|ID",
            description = "Models to compare: model directories or zoo ids (ai.ttt:kjv-5m).")
    List<String> models;

    @Option(
            names = "--labels",
            split = ",",
            description = "Names of the models in the table and plot (default: directory names).")
    List<String> labels;

    @Option(
            names = "--text",
            required = true,
            paramLabel = "FILE",
            description = "The document (UTF-8).")
    Path text;

    @Option(
            names = "--output",
            required = true,
            paramLabel = "DIR",
            description = "Where evaluate.json and evaluate.png go.")
    Path output;

    @Option(
            names = "--bin",
            defaultValue = "2048",
            description =
                    "Tokens per point of the plot (mean NLL of each bin). Default: ${DEFAULT-VALUE}.")
    int bin;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        if (labels != null && labels.size() != models.size()) {
            throw new UserException("--labels needs one name per model (" + models.size() + ")");
        }
        String document = TextFiles.readUtf8(text);
        if (document.isEmpty()) {
            throw new UserException(text + ": empty text");
        }
        if (bin < 1) {
            throw new UserException("--bin " + bin + " must be positive");
        }
        Files.createDirectories(output);
        Device device = modelOptions.device();
        JsonObject report = new JsonObject();
        report.addProperty("text", text.toString());
        Map<String, double[]> curves = new LinkedHashMap<>();
        List<String> rows = new ArrayList<>();
        int points = Integer.MAX_VALUE;
        for (int i = 0; i < models.size(); i++) {
            String modelName = models.get(i);
            String label = labels != null ? labels.get(i) : defaultLabel(modelName);
            try (ZooModel<String, ScoreResult> zoo =
                    ModelLoading.load(
                            modelName, modelOptions, String.class, ScoreResult.class, Map.of())) {
                TttLanguageModel model = TttModels.languageModel(zoo.getBlock());
                TttConfig config = model.config();
                long[] ids = TttModels.encodeStart(TttModels.loadTokenizer(zoo), config, document);
                boolean[] modes =
                        config.numPrimeLayers() > 0
                                ? new boolean[] {true, false}
                                : new boolean[] {false};
                for (boolean ttt : modes) {
                    JsonObject scored = ScoreCommand.score(model, ids, ttt);
                    String name =
                            label
                                    + (config.numPrimeLayers() > 0
                                            ? (ttt ? " (TTT)" : " (no TTT)")
                                            : " (S = 0)");
                    JsonArray nll = scored.getAsJsonArray("token_nll");
                    double[] binned = new double[(nll.size() + bin - 1) / bin];
                    for (int b = 0; b < binned.length; b++) {
                        double sum = 0;
                        int n = 0;
                        for (int t = b * bin; t < Math.min(nll.size(), (b + 1) * bin); t++) {
                            sum += nll.get(t).getAsDouble();
                            n++;
                        }
                        binned[b] = sum / n;
                    }
                    points = Math.min(points, binned.length);
                    curves.put(name, binned);
                    double mean = scored.get("mean_nll").getAsDouble();
                    rows.add(
                            String.format(
                                    Locale.ROOT,
                                    "%-40s %10.4f %10.4f",
                                    name,
                                    mean,
                                    mean / Math.log(2)));
                    JsonObject entry = new JsonObject();
                    entry.addProperty("model", modelName);
                    entry.addProperty("test_time_training", ttt);
                    entry.addProperty("tokens", scored.get("tokens").getAsInt()); // scored tokens
                    entry.addProperty("mean_nll", mean);
                    JsonArray b = new JsonArray();
                    for (double v : binned) {
                        b.add(v);
                    }
                    entry.add("binned_nll", b);
                    report.add(name, entry);
                }
            }
        }
        System.out.printf("%-40s %10s %10s%n", "model", "NLL (nats)", "bits/token");
        rows.forEach(System.out::println);
        double[] x = new double[points];
        for (int b = 0; b < points; b++) {
            x[b] = (b + 0.5) * bin;
        }
        Map<String, double[]> trimmed = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : curves.entrySet()) {
            trimmed.put(e.getKey(), java.util.Arrays.copyOf(e.getValue(), points));
        }
        AtomicWriter.writeString(
                output.resolve("evaluate.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(report) + "\n");
        Drawing.orWarn(
                "ttt evaluate",
                "the curves are in " + output.resolve("evaluate.json"),
                () ->
                        Plots.line(
                                output.resolve("evaluate.png"),
                                "NLL against position: " + text.getFileName(),
                                "token position",
                                "mean NLL per " + bin + " tokens (nats)",
                                x,
                                trimmed));
        return 0;
    }

    /** A zoo id labels itself; a directory by its name. */
    private static String defaultLabel(String model) {
        if (TttModelZoo.isZooId(model)) {
            return model;
        }
        return Paths.get(model).getFileName().toString();
    }
}
