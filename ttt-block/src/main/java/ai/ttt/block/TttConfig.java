package ai.ttt.block;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * The hyperparameters of a TTT-E2E model: the {@code config.json} of a model directory, parsed once
 * and validated (see docs/MODEL_FORMAT.md).
 *
 * <p>Covers the official architecture (sandwich norms, QK-norm, interleaved RoPE, tied embeddings)
 * and converted Hugging Face models (pre-norm, rotate-half RoPE, GQA, biases). Construction
 * validates every rule and throws {@link InvalidConfigException} naming the key, the value and the
 * rule.
 *
 * @param vocabSize V
 * @param hiddenSize d
 * @param intermediateSize F, the static MLP width
 * @param primeIntermediateSize Fp, the prime (fast-weight) MLP width
 * @param numLayers L
 * @param numHeads H
 * @param numKvHeads Hkv
 * @param headDim hd
 * @param ropeTheta RoPE base
 * @param ropeLayout interleaved or rotate-half
 * @param ropeScaling frequency scaling, or {@code null}
 * @param qkNorm RMSNorm on q and k before RoPE
 * @param attentionBias biases on the q/k/v projections
 * @param normPlacement pre or sandwich
 * @param tieWordEmbeddings the head reuses the embedding
 * @param rmsNormEps ε of every RMSNorm
 * @param slidingWindow k, keys per query including itself
 * @param miniBatchSize b, tokens per test-time-training step
 * @param numPrimeLayers S, blocks (the last ones) with a prime MLP
 * @param innerLr η of the inner SGD step
 * @param innerGradClip global-norm clip of the fast-weight gradient, 0 for none
 * @param bosTokenId BOS, if the model has one
 * @param eosTokenIds EOS ids (possibly empty)
 */
