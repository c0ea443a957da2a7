package ai.ttt.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * A Spark application that scores text files with {@link TttScorer} and writes the scores as
 * Parquet: the example for {@code spark-submit}.
 *
 * <pre>
 * spark-submit --class ai.ttt.spark.ScoreTextFiles ttt-spark/target/ttt-spark.jar \
 *     [--lines] [--model ID|DIR] [--no-ttt] [--token-nll] [--max-tokens N] [--partitions N] \
 *     INPUT OUTPUT
 * </pre>
 *
 * <p>INPUT is a file, folder or glob of UTF-8 text files (any path Spark reads); each file is one
 * document, or each line with {@code --lines}. OUTPUT (a folder, must not exist) receives Parquet
 * with the columns {@code path}, {@code text} (with {@code --lines} only), {@code score} and {@code
 * error} ({@link TttScorer}). The summary goes to standard output; the exit code is 0 on success, 2
 * for bad arguments.
 */
public final class ScoreTextFiles {

    private static final String USAGE =
            "usage: ScoreTextFiles [--lines] [--model ID|DIR] [--no-ttt] [--token-nll]"
                    + " [--max-tokens N] [--partitions N] INPUT OUTPUT";

    private ScoreTextFiles() {}

    /**
     * The command line, parsed.
     *
     * @param input the text files
     * @param output the Parquet folder
     * @param lines one document per line instead of per file
     * @param model zoo id or model directory
     * @param ttt learn while reading
     * @param tokenNll keep every token's NLL
     * @param maxTokens the token limit per document
     * @param partitions repartition to this many partitions (0: as read)
     */
    record Arguments(
            String input,
            String output,
            boolean lines,
            String model,
            boolean ttt,
            boolean tokenNll,
            int maxTokens,
            int partitions) {

        /**
         * Parses the command line.
         *
         * @param args the arguments
         * @return the parsed arguments
         * @throws IllegalArgumentException naming the problem
         */
        static Arguments parse(String[] args) {
            List<String> positional = new ArrayList<>();
            boolean lines = false;
            String model = TttTransformer.DEFAULT_MODEL;
            boolean ttt = true;
            boolean tokenNll = false;
            int maxTokens = TttTransformer.DEFAULT_MAX_TOKENS;
            int partitions = 0;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--lines":
                        lines = true;
                        break;
                    case "--no-ttt":
                        ttt = false;
                        break;
                    case "--token-nll":
                        tokenNll = true;
                        break;
                    case "--model":
                        model = value(args, ++i, "--model");
                        break;
                    case "--max-tokens":
                        maxTokens = positive(value(args, ++i, "--max-tokens"), "--max-tokens");
                        break;
                    case "--partitions":
                        partitions = positive(value(args, ++i, "--partitions"), "--partitions");
                        break;
                    default:
                        if (args[i].startsWith("--")) {
                            throw new IllegalArgumentException("unknown option " + args[i]);
                        }
                        positional.add(args[i]);
                }
            }
            if (positional.size() != 2) {
                throw new IllegalArgumentException(
                        "need INPUT and OUTPUT, got " + positional.size() + " paths");
            }
            return new Arguments(
                    positional.get(0),
                    positional.get(1),
                    lines,
                    model,
                    ttt,
                    tokenNll,
                    maxTokens,
                    partitions);
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }

        private static int positive(String value, String option) {
            try {
                int n = Integer.parseInt(value);
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(
                    option + " must be a positive integer, got " + value);
        }
    }

    /**
     * Runs the application.
     *
     * @param args see the class documentation
     */
    public static void main(String[] args) {
        Arguments a;
        try {
            a = Arguments.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ScoreTextFiles: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        SparkSession spark = SparkSession.builder().appName("ttt-score-text-files").getOrCreate();
        try {
            run(spark, a);
        } finally {
            spark.stop();
        }
    }

    /**
     * Scores the files and writes the Parquet output.
     *
     * @param spark the session
     * @param a the arguments
     * @return the number of documents and of documents with an error
     */
    static long[] run(SparkSession spark, Arguments a) {
        long start = System.nanoTime();
        Dataset<Row> text =
                spark.read()
                        .option("wholetext", !a.lines())
                        .text(a.input())
                        .withColumn("path", functions.input_file_name());
        if (a.partitions() > 0) {
            text = text.repartition(a.partitions());
        }
        TttScorer scorer =
                new TttScorer()
                        .setInputCol("value")
                        .setModel(a.model())
                        .setTtt(a.ttt())
                        .setIncludeTokenNll(a.tokenNll())
                        .setMaxTokens(a.maxTokens());
        Dataset<Row> scored = scorer.transform(text);
        Dataset<Row> output =
                a.lines()
                        ? scored.select("path", "value", "score", "error")
                                .withColumnRenamed("value", "text")
                        : scored.select("path", "score", "error");
        output.write().parquet(a.output());
        Dataset<Row> written = spark.read().parquet(a.output());
        Row summary =
                written.agg(
                                functions.count(functions.lit(1)),
                                functions.count(functions.col("error")),
                                functions.avg(functions.col("score.mean_nll")),
                                functions.sum(functions.col("score.tokens")))
                        .first();
        long documents = summary.getLong(0);
        long errors = summary.getLong(1);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "scored %d documents (%d with errors, %s tokens) in %.1f s: %.2f documents/s;"
                        + " mean NLL per document %s; written to %s%n",
                documents,
                errors,
                summary.isNullAt(3) ? "0" : Long.toString(summary.getLong(3)),
                seconds,
                documents / seconds,
                summary.isNullAt(2)
                        ? "-"
                        : String.format(Locale.ROOT, "%.4f", summary.getDouble(2)),
                a.output());
        return new long[] {documents, errors};
    }
}
