package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.ttt.block.engine.SequenceState.Outputs;
import ai.ttt.block.programs.ChunkFlags;
import ai.ttt.block.programs.ProgramState;
import ai.ttt.block.programs.TttProgram;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs each chunk as one call of the model's TorchScript program ({@link TttProgram}): every block,
 * the loss, the inner gradient and the update in a single engine call, on the same buffers as
 * {@link PlainChunks} (rings, slot positions, fast weights, open mini-batch), so a state saved by
 * one runner restores into the other. Inference only.
 */
final class ProgramChunks implements ChunkRunner {

    private final SequenceState s;
    private final TttProgram program;
    private ProgramState bound;

    /**
     * Creates the runner of an inference state.
     *
     * @param state the state whose buffers the program computes on
     */
    ProgramChunks(SequenceState state) {
        this.s = state;
        this.program = TttProgram.of(state.model);
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
        boolean hasTargets = targets != null;
        ChunkFlags flags =
                new ChunkFlags(
                        step,
                        hasTargets,
                        ChunkRunner.allRows(step, hasTargets, outputs),
                        outputs == Outputs.ALL_LOGITS,
                        !complete,
                        keepOpen);
        NDList out = program.chunk(inputs, targets, flags, state());
        int i = 0;
        NDArray nll = hasTargets && flags.allRows() ? out.get(i++) : null;
        NDArray loss = nll != null && step ? out.get(i++) : null;
        NDArray logits = flags.keepLogits() ? out.get(i++) : null;
        NDArray last = flags.wantLast() ? out.get(i) : null;
        // The program wrote the chunk's slot positions; keep the groups' host counters in step.
        s.prefix.resumeAt(s.position + len);
        s.suffix.resumeAt(s.position + len);
        return new Segment(nll, loss, logits, last);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray closeOpenMiniBatch(NDArray nextToken) {
        return program.closeMiniBatch(nextToken, state());
    }

    /** {@inheritDoc} */
    @Override
    public void moveTo(long position, int openCount) {
        // The cursor is made from the state's counters when next bound.
        if (bound != null) {
            bound.close();
            bound = null;
        }
    }

    private ProgramState state() {
        if (bound == null) {
            List<NDArray> keys = new ArrayList<>();
            List<NDArray> values = new ArrayList<>();
            for (int l = 0; l < s.model.layers().size(); l++) {
                boolean prime = s.model.layers().get(l).hasPrime();
                CacheGroup group = prime ? s.suffix : s.prefix;
                int index = prime ? l - s.config.numPrefixLayers() : l;
                keys.add(group.keysOf(index));
                values.add(group.valuesOf(index));
            }
            bound =
                    ProgramState.bind(
                            program,
                            s.manager,
                            keys,
                            values,
                            s.prefix.slotPositions(),
                            s.suffix.slotPositions(),
                            s.fast == null ? List.of() : s.fast.asList(),
                            s.openHidden,
                            s.openTokens,
                            s.skipped,
                            s.config.innerLr() * s.options.innerLrScale(),
                            s.position,
                            s.openCount);
        }
        return bound;
    }
}
