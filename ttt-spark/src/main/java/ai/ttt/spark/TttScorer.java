package ai.ttt.spark;

import ai.ttt.translators.ScoreResult;
import ai.ttt.translators.TttModels;
import ai.ttt.translators.TttSession;
import java.io.Serializable;
import java.util.Iterator;
import java.util.Locale;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Scores the documents of a text column: how well a TTT-E2E model predicts each one, read from its
 * start with test-time training ({@code ttt=true}, the default) or with the fast weights frozen.
 *
 * <p>Output column ({@code outputCol}, default {@code score}), a struct, null for a row with an
 * error:
 *
 * <table>
 *   <caption>The score struct</caption>
 *   <tr><th>field</th><th>type</th><th>meaning</th></tr>
 *   <tr><td>{@value #MEAN_NLL}</td><td>double</td><td>mean negative log-likelihood per scored
 *       token, in nats: the float NLLs summed in double precision, in order, divided by {@value
 *       #TOKENS}, exactly as {@code ttt score} computes its {@code mean_nll}</td></tr>
 *   <tr><td>{@value #PERPLEXITY}</td><td>double</td><td>exp({@value #MEAN_NLL})</td></tr>
 *   <tr><td>{@value #TOKENS}</td><td>int</td><td>the number of scored tokens: every token of the
 *       text when the model has a BOS token (BOS itself is read, not scored), else all but the
 *       first</td></tr>
 *   <tr><td>{@value #TOKEN_NLL}</td><td>array&lt;float&gt;</td><td>only with {@code
 *       includeTokenNll=true}: the NLL of each scored token, in order ({@code [tokens]}), as
 *       {@code ttt score}'s {@code token_nll}</td></tr>
 * </table>
 *
 * <p>and the error column ({@code errorCol}, default {@code error}): null, or what is wrong with
 * the row: the text is null, empty, not valid UTF-8 (with the byte offset), has more than {@code
 * maxTokens} tokens, or too few tokens to score; a row whose scoring failed inside the model gets
 * the failure's message. Such rows never fail the job.
 *
 * <p>The input column ({@code inputCol}, default {@code text}) holds strings or UTF-8 bytes
 * (binary). Each document is read alone, from the start, by its own {@link TttSession}, in pieces
 * of eight mini-batches as {@code ttt score --text} reads it, so on the CPU in fp32 each row's
 * numbers are bitwise those of {@code ttt score} on that document, whatever the partitioning or the
 * number of executors. Memory per task does not grow with the document: one sequence state (fast
 * weights, the window's keys and values) plus the document's ids and per-token results.
 *
 * <p>Usable by class name ({@code ai.ttt.spark.TttScorer}) from Scala and PySpark, and in a {@code
 * Pipeline}; {@code save}/{@code load} store the params.
 */
public final class TttScorer extends TttTransformer<TttScorer> {

    private static final long serialVersionUID = 1L;

    /** Field of the score struct: mean NLL per scored token (nats). */
    public static final String MEAN_NLL = "mean_nll";

    /** Field of the score struct: exp(mean NLL). */
    public static final String PERPLEXITY = "perplexity";

    /** Field of the score struct: the number of scored tokens. */
    public static final String TOKENS = "tokens";

    /** Field of the score struct: each scored token's NLL. */
    public static final String TOKEN_NLL = "token_nll";

    private static final String TEXT_BYTES = HIDDEN_PREFIX + "text_bytes";

    private static final DefaultParamsReadable<TttScorer> READER = new DefaultParamsReadable<>() {};

    private final Param<String> inputCol;
    private final BooleanParam includeTokenNll;

    /** Creates a scorer with a random uid. */
    public TttScorer() {
        this(Identifiable.randomUID("tttScorer"));
    }

    /**
     * Creates a scorer (Spark calls this when it copies or loads one).
     *
     * @param uid the unique id
     */
    public TttScorer(String uid) {
        super(uid, "score");
        inputCol = new Param<>(this, "inputCol", "text column: string or UTF-8 binary");
        includeTokenNll =
                new BooleanParam(
                        this,
                        "includeTokenNll",
                        "whether the score struct carries every token's NLL (" + TOKEN_NLL + ")");
        setDefault(inputCol, "text");
        setDefault(includeTokenNll, false);
    }

    /** {@inheritDoc} */
    @Override
    protected TttScorer self() {
        return this;
    }

    /**
     * The text column.
     *
     * @return the param
     */
    public Param<String> inputCol() {
        return inputCol;
    }

    /**
     * Returns the text column.
     *
     * @return its name
     */
    public String getInputCol() {
        return getOrDefault(inputCol);
    }

    /**
     * Sets the text column: strings, or UTF-8 bytes.
     *
     * @param value its name
     * @return this scorer
     */
    public TttScorer setInputCol(String value) {
        set(inputCol, value);
        return this;
    }

    /**
     * Whether the score carries per-token NLLs.
     *
     * @return the param
     */
    public BooleanParam includeTokenNll() {
        return includeTokenNll;
    }

    /**
     * Returns whether the score carries per-token NLLs.
     *
     * @return the setting
     */
    public boolean getIncludeTokenNll() {
        return (Boolean) getOrDefault(includeTokenNll);
    }

    /**
     * Sets whether the score struct carries {@value #TOKEN_NLL}, every scored token's NLL (4 bytes
     * per token).
     *
     * @param value the setting
     * @return this scorer
     */
    public TttScorer setIncludeTokenNll(boolean value) {
        set(includeTokenNll, value);
        return this;
    }

    /**
     * Returns the type of the score struct.
     *
     * @param withTokenNll whether it has {@value #TOKEN_NLL}
     * @return {@value #MEAN_NLL} double, {@value #PERPLEXITY} double, {@value #TOKENS} int, and
     *     optionally {@value #TOKEN_NLL} array&lt;float&gt;
     */
    public static StructType scoreType(boolean withTokenNll) {
        StructType type =
                new StructType()
                        .add(MEAN_NLL, DataTypes.DoubleType, false)
                        .add(PERPLEXITY, DataTypes.DoubleType, false)
                        .add(TOKENS, DataTypes.IntegerType, false);
        return withTokenNll
                ? type.add(TOKEN_NLL, DataTypes.createArrayType(DataTypes.FloatType, false), false)
                : type;
    }

    /** {@inheritDoc} */
    @Override
    public StructType transformSchema(StructType schema) {
        requireTextColumn(schema, getInputCol(), "inputCol");
        return withOutputColumns(schema, scoreType(getIncludeTokenNll()));
    }

    /** {@inheritDoc} */
    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType output = transformSchema(dataset.schema());
        Settings settings =
                new Settings(
                        modelRequest(),
                        getTtt(),
                        getMaxTokens(),
                        getIncludeTokenNll(),
                        getInputCol(),
                        dataset.schema().size());
        Dataset<Row> withBytes =
                dataset.toDF()
                        .withColumn(
                                TEXT_BYTES, dataset.col(getInputCol()).cast(DataTypes.BinaryType));
        return withBytes.mapPartitions(new Partition(settings), Encoders.row(output));
    }

    /**
     * Returns the reader that {@code TttScorer.load(path)} uses.
     *
     * @return the reader
     */
    public static MLReader<TttScorer> read() {
        return READER.read();
    }

    /**
     * Loads a scorer saved with {@code save(path)}.
     *
     * @param path where it was saved
     * @return the scorer, with its params
     */
    public static TttScorer load(String path) {
        return READER.load(path);
    }

    /**
     * What each task needs to know, shipped from the driver.
     *
     * @param model what to load
     * @param ttt learn while reading
     * @param maxTokens the token limit per row
     * @param includeTokenNll whether to return per-token NLLs
     * @param inputCol the text column's name (for error messages)
     * @param dataColumns the input's columns; the text's bytes follow them
     */
    record Settings(
            ModelRequest model,
            boolean ttt,
            int maxTokens,
            boolean includeTokenNll,
            String inputCol,
            int dataColumns)
            implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** Scores the rows of one partition. */
    static final class Partition implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final Settings settings;

        Partition(Settings settings) {
            this.settings = settings;
        }

        /** {@inheritDoc} */
        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            return new PartitionRows(rows, settings.model(), "TttScorer", this::score);
        }

        private Row score(SharedModel.Lease model, PartitionProgress progress, Row row) {
            int n = settings.dataColumns();
            InputText input = InputText.decode((byte[]) row.get(n), settings.inputCol(), false);
            Row score = null;
            String error = input.error();
            long tokens = 0;
            if (input.ok()) {
                long[] ids = TttModels.encodeStart(model.tokenizer(), model.config(), input.text());
                if (ids.length > settings.maxTokens()) {
                    error =
                            String.format(
                                    Locale.ROOT,
                                    "%s has %,d tokens, more than maxTokens (%,d)",
                                    settings.inputCol(),
                                    ids.length,
                                    settings.maxTokens());
                } else if (ids.length < 2) {
                    error =
                            String.format(
                                    Locale.ROOT,
                                    "%s has too few tokens to score: %d (BOS counts), need 2",
                                    settings.inputCol(),
                                    ids.length);
                } else {
                    progress.starting(ids.length);
                    try (TttSession session =
                            TttSession.create(
                                    model.languageModel(), model.tokenizer(), settings.ttt())) {
                        score = scoreRow(session.score(input.text()));
                        tokens = ids.length;
                    } catch (RuntimeException e) {
                        error = "scoring failed: " + Errors.describe(e);
                    }
                }
            }
            progress.finished(tokens, error != null);
            Object[] values = new Object[n + 2];
            for (int i = 0; i < n; i++) {
                values[i] = row.get(i);
            }
            values[n] = score;
            values[n + 1] = error;
            return RowFactory.create(values);
        }

        private Row scoreRow(ScoreResult r) {
            double mean = r.meanNll();
            return settings.includeTokenNll()
                    ? RowFactory.create(mean, r.perplexity(), r.size(), r.tokenNll())
                    : RowFactory.create(mean, r.perplexity(), r.size());
        }
    }
}
