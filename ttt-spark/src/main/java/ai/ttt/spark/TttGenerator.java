package ai.ttt.spark;

import ai.ttt.translators.GenerationOptions;
import ai.ttt.translators.SamplingOptions;
import ai.ttt.translators.TttModels;
import ai.ttt.translators.TttSession;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads each row's document into the fast weights, then continues the row's prompt: a document
 * column and a prompt column in, the generated text out.
 *
 * <p>Each row gets its own {@link TttSession}: the document is read (learned, with {@code
 * ttt=true}) from the start, then the prompt is read and the continuation sampled with the
 * generation params below, which are those of {@link GenerationOptions}. The same seed, params and
 * row give the same text on any executor, partitioning or run. With a byte-level tokenizer (as the
 * embedded models have) the result equals {@code ttt generate --seed S} given the document followed
 * by the prompt as one prompt; with another tokenizer the document and the prompt are tokenised
 * separately (a token never spans the boundary).
 *
 * <table>
 *   <caption>Generation params</caption>
 *   <tr><th>param</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code documentCol}</td><td>{@code document}</td><td>string or UTF-8 binary; null or
 *       empty is an error</td></tr>
 *   <tr><td>{@code promptCol}</td><td>{@code prompt}</td><td>string or UTF-8 binary; empty
 *       continues the document; null is an error</td></tr>
 *   <tr><td>{@code seedCol}</td><td>unset</td><td>an integer column of per-row seeds, instead of
 *       {@code seed}</td></tr>
 *   <tr><td>{@code outputCol}</td><td>{@code generated}</td><td>the continuation (string), without
 *       the prompt, a final EOS or a stop string</td></tr>
 *   <tr><td>{@code maxNewTokens}</td><td>64</td><td>at most this many new tokens</td></tr>
 *   <tr><td>{@code temperature}</td><td>1.0</td><td>0 = greedy</td></tr>
 *   <tr><td>{@code topK}</td><td>50</td><td>0 = off</td></tr>
 *   <tr><td>{@code topP}</td><td>1.0</td><td>1 = off</td></tr>
 *   <tr><td>{@code repetitionPenalty}</td><td>1.0</td><td>1 = off; applies to the last 256 tokens
 *       read and everything generated</td></tr>
 *   <tr><td>{@code seed}</td><td>0</td><td>the sampler's seed, the same for every row</td></tr>
 *   <tr><td>{@code stop}</td><td>none</td><td>stop strings: the text ends before the first</td></tr>
 * </table>
 *
 * <p>{@code maxTokens} limits the document's and prompt's tokens together (BOS included). The error
 * column names what is wrong with a row that cannot be read: a null or empty document, a null
 * prompt, text that is not valid UTF-8, a null seed, too many tokens; such rows never fail the job.
 */
public final class TttGenerator extends TttTransformer<TttGenerator> {

    private static final long serialVersionUID = 1L;

    private static final String DOCUMENT_BYTES = HIDDEN_PREFIX + "document_bytes";
    private static final String PROMPT_BYTES = HIDDEN_PREFIX + "prompt_bytes";
    private static final String ROW_SEED = HIDDEN_PREFIX + "seed";

    private static final DefaultParamsReadable<TttGenerator> READER =
            new DefaultParamsReadable<>() {};

    private final Param<String> documentCol;
    private final Param<String> promptCol;
    private final Param<String> seedCol;
    private final IntParam maxNewTokens;
    private final DoubleParam temperature;
    private final IntParam topK;
    private final DoubleParam topP;
    private final DoubleParam repetitionPenalty;
    private final LongParam seed;
    private final StringArrayParam stop;

    /** Creates a generator with a random uid. */
    public TttGenerator() {
        this(Identifiable.randomUID("tttGenerator"));
    }

