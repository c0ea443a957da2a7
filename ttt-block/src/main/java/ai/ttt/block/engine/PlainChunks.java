package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import ai.ttt.block.engine.SequenceState.Outputs;
import ai.ttt.block.nn.AttentionInputs;
import ai.ttt.block.nn.AttentionInputs.CacheUse;
import ai.ttt.block.nn.DecoderBlock;
import ai.ttt.block.nn.RotaryEmbedding;
import ai.ttt.block.nn.TorchOps;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference execution of a chunk: the blocks' DJL operations, one engine call each. It is the
 * only runner that trains (functional caches and fast weights, second order) and the one every
 * faster runner is tested against.
 *
 * <pre>
 *   h = prefix blocks (no gradient, ring caches)                       [B, n, d]
 *   logits = suffix blocks with fast weights W                          [B, n, V]
 *   if the chunk is a whole mini-batch with known targets:
 *       ℓ = masked mean NLL; g = ∂ℓ/∂W (cached K/V are constants); W ← W − η·clip(g)
 *   else keep h for the mini-batch; when decoding completes it, re-run the suffix blocks on it
 *       (its own K/V recomputed, the window before it from the cache) and take the step.
 * </pre>
 *
 * <p>Positions live on the device too (a scalar advanced in place), so the loop reads nothing back
 * to the host.
 */
final class PlainChunks implements ChunkRunner {

    private final SequenceState s;
    private final InnerGradient gradient;
    private final NDArray positionOnDevice;
    private final Map<Integer, NDArray> counts = new HashMap<>();

    /**
     * Creates the runner of a state.
     *
     * @param state the state whose buffers it computes on
     * @param gradient the autograd kernel
     */
    PlainChunks(SequenceState state, InnerGradient gradient) {
        this.s = state;
        this.gradient = gradient;
        this.positionOnDevice = TorchOps.constant(state.manager, 0L);
    }

    /** {@inheritDoc} */
    @Override
    public Segment run(
            NDArray inputs,
            NDArray targets,
            boolean step,
            Outputs outputs,
            boolean complete,
            boolean keepOpen) {
        int len = (int) inputs.getShape().get(1);
        boolean differentiable = s.options.differentiable();
        NDArray queryPositions = positions(len, positionOnDevice);
        try (RotaryEmbedding.Tables rope = s.model.rope().tables(queryPositions)) {
            s.prefix.beginChunk(s.position, queryPositions);
            s.suffix.beginChunk(s.position, queryPositions);
            NDArray h = s.model.embed(inputs);
            List<DecoderBlock> layers = s.model.layers();
            int firstSuffix = s.config.numPrefixLayers();
            if (firstSuffix > 0) {
                AttentionInputs in =
                        differentiable
                                ? new AttentionInputs(
                                        rope,
                                        s.prefix.concatMask(queryPositions, positionOnDevice),
                                        true,
                                        CacheUse.CONCAT_THEN_APPEND)
                                : new AttentionInputs(
                                        rope,
                                        s.prefix.cacheMask(queryPositions),
                                        false,
                                        CacheUse.APPEND_THEN_ATTEND);
                for (int l = 0; l < firstSuffix; l++) {
                    h = layers.get(l).forward(h, in, s.caches.get(l), null, null);
                }
            }
            NDArray suffixInput = h;
            if (step) {
                JniUtils.setGradMode(true);
            }
            if (firstSuffix < layers.size()) {
                Pass pass = differentiable ? Pass.TRAIN : step ? Pass.STEP : Pass.FORWARD;
                h = suffixLayers(h, rope, queryPositions, positionOnDevice, pass);
            }
            NDArray logits = null;
            NDArray last = null;
            if (ChunkRunner.allRows(step, targets != null, outputs)) {
                logits = s.model.logits(h);
                if (!complete) {
                    last = logits.get(new NDIndex(":, {}", len - 1));
                }
            } else if (!complete) {
                last = s.model.logits(h.get(new NDIndex(":, {}:", len - 1))).squeeze(1);
            }
            NDArray nll = null;
            NDArray loss = null;
            if (targets != null && logits != null) {
                long t = targets.getShape().get(1);
                NDArray predicting = t == len ? logits : logits.get(new NDIndex(":, 0:{}", t));
                nll = s.inner.tokenNll(predicting, targets);
            }
            if (step) {
                loss = s.inner.chunkLoss(nll, targets);
                takeStep(loss);
            }
            if (keepOpen) {
                keepForMiniBatch(suffixInput, inputs, len);
            }
            positionOnDevice.addi(count(len));
            if (!differentiable) {
                last = last == null ? null : last.duplicate();
                nll = nll == null ? null : nll.stopGradient();
                loss = loss == null ? null : loss.stopGradient();
            }
            return new Segment(nll, loss, outputs == Outputs.ALL_LOGITS ? logits : null, last);
        }
    }

