package ai.ttt.spark;

import ai.ttt.zoo.TttModelZoo;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What {@link TttScorer} and {@link TttGenerator} share: the model, how it runs, test-time
 * training, the token limit, and the output and error columns.
 *
 * <p>Params (each has a getter {@code getX} and a setter {@code setX} returning this transformer):
 *
 * <table>
 *   <caption>Shared params</caption>
 *   <tr><th>param</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code model}</td><td>{@code ai.ttt:kjv-5m}</td><td>a zoo id {@code group:artifact}
 *       (the embedded {@code ai.ttt:kjv-5m} and {@code ai.ttt:tiny-random}, or a folder of
 *       {@code ttt.model.dir} on the executors), or a model directory that exists on every
 *       executor</td></tr>
 *   <tr><td>{@code ttt}</td><td>true</td><td>learn while reading (false: fast weights stay at
 *       W0)</td></tr>
 *   <tr><td>{@code maxTokens}</td><td>1,048,576</td><td>rows with more input tokens (BOS
 *       included) get an error instead of a result</td></tr>
 *   <tr><td>{@code device}</td><td>{@code auto}</td><td>{@code auto}: the task's GPU when Spark
 *       gives it one ({@code spark.task.resource.gpu.amount}), else the CPU; {@code cpu}; {@code
 *       gpu}</td></tr>
 *   <tr><td>{@code precision}</td><td>{@code auto}</td><td>fp32 on CPU, fp16 on GPU; or {@code
 *       fp32}, {@code fp16}, {@code fp64}</td></tr>
 *   <tr><td>{@code attention}</td><td>{@code fused}</td><td>{@code fused} (TorchScript kernel) or
 *       {@code plain} (DJL ops)</td></tr>
 *   <tr><td>{@code outputCol}</td><td>per transformer</td><td>the result column</td></tr>
 *   <tr><td>{@code errorCol}</td><td>{@code error}</td><td>null for a row that was read; else
 *       what is wrong with it (the result column is then null)</td></tr>
 * </table>
 *
 * @param <T> the concrete transformer, so that setters chain
 */