    /**
     * Creates a generator (Spark calls this when it copies or loads one).
     *
     * @param uid the unique id
     */
    public TttGenerator(String uid) {
        super(uid, "generated");
        documentCol =
                new Param<>(
                        this, "documentCol", "document column, read first: string or UTF-8 binary");
        promptCol =
                new Param<>(this, "promptCol", "prompt column, continued: string or UTF-8 binary");
        seedCol = new Param<>(this, "seedCol", "optional integer column of per-row sampling seeds");
        maxNewTokens =
                new IntParam(
                        this,
                        "maxNewTokens",
                        "at most this many new tokens (>= 0)",
                        ParamValidators.gtEq(0));
        temperature =
                new DoubleParam(
                        this,
                        "temperature",
                        "sampling temperature, 0 = greedy (>= 0)",
                        ParamValidators.gtEq(0));
        topK =
                new IntParam(
                        this,
                        "topK",
                        "sample among the k most likely tokens, 0 = off (>= 0)",
                        ParamValidators.gtEq(0));
        topP =
                new DoubleParam(
                        this,
                        "topP",
                        "nucleus sampling threshold, 1 = off, in (0, 1]",
                        ParamValidators.inRange(0, 1, false, true));
        repetitionPenalty =
                new DoubleParam(
                        this,
                        "repetitionPenalty",
                        "penalty of tokens already seen, 1 = off (> 0)",
                        ParamValidators.gt(0));
        seed = new LongParam(this, "seed", "sampling seed: the same seed gives the same text");
        stop = new StringArrayParam(this, "stop", "stop strings: the text ends before the first");
        setDefault(documentCol, "document");
        setDefault(promptCol, "prompt");
        setDefault(maxNewTokens, GenerationOptions.DEFAULT_MAX_NEW_TOKENS);
        setDefault(temperature, SamplingOptions.DEFAULT_TEMPERATURE);
        setDefault(topK, SamplingOptions.DEFAULT_TOP_K);
        setDefault(topP, SamplingOptions.DEFAULT_TOP_P);
        setDefault(repetitionPenalty, SamplingOptions.DEFAULT_REPETITION_PENALTY);
        setDefault(seed, SamplingOptions.DEFAULT_SEED);
        setDefault(stop, new String[0]);
    }

    /** {@inheritDoc} */
    @Override
    protected TttGenerator self() {
        return this;
    }

    /**
     * The document column.
     *
     * @return the param
     */
    public Param<String> documentCol() {
        return documentCol;
    }

    /**
     * Returns the document column.
     *
     * @return its name
     */
    public String getDocumentCol() {
        return getOrDefault(documentCol);
    }

    /**
     * Sets the document column (strings or UTF-8 bytes), read into the fast weights first.
     *
     * @param value its name
     * @return this generator
     */
    public TttGenerator setDocumentCol(String value) {
        set(documentCol, value);
        return this;
    }

    /**
     * The prompt column.
     *
     * @return the param
     */
    public Param<String> promptCol() {
        return promptCol;
    }

    /**
     * Returns the prompt column.
     *
     * @return its name
     */
    public String getPromptCol() {
        return getOrDefault(promptCol);
    }

    /**
     * Sets the prompt column (strings or UTF-8 bytes), continued after the document.
     *
     * @param value its name
     * @return this generator
     */
    public TttGenerator setPromptCol(String value) {
        set(promptCol, value);
        return this;
    }

    /**
     * The optional per-row seed column.
     *
     * @return the param
     */
    public Param<String> seedCol() {
        return seedCol;
    }

    /**
     * Returns the per-row seed column.
     *
     * @return its name, or {@code null} when every row uses {@code seed}
     */
    public String getSeedCol() {
        return isDefined(seedCol) ? getOrDefault(seedCol) : null;
    }

    /**
     * Sets an integer column whose value seeds each row's sampler, instead of {@code seed}.
     *
     * @param value its name
     * @return this generator
     */
    public TttGenerator setSeedCol(String value) {
        set(seedCol, value);
        return this;
    }

    /**
     * The most new tokens.
     *
     * @return the param
     */
    public IntParam maxNewTokens() {
        return maxNewTokens;
    }

    /**
     * Returns the most new tokens.
     *
     * @return the limit
     */
    public int getMaxNewTokens() {
        return (Integer) getOrDefault(maxNewTokens);
    }

    /**
     * Sets the most new tokens per row (an EOS token counts).
     *
     * @param value the limit, &ge; 0
     * @return this generator
     */
    public TttGenerator setMaxNewTokens(int value) {
        set(maxNewTokens, value);
        return this;
    }

    /**
     * The sampling temperature.
     *
     * @return the param
     */
    public DoubleParam temperature() {
        return temperature;
    }

    /**
     * Returns the sampling temperature.
     *
     * @return the temperature
     */
    public double getTemperature() {
        return (Double) getOrDefault(temperature);
    }

    /**
     * Sets the sampling temperature (0 = greedy).
     *
     * @param value the temperature, &ge; 0
     * @return this generator
     */
    public TttGenerator setTemperature(double value) {
        set(temperature, value);
        return this;
    }