public record TttConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int primeIntermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double ropeTheta,
        RopeLayout ropeLayout,
        RopeScaling ropeScaling,
        boolean qkNorm,
        boolean attentionBias,
        NormPlacement normPlacement,
        boolean tieWordEmbeddings,
        double rmsNormEps,
        int slidingWindow,
        int miniBatchSize,
        int numPrimeLayers,
        double innerLr,
        double innerGradClip,
        OptionalInt bosTokenId,
        List<Integer> eosTokenIds) {

    /** The value of {@code model_type}. */
    public static final String MODEL_TYPE = "ttt_e2e";

    /** The format version this code writes and reads. */
    public static final int FORMAT_VERSION = 1;

    /** Validates every rule; see the class documentation. */
    public TttConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("prime_intermediate_size", primeIntermediateSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("num_key_value_heads", numKvHeads);
        positive("head_dim", headDim);
        positive("sliding_window", slidingWindow);
        positive("mini_batch_size", miniBatchSize);
        if (numHeads % numKvHeads != 0) {
            throw new InvalidConfigException(
                    "num_attention_heads "
                            + numHeads
                            + " is not divisible by num_key_value_heads "
                            + numKvHeads);
        }
        if (headDim % 2 != 0) {
            throw new InvalidConfigException("head_dim " + headDim + " must be even for RoPE");
        }
        if (numPrimeLayers < 0 || numPrimeLayers > numLayers) {
            throw new InvalidConfigException(
                    "num_prime_layers "
                            + numPrimeLayers
                            + " must be between 0 and num_hidden_layers "
                            + numLayers);
        }
        if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) {
            throw new InvalidConfigException(
                    "rope_theta " + ropeTheta + " must be a positive number");
        }
        if (!(rmsNormEps > 0) || Double.isInfinite(rmsNormEps)) {
            throw new InvalidConfigException(
                    "rms_norm_eps " + rmsNormEps + " must be a positive number");
        }
        if (!(innerLr >= 0) || Double.isInfinite(innerLr)) {
            throw new InvalidConfigException("inner_lr " + innerLr + " must be ≥ 0");
        }
        if (!(innerGradClip >= 0) || Double.isInfinite(innerGradClip)) {
            throw new InvalidConfigException(
                    "inner_grad_clip " + innerGradClip + " must be ≥ 0 (0 = no clip)");
        }
        if (ropeLayout == null) {
            throw new InvalidConfigException("rope_layout is missing");
        }
        if (normPlacement == null) {
            throw new InvalidConfigException("norm_placement is missing");
        }
        if (ropeScaling != null) {
            validateScaling(ropeScaling);
        }
        if (bosTokenId.isPresent()) {
            tokenId("bos_token_id", bosTokenId.getAsInt(), vocabSize);
        }
        for (int eos : eosTokenIds) {
            tokenId("eos_token_id", eos, vocabSize);
        }
    }

    /**
     * Returns the number of blocks without a prime MLP, L − S.
     *
     * @return the prefix length
     */
    public int numPrefixLayers() {
        return numLayers - numPrimeLayers;
    }

    /**
     * Returns whether layer {@code i} carries a prime MLP.
     *
     * @param layer the layer index
     * @return true for the last S layers
     */
    public boolean hasPrime(int layer) {
        return layer >= numPrefixLayers();
    }

    /**
     * Returns whether every sublayer has a post-norm.
     *
     * @return true for sandwich norms
     */
    public boolean sandwich() {
        return normPlacement == NormPlacement.SANDWICH;
    }

    /**
     * Returns the number of query heads per KV head.
     *
     * @return H / Hkv
     */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    /**
     * Returns n, the number of mini-batches of a training sequence of T targets (T + 1 tokens).
     *
     * @param targets T
     * @return T / b
     * @throws IllegalArgumentException if T is not a positive multiple of the mini-batch size
     */
    public int trainingMiniBatches(long targets) {
        if (targets < miniBatchSize || targets % miniBatchSize != 0) {
            throw new IllegalArgumentException(
                    "a training sequence needs T + 1 tokens with T a multiple of the mini-batch"
                            + " size "
                            + miniBatchSize
                            + ", got T = "
                            + targets);
        }
        return (int) (targets / miniBatchSize);
    }

    /**
     * Returns a copy with other test-time-training settings.
     *
     * @param window k
     * @param miniBatch b
     * @param primeLayers S
     * @return the new config (validated)
     */
    public TttConfig withTtt(int window, int miniBatch, int primeLayers) {
        return toBuilder()
                .slidingWindow(window)
                .miniBatchSize(miniBatch)
                .numPrimeLayers(primeLayers)
                .build();
    }

    /**
     * Starts a config of the official TTT-E2E layout: sandwich norms, QK-norm, interleaved RoPE (θ
     * 10000), tied embeddings, no attention bias, ε 1e-6, η 1, inner clip 1, no BOS/EOS. Sizes must
     * be set; Fp defaults to F, Hkv to H.
     *
     * <pre>{@code
     * TttConfig c = TttConfig.officialLayout()
     *         .vocabSize(257).hiddenSize(256).intermediateSize(512).numLayers(6)
     *         .numHeads(4).headDim(64).slidingWindow(256).miniBatchSize(128).numPrimeLayers(2)
     *         .build();
     * }</pre>
     *
     * @return a builder
     */
    public static Builder officialLayout() {
        return new Builder();
    }

    /**
     * Returns a builder holding this config's values (to derive a variant).
     *
     * @return a builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.vocabSize = vocabSize;
        b.hiddenSize = hiddenSize;
        b.intermediateSize = intermediateSize;
        b.primeIntermediateSize = primeIntermediateSize;
        b.numLayers = numLayers;
        b.numHeads = numHeads;
        b.numKvHeads = numKvHeads;
        b.headDim = headDim;
        b.ropeTheta = ropeTheta;
        b.ropeLayout = ropeLayout;
        b.ropeScaling = ropeScaling;
        b.qkNorm = qkNorm;
        b.attentionBias = attentionBias;
        b.normPlacement = normPlacement;
        b.tieWordEmbeddings = tieWordEmbeddings;
        b.rmsNormEps = rmsNormEps;
        b.slidingWindow = slidingWindow;
        b.miniBatchSize = miniBatchSize;
        b.numPrimeLayers = numPrimeLayers;
        b.innerLr = innerLr;
        b.innerGradClip = innerGradClip;
        b.bosTokenId = bosTokenId;
        b.eosTokenIds = eosTokenIds;
        return b;
    }

    /**
     * Builds a {@link TttConfig} by name instead of by position; {@link #build()} validates. Each
     * setter sets the record component of the same name.
     */
    public static final class Builder {
        private int vocabSize;
        private int hiddenSize;
        private int intermediateSize;
        private int primeIntermediateSize = -1;
        private int numLayers;
        private int numHeads;
        private int numKvHeads = -1;
        private int headDim;
        private double ropeTheta = 10000;
        private RopeLayout ropeLayout = RopeLayout.INTERLEAVED;
        private RopeScaling ropeScaling;
        private boolean qkNorm = true;
        private boolean attentionBias;
        private NormPlacement normPlacement = NormPlacement.SANDWICH;
        private boolean tieWordEmbeddings = true;
        private double rmsNormEps = 1e-6;
        private int slidingWindow;
        private int miniBatchSize;
        private int numPrimeLayers;
        private double innerLr = 1.0;
        private double innerGradClip = 1.0;
        private OptionalInt bosTokenId = OptionalInt.empty();
        private List<Integer> eosTokenIds = List.of();

        private Builder() {}

        /**
         * Sets V.
         *
         * @param v the vocabulary size
         * @return this builder
         */
        public Builder vocabSize(int v) {
            vocabSize = v;
            return this;
        }

        /**
         * Sets d.
         *
         * @param d the hidden size
         * @return this builder
         */
        public Builder hiddenSize(int d) {
            hiddenSize = d;
            return this;
        }

        /**
         * Sets F (and Fp, unless set apart).
         *
         * @param f the static MLP width
         * @return this builder
         */
        public Builder intermediateSize(int f) {
            intermediateSize = f;
            return this;
        }

        /**
         * Sets Fp.
         *
         * @param f the prime MLP width
         * @return this builder
         */
        public Builder primeIntermediateSize(int f) {
            primeIntermediateSize = f;
            return this;
        }

        /**
         * Sets L.
         *
         * @param l the number of blocks
         * @return this builder
         */
        public Builder numLayers(int l) {
            numLayers = l;
            return this;
        }

        /**
         * Sets H (and Hkv, unless set apart).
         *
         * @param h the query heads
         * @return this builder
         */
        public Builder numHeads(int h) {
            numHeads = h;
            return this;
        }

        /**
         * Sets Hkv.
         *
         * @param h the key/value heads
         * @return this builder
         */
        public Builder numKvHeads(int h) {
            numKvHeads = h;
            return this;
        }

        /**
         * Sets hd.
         *
         * @param hd the head dimension
         * @return this builder
         */
        public Builder headDim(int hd) {
            headDim = hd;
            return this;
        }

        /**
         * Sets the RoPE base.
         *
         * @param theta θ
         * @return this builder
         */
        public Builder ropeTheta(double theta) {
            ropeTheta = theta;
            return this;
        }

        /**
         * Sets the RoPE layout.
         *
         * @param layout interleaved or rotate-half
         * @return this builder
         */
        public Builder ropeLayout(RopeLayout layout) {
            ropeLayout = layout;
            return this;
        }

        /**
         * Sets the RoPE frequency scaling.
         *
         * @param scaling the scaling, or {@code null}
         * @return this builder
         */
        public Builder ropeScaling(RopeScaling scaling) {
            ropeScaling = scaling;
            return this;
        }

        /**
         * Sets QK-norm.
         *
         * @param on RMSNorm on q and k
         * @return this builder
         */
        public Builder qkNorm(boolean on) {
            qkNorm = on;
            return this;
        }

        /**
         * Sets q/k/v biases.
         *
         * @param on biases on the projections
         * @return this builder
         */
        public Builder attentionBias(boolean on) {
            attentionBias = on;
            return this;
        }

        /**
         * Sets the norm placement.
         *
         * @param placement pre or sandwich
         * @return this builder
         */
        public Builder normPlacement(NormPlacement placement) {
            normPlacement = placement;
            return this;
        }

        /**
         * Sets whether the head reuses the embedding.
         *
         * @param tied tied embeddings
         * @return this builder
         */
        public Builder tieWordEmbeddings(boolean tied) {
            tieWordEmbeddings = tied;
            return this;
        }

        /**
         * Sets ε of every RMSNorm.
         *
         * @param eps ε
         * @return this builder
         */
        public Builder rmsNormEps(double eps) {
            rmsNormEps = eps;
            return this;
        }

        /**
         * Sets k.
         *
         * @param k keys per query including itself
         * @return this builder
         */
        public Builder slidingWindow(int k) {
            slidingWindow = k;
            return this;
        }

        /**
         * Sets b.
         *
         * @param b tokens per test-time-training step
         * @return this builder
         */
        public Builder miniBatchSize(int b) {
            miniBatchSize = b;
            return this;
        }

        /**
         * Sets S.
         *
         * @param s the last blocks with a prime MLP
         * @return this builder
         */
        public Builder numPrimeLayers(int s) {
            numPrimeLayers = s;
            return this;
        }

        /**
         * Sets η.
         *
         * @param lr the inner learning rate
         * @return this builder
         */
        public Builder innerLr(double lr) {
            innerLr = lr;
            return this;
        }

        /**
         * Sets the inner gradient clip.
         *
         * @param clip the global-norm clip, 0 for none
         * @return this builder
         */
        public Builder innerGradClip(double clip) {
            innerGradClip = clip;
            return this;
        }

        /**
         * Sets BOS.
         *
         * @param id the BOS id, or empty
         * @return this builder
         */
        public Builder bosTokenId(OptionalInt id) {
            bosTokenId = id;
            return this;
        }

        /**
         * Sets the EOS ids.
         *
         * @param ids the EOS ids (possibly empty)
         * @return this builder
         */
        public Builder eosTokenIds(List<Integer> ids) {
            eosTokenIds = ids;
            return this;
        }

        /**
         * Validates and builds the config.
         *
         * @return the config
         * @throws InvalidConfigException naming the key, value and rule that fails
         */
        public TttConfig build() {
            return new TttConfig(
                    vocabSize,
                    hiddenSize,
                    intermediateSize,
                    primeIntermediateSize < 0 ? intermediateSize : primeIntermediateSize,
                    numLayers,
                    numHeads,
                    numKvHeads < 0 ? numHeads : numKvHeads,
                    headDim,
                    ropeTheta,
                    ropeLayout,
                    ropeScaling,
                    qkNorm,
                    attentionBias,
                    normPlacement,
                    tieWordEmbeddings,
                    rmsNormEps,
                    slidingWindow,
                    miniBatchSize,
                    numPrimeLayers,
                    innerLr,
                    innerGradClip,
                    bosTokenId,
                    eosTokenIds);
        }
    }

    /**
     * Reads and validates {@code config.json} ({@link TttConfigJson#load}).
     *
     * @param file the file
     * @return the config
     * @throws IOException if the file cannot be read
     * @throws InvalidConfigException naming the file, key and rule if it is invalid
     */
    public static TttConfig load(Path file) throws IOException {
        return TttConfigJson.load(file);
    }

    /**
     * Parses and validates a config object ({@link TttConfigJson#fromJson}).
     *
     * @param o the JSON object of config.json
     * @return the config
     * @throws InvalidConfigException naming the key and rule if it is invalid
     */
    public static TttConfig fromJson(JsonObject o) {
        return TttConfigJson.fromJson(o);
    }

    /**
     * Returns this config as the JSON object of config.json ({@link TttConfigJson#toJson}).
     *
     * @return the JSON object
     */
    public JsonObject toJson() {
        return TttConfigJson.toJson(this);
    }

    /**
     * Returns the config.json text, pretty-printed ({@link TttConfigJson#toJsonString}).
     *
     * @return the JSON text
     */
    public String toJsonString() {
        return TttConfigJson.toJsonString(this);
    }

    /**
     * Returns the head dimension a config without {@code head_dim} implies: {@code hidden_size /
     * num_attention_heads}. The one place this rule is checked (config.json, both converters).
     *
     * @param hidden d
     * @param heads H
     * @return d / H
     * @throws InvalidConfigException if H does not divide d
     */
    public static int impliedHeadDim(int hidden, int heads) {
        if (heads <= 0 || hidden % heads != 0) {
            throw new InvalidConfigException(
                    "hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
        }
        return hidden / heads;
    }

    private static void validateScaling(RopeScaling s) {
        if (!(s.factor() > 0)) {
            throw new InvalidConfigException(
                    "rope_scaling.factor " + s.factor() + " must be positive");
        }
        if (s.ropeType() == RopeScaling.Type.LLAMA3) {
            if (!(s.highFreqFactor() > s.lowFreqFactor()) || !(s.lowFreqFactor() > 0)) {
                throw new InvalidConfigException(
                        "rope_scaling: high_freq_factor "
                                + s.highFreqFactor()
                                + " must exceed low_freq_factor "
                                + s.lowFreqFactor()
                                + " > 0");
            }
            if (s.originalMaxPositions() <= 0) {
                throw new InvalidConfigException(
                        "rope_scaling.original_max_position_embeddings "
                                + s.originalMaxPositions()
                                + " must be positive");
            }
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new InvalidConfigException(key + " " + value + " must be positive");
        }
    }

    private static void tokenId(String key, int id, int vocab) {
        if (id < 0 || id >= vocab) {
            throw new InvalidConfigException(
                    key + " " + id + " is outside the vocabulary [0, " + vocab + ")");
        }
    }
}