public abstract class TttTransformer<T extends TttTransformer<T>> extends Transformer
        implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    /** The default {@code model}: the embedded model trained on the King James Bible. */
    public static final String DEFAULT_MODEL =
            TttModelZoo.GROUP_ID + ":" + TttModelZoo.DEFAULT_MODEL;

    /** The default {@code maxTokens}: 2^20. */
    public static final int DEFAULT_MAX_TOKENS = 1 << 20;

    private final String uid;
    private final Param<String> model;
    private final BooleanParam ttt;
    private final IntParam maxTokens;
    private final Param<String> device;
    private final Param<String> precision;
    private final Param<String> attention;
    private final Param<String> outputCol;
    private final Param<String> errorCol;

    /**
     * Creates the shared params with their defaults.
     *
     * @param uid the transformer's unique id
     * @param defaultOutputCol the default of {@code outputCol}
     */
    protected TttTransformer(String uid, String defaultOutputCol) {
        this.uid = uid;
        model =
                new Param<>(
                        this,
                        "model",
                        "zoo id group:artifact (e.g. ai.ttt:kjv-5m) or a model directory on the"
                                + " executors");
        ttt = new BooleanParam(this, "ttt", "learn while reading (false: fast weights stay at W0)");
        maxTokens =
                new IntParam(
                        this,
                        "maxTokens",
                        "rows with more input tokens (BOS included) get an error (> 0)",
                        ParamValidators.gt(0));
        device =
                new Param<>(
                        this,
                        "device",
                        "auto (the task's GPU if Spark gave it one, else CPU), cpu or gpu",
                        ParamValidators.inArray(List.of("auto", "cpu", "gpu")));
        precision =
                new Param<>(
                        this,
                        "precision",
                        "auto (fp32 on CPU, fp16 on GPU), fp32, fp16 or fp64",
                        ParamValidators.inArray(List.of("auto", "fp32", "fp16", "fp64")));
        attention =
                new Param<>(
                        this,
                        "attention",
                        "fused (TorchScript kernel) or plain (DJL ops)",
                        ParamValidators.inArray(List.of("fused", "plain")));
        outputCol = new Param<>(this, "outputCol", "output column");
        errorCol =
                new Param<>(
                        this,
                        "errorCol",
                        "error column: null for a row that was read, else what is wrong with it");
        setDefault(model, DEFAULT_MODEL);
        setDefault(ttt, true);
        setDefault(maxTokens, DEFAULT_MAX_TOKENS);
        setDefault(device, "auto");
        setDefault(precision, "auto");
        setDefault(attention, "fused");
        setDefault(outputCol, defaultOutputCol);
        setDefault(errorCol, "error");
    }

    /**
     * Returns this transformer as its concrete type (for chaining setters).
     *
     * @return {@code this}
     */
    protected abstract T self();

    /** {@inheritDoc} */
    @Override
    public String uid() {
        return uid;
    }

    /** {@inheritDoc} */
    @Override
    public T copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /**
     * The model to load: a zoo id or a model directory.
     *
     * @return the param
     */
    public Param<String> model() {
        return model;
    }

    /**
     * Returns the model.
     *
     * @return a zoo id or a model directory
     */
    public String getModel() {
        return getOrDefault(model);
    }

    /**
     * Sets the model: a zoo id {@code group:artifact} such as {@code ai.ttt:kjv-5m}, or a model
     * directory (a path or {@code file:} URL valid on every executor).
     *
     * @param value the model
     * @return this transformer
     */
    public T setModel(String value) {
        set(model, value);
        return self();
    }

    /**
     * Test-time training while reading.
     *
     * @return the param
     */
    public BooleanParam ttt() {
        return ttt;
    }

    /**
     * Returns whether the model learns while reading.
     *
     * @return the setting
     */
    public boolean getTtt() {
        return (Boolean) getOrDefault(ttt);
    }

    /**
     * Sets whether the model learns while reading (true, the default) or keeps its fast weights at
     * W0.
     *
     * @param value the setting
     * @return this transformer
     */
    public T setTtt(boolean value) {
        set(ttt, value);
        return self();
    }

    /**
     * The most input tokens a row may have.
     *
     * @return the param
     */
    public IntParam maxTokens() {
        return maxTokens;
    }

    /**
     * Returns the most input tokens a row may have.
     *
     * @return the limit
     */
    public int getMaxTokens() {
        return (Integer) getOrDefault(maxTokens);
    }

    /**
     * Sets the most input tokens a row may have, BOS included; longer rows get an error. Memory
     * does not grow with a document's length (beyond its token ids and per-token results), so this
     * bounds time and the size of results, not the model's memory.
     *
     * @param value the limit, &gt; 0
     * @return this transformer
     */
    public T setMaxTokens(int value) {
        set(maxTokens, value);
        return self();
    }

    /**
     * Where the model runs.
     *
     * @return the param
     */
    public Param<String> device() {
        return device;
    }

    /**
     * Returns where the model runs.
     *
     * @return {@code auto}, {@code cpu} or {@code gpu}
     */
    public String getDevice() {
        return getOrDefault(device);
    }

    /**
     * Sets where the model runs: {@code auto} (the task's GPU when Spark's resource scheduling
     * gives it one, otherwise the CPU), {@code cpu}, or {@code gpu}.
     *
     * @param value the device
     * @return this transformer
     */
    public T setDevice(String value) {
        set(device, value);
        return self();
    }

    /**
     * The compute precision.
     *
     * @return the param
     */
    public Param<String> precision() {
        return precision;
    }

    /**
     * Returns the compute precision.
     *
     * @return {@code auto}, {@code fp32}, {@code fp16} or {@code fp64}
     */
    public String getPrecision() {
        return getOrDefault(precision);
    }

    /**
     * Sets the compute precision: {@code auto} (fp32 on CPU, fp16 on GPU), {@code fp32}, {@code
     * fp16} (fp16 matrix products, fp32 norms, softmax and loss) or {@code fp64}.
     *
     * @param value the precision
     * @return this transformer
     */
    public T setPrecision(String value) {
        set(precision, value);
        return self();
    }

    /**
     * The attention kernel.
     *
     * @return the param
     */
    public Param<String> attention() {
        return attention;
    }

    /**
     * Returns the attention kernel.
     *
     * @return {@code fused} or {@code plain}
     */
    public String getAttention() {
        return getOrDefault(attention);
    }

    /**
     * Sets the attention kernel: {@code fused} (the project's TorchScript kernel) or {@code plain}
     * (DJL ops).
     *
     * @param value the kernel
     * @return this transformer
     */
    public T setAttention(String value) {
        set(attention, value);
        return self();
    }

    /**
     * The output column.
     *
     * @return the param
     */
    public Param<String> outputCol() {
        return outputCol;
    }

    /**
     * Returns the output column.
     *
     * @return its name
     */
    public String getOutputCol() {
        return getOrDefault(outputCol);
    }

    /**
     * Sets the output column (it must not exist in the input).
     *
     * @param value its name
     * @return this transformer
     */
    public T setOutputCol(String value) {
        set(outputCol, value);
        return self();
    }

    /**
     * The error column.
     *
     * @return the param
     */
    public Param<String> errorCol() {
        return errorCol;
    }

    /**
     * Returns the error column.
     *
     * @return its name
     */
    public String getErrorCol() {
        return getOrDefault(errorCol);
    }

    /**
     * Sets the error column (it must not exist in the input): null for a row that was read, else a
     * sentence naming the problem.
     *
     * @param value its name
     * @return this transformer
     */
    public T setErrorCol(String value) {
        set(errorCol, value);
        return self();
    }

    /**
     * Returns what each executor loads, checked on the driver.
     *
     * @return the request
     */
    ModelRequest modelRequest() {
        return new ModelRequest(getModel(), getDevice(), getPrecision(), getAttention());
    }

    /**
     * Checks that a text column exists and holds strings or bytes.
     *
     * @param schema the input schema
     * @param column the column's name
     * @param param the param that names it (for the message)
     * @throws IllegalArgumentException if it is missing or of another type
     */
    static void requireTextColumn(StructType schema, String column, String param) {
        if (!Arrays.asList(schema.fieldNames()).contains(column)) {
            throw new IllegalArgumentException(
                    param
                            + " \""
                            + column
                            + "\" is not a column of the input (columns: "
                            + String.join(", ", schema.fieldNames())
                            + ")");
        }
        DataType type = schema.apply(column).dataType();
        if (!type.equals(DataTypes.StringType) && !type.equals(DataTypes.BinaryType)) {
            throw new IllegalArgumentException(
                    param
                            + " \""
                            + column
                            + "\" must be a string or binary (UTF-8) column, but it is "
                            + type.simpleString());
        }
    }

    /**
     * Checks that the output columns are new and distinct, and appends them to a schema.
     *
     * @param schema the input schema
     * @param outputType the type of the output column
     * @return the output schema: the input's columns, then the output column, then the error column
     * @throws IllegalArgumentException if a column exists already, or both have the same name
     */
    StructType withOutputColumns(StructType schema, DataType outputType) {
        List<String> existing = Arrays.asList(schema.fieldNames());
        for (String column : List.of(getOutputCol(), getErrorCol())) {
            if (existing.contains(column)) {
                throw new IllegalArgumentException(
                        "output column \"" + column + "\" already exists in the input");
            }
            if (column.startsWith(HIDDEN_PREFIX)) {
                throw new IllegalArgumentException(
                        "column names starting with " + HIDDEN_PREFIX + " are reserved");
            }
        }
        if (getOutputCol().equals(getErrorCol())) {
            throw new IllegalArgumentException(
                    "outputCol and errorCol are both \"" + getOutputCol() + "\"");
        }
        for (String column : existing) {
            if (column.startsWith(HIDDEN_PREFIX)) {
                throw new IllegalArgumentException(
                        "input column \""
                                + column
                                + "\": names starting with "
                                + HIDDEN_PREFIX
                                + " are reserved for ttt-spark's own columns");
            }
        }
        return schema.add(getOutputCol(), outputType, true)
                .add(getErrorCol(), DataTypes.StringType, true);
    }

    /** Prefix of the columns the transformers add for their own use and drop again. */
    static final String HIDDEN_PREFIX = "__ttt_spark_";
}