    /**
     * The top-k filter.
     *
     * @return the param
     */
    public IntParam topK() {
        return topK;
    }

    /**
     * Returns the top-k filter.
     *
     * @return k
     */
    public int getTopK() {
        return (Integer) getOrDefault(topK);
    }

    /**
     * Sets the top-k filter (0 = off).
     *
     * @param value k, &ge; 0
     * @return this generator
     */
    public TttGenerator setTopK(int value) {
        set(topK, value);
        return this;
    }

    /**
     * The nucleus threshold.
     *
     * @return the param
     */
    public DoubleParam topP() {
        return topP;
    }

    /**
     * Returns the nucleus threshold.
     *
     * @return p
     */
    public double getTopP() {
        return (Double) getOrDefault(topP);
    }

    /**
     * Sets the nucleus threshold (1 = off).
     *
     * @param value p in (0, 1]
     * @return this generator
     */
    public TttGenerator setTopP(double value) {
        set(topP, value);
        return this;
    }

    /**
     * The repetition penalty.
     *
     * @return the param
     */
    public DoubleParam repetitionPenalty() {
        return repetitionPenalty;
    }

    /**
     * Returns the repetition penalty.
     *
     * @return the penalty
     */
    public double getRepetitionPenalty() {
        return (Double) getOrDefault(repetitionPenalty);
    }

    /**
     * Sets the repetition penalty (1 = off).
     *
     * @param value the penalty, &gt; 0
     * @return this generator
     */
    public TttGenerator setRepetitionPenalty(double value) {
        set(repetitionPenalty, value);
        return this;
    }

    /**
     * The sampling seed.
     *
     * @return the param
     */
    public LongParam seed() {
        return seed;
    }

    /**
     * Returns the sampling seed.
     *
     * @return the seed
     */
    public long getSeed() {
        return (Long) getOrDefault(seed);
    }

    /**
     * Sets the sampling seed of every row (unless {@code seedCol} is set).
     *
     * @param value the seed
     * @return this generator
     */
    public TttGenerator setSeed(long value) {
        set(seed, value);
        return this;
    }

    /**
     * The stop strings.
     *
     * @return the param
     */
    public StringArrayParam stop() {
        return stop;
    }

    /**
     * Returns the stop strings.
     *
     * @return a copy
     */
    public String[] getStop() {
        return getOrDefault(stop).clone();
    }

    /**
     * Sets the stop strings: the text ends right before the first one generated.
     *
     * @param values non-empty strings
     * @return this generator
     */
    public TttGenerator setStop(String... values) {
        set(stop, values.clone());
        return this;
    }

