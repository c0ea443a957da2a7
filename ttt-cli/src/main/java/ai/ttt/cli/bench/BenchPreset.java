package ai.ttt.cli.bench;

import ai.ttt.block.TttConfig;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * Model shapes of the benchmark (spec §2.1): layers, width, heads, head size and the two MLP widths
 * (full-attention baseline, and TTT-E2E's narrower one that keeps the parameter count equal).
 *
 * <p>Every preset uses the official architecture: sandwich norms, QK-norm, interleaved RoPE with θ
 * = 500 000, tied embeddings, no GQA, ε = 1e-6, inner learning rate 1 and gradient clip 1.
 */
public enum BenchPreset {
    /** A toy shape for tests (vocabulary 512). */
    TINY("tiny", 4, 64, 4, 16, 192, 160, 512),
    /** 125M. */
    M125("125m", 12, 768, 12, 64, 2048, 1664, 128256),
    /** 760M. */
    M760("760m", 24, 1536, 16, 96, 4096, 3328, 128256),
    /** 1.3B. */
    B1("1b", 24, 2048, 32, 64, 5376, 4352, 128256),
    /** 2.7B ("3B"). */
    B3("3b", 32, 2560, 32, 80, 6912, 5632, 128256);

    /** Width of the narrow models that op counts run on: heads × head size, MLP, vocabulary. */
    static final int NARROW_HEADS = 4;

    static final int NARROW_HEAD_DIM = 16;
    static final int NARROW_MLP = 128;
    static final int NARROW_VOCAB = 512;

    private final String label;
    private final int layers;
    private final int width;
    private final int heads;
    private final int headDim;
    private final int baselineMlp;
    private final int e2eMlp;
    private final int vocab;

    BenchPreset(
            String label,
            int layers,
            int width,
            int heads,
            int headDim,
            int baselineMlp,
            int e2eMlp,
            int vocab) {
        this.label = label;
        this.layers = layers;
        this.width = width;
        this.heads = heads;
        this.headDim = headDim;
        this.baselineMlp = baselineMlp;
        this.e2eMlp = e2eMlp;
        this.vocab = vocab;
    }

    /**
     * Returns the preset's name.
     *
     * @return e.g. {@code 125m}
     */
    public String label() {
        return label;
    }

    /**
     * Returns L.
     *
     * @return the number of blocks
     */
    public int layers() {
        return layers;
    }

    /**
     * Returns S = L/4, the blocks with fast weights in TTT-E2E.
     *
     * @return S
     */
    public int suffixLayers() {
        return layers / 4;
    }

    /**
     * Returns the config of this shape for a mode.
     *
     * @param mode TTT-E2E (E2E MLP width, S = L/4), SWA or full (baseline MLP width, S = 0)
     * @param window k, keys per query including itself (full attention: at least the context)
     * @param miniBatch b
     * @return the validated config
     */
    public TttConfig config(BenchMode mode, int window, int miniBatch) {
        return build(mode, window, miniBatch, width, heads, headDim, mlp(mode), vocab);
    }

    /**
     * Returns a narrow model with this preset's layer structure (L, and S for TTT-E2E): op and
     * synchronisation counts depend on the structure, not the width.
     *
     * @param mode the mode
     * @param window k
     * @param miniBatch b
     * @return the validated config
     */
    public TttConfig narrowConfig(BenchMode mode, int window, int miniBatch) {
        return build(
                mode,
                window,
                miniBatch,
                NARROW_HEADS * NARROW_HEAD_DIM,
                NARROW_HEADS,
                NARROW_HEAD_DIM,
                NARROW_MLP,
                NARROW_VOCAB);
    }

    private int mlp(BenchMode mode) {
        return mode == BenchMode.TTT_E2E ? e2eMlp : baselineMlp;
    }

    private TttConfig build(
            BenchMode mode,
            int window,
            int miniBatch,
            int d,
            int h,
            int hd,
            int mlp,
            int vocabSize) {
        int s = mode == BenchMode.TTT_E2E ? suffixLayers() : 0;
        int bos = vocabSize > 128000 ? 128000 : 1;
        int eos = vocabSize > 128001 ? 128001 : 2;
        return TttConfig.officialLayout()
                .vocabSize(vocabSize)
                .hiddenSize(d)
                .intermediateSize(mlp)
                .numLayers(layers)
                .numHeads(h)
                .headDim(hd)
                .ropeTheta(500000)
                .slidingWindow(window)
                .miniBatchSize(miniBatch)
                .numPrimeLayers(s)
                .bosTokenId(OptionalInt.of(bos))
                .eosTokenIds(List.of(eos))
                .build();
    }

    /**
     * Parses a preset name.
     *
     * @param name tiny, 125m, 760m, 1b or 3b (any case)
     * @return the preset
     * @throws IllegalArgumentException naming the value if unknown
     */
    public static BenchPreset parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (BenchPreset p : values()) {
            if (p.label.equals(n)) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "preset \"" + name + "\" is not one of tiny, 125m, 760m, 1b, 3b");
    }
}
