package ai.ttt.block.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.ttt.block.TensorNames;
import ai.ttt.block.TttConfig;
import ai.ttt.block.WeightSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The TTT-E2E language model: token embedding, L decoder blocks (the last S with a prime MLP), a
 * final RMSNorm and a tied or untied output head.
 *
 * <pre>
 *   h0 = E[tokens]                        [B, n, d]   (no scaling)
 *   h_{l+1} = Block_l(h_l)                 l = 0 … L−1
 *   logits = Norm(h_L) · E_outᵀ            [B, n, V]   (E_out = E when tied)
 * </pre>
 *
 * <p>This block holds the weights (the prime MLPs hold W0); the test-time-training engine in {@code
 * ai.ttt.block.engine} drives it chunk by chunk with per-sequence caches and fast weights. Its own
 * {@link #forward} runs a whole sequence at W0 without caches. Device-agnostic: every array lives
 * on the manager given at build time.
 */
public final class TttLanguageModel extends AbstractBlock {

    private final TttConfig config;
    private final Precision precision;
    private final NDManager manager;
    private final Parameter embedding;
    private final Parameter head;
    private final List<DecoderBlock> layers;
    private final RmsNorm finalNorm;
    private final RotaryEmbedding rope;

    private TttLanguageModel(
            TttConfig config,
            Precision precision,
            NDManager manager,
            NDArray embedding,
            NDArray head,
            List<DecoderBlock> layers,
            RmsNorm finalNorm,
            RotaryEmbedding rope) {
        this.config = config;
        this.precision = precision;
        this.manager = manager;
        this.embedding = addParameter(ModelWeights.parameter("embed_tokens", embedding));
        this.head = head == null ? null : addParameter(ModelWeights.parameter("lm_head", head));
        this.layers = Collections.unmodifiableList(layers);
        for (DecoderBlock layer : layers) {
            addChildBlock("layer" + layer.index(), layer);
        }
        this.finalNorm = addChildBlock("norm", finalNorm);
        this.rope = rope;
    }

    /**
     * Builds the model from named tensors (docs/MODEL_FORMAT.md), fusing q/k/v and gate/up.
     *
     * @param config the validated config
     * @param weights where the tensors come from
     * @param manager owns every array; its device is the model's device
     * @param precision compute formats
     * @param kernel the attention kernel
     * @return the model
     * @throws IOException if a tensor cannot be read
     */
    public static TttLanguageModel build(
            TttConfig config,
            WeightSource weights,
            NDManager manager,
            Precision precision,
            AttentionKernel kernel)
            throws IOException {
        Loader l = new Loader(weights, manager, precision);
        RotaryEmbedding rope =
                new RotaryEmbedding(
                        manager,
                        config.headDim(),
                        config.ropeTheta(),
                        config.ropeScaling(),
                        config.ropeLayout(),
                        precision);
        double eps = config.rmsNormEps();
        List<DecoderBlock> layers = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            TensorNames.Layer n = TensorNames.layer(config, i);
            NDArray wqkv = l.fused(precision.matmul(), n.wq(), n.wk(), n.wv());
            NDArray bqkv =
                    n.bq() == null ? null : l.fused(precision.matmul(), n.bq(), n.bk(), n.bv());
            SlidingWindowAttention attention =
                    new SlidingWindowAttention(
                            config,
                            wqkv,
                            bqkv,
                            l.get(n.wo(), precision.matmul()),
                            l.norm(n.qNorm(), eps),
                            l.norm(n.kNorm(), eps),
                            rope,
                            kernel,
                            precision);
            layers.add(
                    new DecoderBlock(
                            i,
                            l.norm(n.attnNorm(), eps),
                            l.norm(n.attnPostNorm(), eps),
                            attention,
                            l.norm(n.primeNorm(), eps),
                            l.norm(n.primePostNorm(), eps),
                            // W0 stays in the stream type: fast weights are fp32 copies of it.
                            l.mlp(n.prime(), precision.stream()),
                            l.norm(n.mlpNorm(), eps),
                            l.norm(n.mlpPostNorm(), eps),
                            l.mlp(n.mlp(), precision.matmul())));
        }
        NDArray embedding = l.get(TensorNames.EMBED, precision.matmul());
        NDArray head =
                config.tieWordEmbeddings() ? null : l.get(TensorNames.LM_HEAD, precision.matmul());
        RmsNorm finalNorm = l.norm(TensorNames.FINAL_NORM, eps);
        return new TttLanguageModel(
                config, precision, manager, embedding, head, layers, finalNorm, rope);
    }

    /** Loads tensors and casts them to the layout the blocks compute with. */
    private static final class Loader {
        private final WeightSource weights;
        private final NDManager manager;
        private final Precision precision;

        Loader(WeightSource weights, NDManager manager, Precision precision) {
            this.weights = weights;
            this.manager = manager;
            this.precision = precision;
        }

        NDArray get(String name, DataType type) throws IOException {
            NDArray a = weights.load(name, manager);
            if (a.getDataType() == type) {
                return a;
            }
            NDArray cast = a.toType(type, false);
            a.close();
            return cast;
        }

        NDArray fused(DataType type, String... names) throws IOException {
            NDList parts = new NDList();
            for (String name : names) {
                parts.add(get(name, type));
            }
            int axis = parts.get(0).getShape().dimension() - 1;
            NDArray out = NDArrays.concat(parts, axis);
            parts.close();
            return out;
        }

        /** The norm of a tensor the config has, or {@code null} for a name it has not. */
        RmsNorm norm(String name, double eps) throws IOException {
            return name == null ? null : new RmsNorm(get(name, precision.stream()), eps, precision);
        }

        /** The MLP the config has, or {@code null}. */
        SwiGluMlp mlp(TensorNames.Mlp names, DataType type) throws IOException {
            if (names == null) {
                return null;
            }
            NDArray w13 = fused(type, names.w1(), names.w3());
            NDArray w2 = get(names.w2(), type);
            return new SwiGluMlp(w13, w2, precision);
        }
    }

    /**
     * Looks up token embeddings.
     *
     * @param tokens {@code [B, n]} int64 ids
     * @return {@code [B, n, d]} in the stream type
     */
    public NDArray embed(NDArray tokens) {
        NDArray rows = embedding.getArray().get(new NDIndex("{}", tokens));
        // An op on a parameter lands in the model's manager; hand the rows to the caller's.
        rows.attach(tokens.getManager());
        return precision.toStream(rows);
    }

    /**
     * Applies the final norm and the output head.
     *
     * @param h {@code [B, n, d]} the last block's output
     * @return logits {@code [B, n, V]} in the stream type
     */
    public NDArray logits(NDArray h) {
        // The transpose is a view taken per call, so it follows the parameter when it is trained;
        // it is closed at once (an op on a parameter lands in the model's manager otherwise).
        try (NDArray out = (head == null ? embedding : head).getArray().transpose()) {
            return precision.toStream(precision.toMatmul(finalNorm.apply(h)).matMul(out));
        }
    }

    /**
     * Returns where every tensor of the model format lives among the parameters, in the format's
     * order (docs/MODEL_FORMAT.md). Used to save weights and to name gradients.
     *
     * @return name → binding
     */
    public Map<String, TensorBinding> bindings() {
        Map<String, TensorBinding> out = new LinkedHashMap<>();
        out.put(TensorNames.EMBED, TensorBinding.whole(embedding));
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).bind(TensorNames.layer(config, i), out);
        }
        out.put(TensorNames.FINAL_NORM, TensorBinding.whole(finalNorm.weight()));
        if (head != null) {
            out.put(TensorNames.LM_HEAD, TensorBinding.whole(head));
        }
        return out;
    }

    /**
     * Returns every parameter of the model once (fused ones once), in a fixed order.
     *
     * @return the parameters
     */
    public List<Parameter> parameterList() {
        Set<Parameter> out = new LinkedHashSet<>();
        for (TensorBinding b : bindings().values()) {
            out.add(b.parameter());
        }
        return new ArrayList<>(out);
    }

    /**
     * Returns the config.
     *
     * @return the config
     */
    public TttConfig config() {
        return config;
    }

    /**
     * Returns the compute formats.
     *
     * @return the precision
     */
    public Precision precision() {
        return precision;
    }

    /**
     * Returns the manager that owns the weights (and the device they live on).
     *
     * @return the manager
     */
    public NDManager manager() {
        return manager;
    }

    /**
     * Returns the blocks in order.
     *
     * @return L blocks; the last S carry a prime MLP
     */
    public List<DecoderBlock> layers() {
        return layers;
    }

    /**
     * Returns the rotary embedding shared by all layers.
     *
     * @return RoPE
     */
    public RotaryEmbedding rope() {
        return rope;
    }

    /**
     * Returns the embedding parameter.
     *
     * @return E, {@code [V, d]}
     */
    public Parameter embedding() {
        return embedding;
    }

    /**
     * Returns the untied head parameter, or {@code null} when tied.
     *
     * @return lm_head or {@code null}
     */
    public Parameter head() {
        return head;
    }

    /**
     * Returns the final norm.
     *
     * @return the norm
     */
    public RmsNorm finalNorm() {
        return finalNorm;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Input: tokens {@code [B, T]} int64, a whole sequence from position 0; output: logits
     * {@code [B, T, V]} with every prime MLP at W0 (no test-time training).
     */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray tokens = inputs.singletonOrThrow();
        int n = (int) tokens.getShape().get(1);
        NDManager m = tokens.getManager();
        NDArray positions = m.arange(0, n, 1, DataType.INT64);
        try (RotaryEmbedding.Tables t = rope.tables(positions)) {
            NDArray mask = layers.get(0).attention().selfMask(m, n);
            AttentionInputs in =
                    new AttentionInputs(t, mask, training, AttentionInputs.CacheUse.CONCAT);
            NDArray h = embed(tokens);
            for (DecoderBlock layer : layers) {
                h = layer.forward(h, in, null, null, null);
            }
            return new NDList(logits(h));
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape t = inputShapes[0];
        return new Shape[] {new Shape(t.get(0), t.get(1), config.vocabSize())};
    }
}
