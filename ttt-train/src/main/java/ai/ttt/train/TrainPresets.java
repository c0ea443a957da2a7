package ai.ttt.train;

import ai.ttt.block.TttConfig;
import java.util.List;
import java.util.OptionalInt;

/**
 * Named training recipes. {@code default} is the model that ships in the zoo: a byte-level TTT-E2E
 * model of the King James Bible, sized to train within 90 minutes on a 2-core CPU.
 */
public final class TrainPresets {

    /** The byte tokenizer's {@code <|endoftext|>}, used as BOS and EOS. */
    public static final int BYTE_EOS = 256;

    private TrainPresets() {}

    /**
     * The architecture of the default model: the official TTT-E2E layout (sandwich norms, QK-norm,
     * interleaved RoPE, tied embeddings) at a small size: 6 blocks of width 256, the last 2 with a
     * prime MLP, a window of 256 bytes and mini-batches of 128 bytes.
     *
     * @param primeLayers S (2 for TTT-E2E, 0 for the sliding-window baseline)
     * @return the config
     */
    public static TttConfig defaultModel(int primeLayers) {
        return TttConfig.officialLayout()
                .vocabSize(257) // 256 bytes + <|endoftext|>
                .hiddenSize(256)
                .intermediateSize(512)
                .numLayers(6)
                .numHeads(4)
                .headDim(64)
                .slidingWindow(256)
                .miniBatchSize(128)
                .numPrimeLayers(primeLayers)
                .bosTokenId(OptionalInt.of(BYTE_EOS))
                .eosTokenIds(List.of(BYTE_EOS))
                .build();
    }

    /**
     * The default model's training settings.
     *
     * @param steps outer steps
     * @return the settings
     */
    public static TrainSettings defaultSettings(int steps) {
        return new TrainSettings(
                2048, // bytes per sequence: 16 mini-batches, 8 windows
                4, // sequences per step: 8192 bytes
                steps, 3e-3, // peak learning rate
                1e-5, // final learning rate
                0.1, // warm-up fraction
                0.1, // weight decay
                0.9, 0.95, 1.0, // outer gradient clip
                0.1, // inner learning-rate multiplier at the start
                0.1, // its warm-up fraction
                true, // second order
                42, 50); // steps between checkpoints
    }
}