    /** {@inheritDoc} */
    @Override
    public StructType transformSchema(StructType schema) {
        requireTextColumn(schema, getDocumentCol(), "documentCol");
        requireTextColumn(schema, getPromptCol(), "promptCol");
        String seedColumn = getSeedCol();
        if (seedColumn != null) {
            if (!Arrays.asList(schema.fieldNames()).contains(seedColumn)) {
                throw new IllegalArgumentException(
                        "seedCol \"" + seedColumn + "\" is not a column of the input");
            }
            DataType type = schema.apply(seedColumn).dataType();
            if (!List.of(
                            DataTypes.LongType,
                            DataTypes.IntegerType,
                            DataTypes.ShortType,
                            DataTypes.ByteType)
                    .contains(type)) {
                throw new IllegalArgumentException(
                        "seedCol \""
                                + seedColumn
                                + "\" must be an integer column, but it is "
                                + type.simpleString());
            }
        }
        return withOutputColumns(schema, DataTypes.StringType);
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
                        getMaxNewTokens(),
                        getTemperature(),
                        getTopK(),
                        getTopP(),
                        getRepetitionPenalty(),
                        getSeed(),
                        List.of(getStop()),
                        getDocumentCol(),
                        getPromptCol(),
                        getSeedCol(),
                        dataset.schema().size());
        settings.options(getSeed()); // checks every option on the driver, before any task runs
        Column seeds =
                getSeedCol() == null
                        ? functions.lit(null).cast(DataTypes.LongType)
                        : dataset.col(getSeedCol()).cast(DataTypes.LongType);
        Dataset<Row> withInputs =
                dataset.toDF()
                        .withColumn(
                                DOCUMENT_BYTES,
                                dataset.col(getDocumentCol()).cast(DataTypes.BinaryType))
                        .withColumn(
                                PROMPT_BYTES,
                                dataset.col(getPromptCol()).cast(DataTypes.BinaryType))
                        .withColumn(ROW_SEED, seeds);
        return withInputs.mapPartitions(new Partition(settings), Encoders.row(output));
    }

    /**
     * Returns the reader that {@code TttGenerator.load(path)} uses.
     *
     * @return the reader
     */
    public static MLReader<TttGenerator> read() {
        return READER.read();
    }

    /**
     * Loads a generator saved with {@code save(path)}.
     *
     * @param path where it was saved
     * @return the generator, with its params
     */
    public static TttGenerator load(String path) {
        return READER.load(path);
    }

    /**
     * What each task needs to know, shipped from the driver.
     *
     * @param model what to load
     * @param ttt learn while reading
     * @param maxTokens the limit on document and prompt tokens per row
     * @param maxNewTokens the most new tokens
     * @param temperature the sampling temperature
     * @param topK the top-k filter
     * @param topP the nucleus threshold
     * @param repetitionPenalty the repetition penalty
     * @param seed the seed of rows without a seed column
     * @param stop stop strings
     * @param documentCol the document column's name (for messages)
     * @param promptCol the prompt column's name (for messages)
     * @param seedCol the seed column's name, or {@code null}
     * @param dataColumns the input's columns; document bytes, prompt bytes and seed follow them
     */
    record Settings(
            ModelRequest model,
            boolean ttt,
            int maxTokens,
            int maxNewTokens,
            double temperature,
            int topK,
            double topP,
            double repetitionPenalty,
            long seed,
            List<String> stop,
            String documentCol,
            String promptCol,
            String seedCol,
            int dataColumns)
            implements Serializable {
        private static final long serialVersionUID = 1L;

        /**
         * Returns the generation options with a seed.
         *
         * @param rowSeed the row's seed
         * @return the options
         */
        GenerationOptions options(long rowSeed) {
            SamplingOptions sampling =
                    new SamplingOptions(temperature, topK, topP, repetitionPenalty, rowSeed);
            return new GenerationOptions(maxNewTokens, sampling, stop, null, ttt, null);
        }
    }

    /** Generates for the rows of one partition. */
    static final class Partition implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final Settings settings;

        Partition(Settings settings) {
            this.settings = settings;
        }

        /** {@inheritDoc} */
        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            return new PartitionRows(rows, settings.model(), "TttGenerator", this::generate);
        }

        private Row generate(SharedModel.Lease model, PartitionProgress progress, Row row) {
            int n = settings.dataColumns();
            InputText document =
                    InputText.decode((byte[]) row.get(n), settings.documentCol(), false);
            InputText prompt =
                    InputText.decode((byte[]) row.get(n + 1), settings.promptCol(), true);
            String error = document.ok() ? prompt.error() : document.error();
            long rowSeed = settings.seed();
            if (error == null && settings.seedCol() != null) {
                if (row.isNullAt(n + 2)) {
                    error = settings.seedCol() + " is null";
                } else {
                    rowSeed = row.getLong(n + 2);
                }
            }
            String generated = null;
            long tokens = 0;
            if (error == null) {
                long documentTokens =
                        TttModels.encodeStart(model.tokenizer(), model.config(), document.text())
                                .length;
                long promptTokens =
                        prompt.text().isEmpty()
                                ? 0
                                : model.tokenizer().encode(prompt.text()).length;
                if (documentTokens + promptTokens > settings.maxTokens()) {
                    error =
                            String.format(
                                    Locale.ROOT,
                                    "%s and %s have %,d tokens, more than maxTokens (%,d)",
                                    settings.documentCol(),
                                    settings.promptCol(),
                                    documentTokens + promptTokens,
                                    settings.maxTokens());
                } else {
                    progress.starting(documentTokens);
                    try (TttSession session =
                            TttSession.create(
                                    model.languageModel(), model.tokenizer(), settings.ttt())) {
                        session.ingest(document.text(), progress::reading);
                        generated = session.generate(prompt.text(), settings.options(rowSeed));
                        tokens = documentTokens + promptTokens;
                    } catch (RuntimeException e) {
                        error = "generation failed: " + Errors.describe(e);
                    }
                }
            }
            progress.finished(tokens, error != null);
            Object[] values = new Object[n + 2];
            for (int i = 0; i < n; i++) {
                values[i] = row.get(i);
            }
            values[n] = generated;
            values[n + 1] = error;
            return RowFactory.create(values);
        }
    }
}