    /** How the suffix blocks run over a chunk. */
    private enum Pass {
        /** No step: every layer writes its keys into the cache and attends there. */
        FORWARD,
        /**
         * A step on a fresh chunk: the first suffix layer's keys do not depend on the fast weights
         * and go to the cache first; later layers attend to [cache ; fresh keys] so the gradient
         * flows through the chunk's own keys, and append them after.
         */
        STEP,
        /** A step on a decoded chunk already in the cache (no writes). */
        RERUN,
        /** Training: everything functional. */
        TRAIN
    }

    private NDArray suffixLayers(
            NDArray h,
            RotaryEmbedding.Tables rope,
            NDArray queryPositions,
            NDArray chunkStart,
            Pass pass) {
        List<DecoderBlock> layers = s.model.layers();
        int firstSuffix = s.config.numPrefixLayers();
        NDArray cacheMask = null;
        NDArray concatMask = null;
        for (int l = firstSuffix; l < layers.size(); l++) {
            int j = l - firstSuffix;
            CacheUse use;
            switch (pass) {
                case FORWARD:
                    use = CacheUse.APPEND_THEN_ATTEND;
                    break;
                case STEP:
                    use = j == 0 ? CacheUse.APPEND_THEN_ATTEND : CacheUse.CONCAT_THEN_APPEND;
                    break;
                case RERUN:
                    use = j == 0 ? CacheUse.CACHE_ONLY : CacheUse.CONCAT;
                    break;
                default:
                    use = CacheUse.CONCAT_THEN_APPEND;
                    break;
            }
            boolean viaCache = use == CacheUse.APPEND_THEN_ATTEND || use == CacheUse.CACHE_ONLY;
            if (viaCache && cacheMask == null) {
                cacheMask = s.suffix.cacheMask(queryPositions);
            }
            if (!viaCache && concatMask == null) {
                concatMask = s.suffix.concatMask(queryPositions, chunkStart);
            }
            boolean differentiable = pass == Pass.TRAIN || (pass != Pass.FORWARD && j > 0);
            AttentionInputs in =
                    new AttentionInputs(
                            rope, viaCache ? cacheMask : concatMask, differentiable, use);
            h = layers.get(l).forward(h, in, s.caches.get(l), s.fast.gateUp(j), s.fast.down(j));
        }
        return h;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray closeOpenMiniBatch(NDArray nextToken) {
        s.openTokens.set(new NDIndex(":, {}:{}", s.miniBatch, s.miniBatch + 1), nextToken);
        NDArray start = positionOnDevice.sub(count(s.miniBatch));
        NDArray queryPositions = positions(s.miniBatch, start);
        try (RotaryEmbedding.Tables rope = s.model.rope().tables(queryPositions)) {
            JniUtils.setGradMode(true);
            NDArray h = suffixLayers(s.openHidden, rope, queryPositions, start, Pass.RERUN);
            NDArray targets = s.openTokens.get(new NDIndex(":, 1:"));
            NDArray loss = s.inner.chunkLoss(s.inner.tokenNll(s.model.logits(h), targets), targets);
            takeStep(loss);
            return s.options.differentiable() ? loss : loss.stopGradient();
        }
    }

    private void takeStep(NDArray loss) {
        NDList g =
                s.inner.gradients(
                        s.fast,
                        loss,
                        gradient,
                        s.options.secondOrder(),
                        s.options.differentiable());
        JniUtils.setGradMode(s.options.differentiable());
        s.inner.update(s.fast, g, loss, s.options.differentiable(), s.skipped);
    }

    private void keepForMiniBatch(NDArray suffixInput, NDArray inputs, int len) {
        int open = s.openCount;
        s.openHidden.set(new NDIndex(":, {}:{}, :", open, open + len), suffixInput.stopGradient());
        s.openTokens.set(new NDIndex(":, {}:{}", open, open + len), inputs);
    }

    private NDArray positions(int len, NDArray start) {
        return s.manager.arange(0, len, 1, DataType.INT64).add(start);
    }

    /** A device scalar holding n, created once per distinct n (so the loop uploads nothing). */
    private NDArray count(int n) {
        return counts.computeIfAbsent(
                n,
                key -> {
                    NDArray c = TorchOps.constant(s.manager, (long) key);
                    NDScope.unregister(c);
                    return c;
                });
    }

    /** {@inheritDoc} */
    @Override
    public void moveTo(long position, int openCount) {
        // Made on the device (arange), not uploaded: no host-to-device copy.
        try (NDArray p = s.manager.arange((int) position, (int) position + 1, 1, DataType.INT64);
                NDArray scalar = p.reshape(new ai.djl.ndarray.types.Shape())) {
            positionOnDevice.set(new NDIndex("..."), scalar);
        }
    }
}
