package ai.ttt.block.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.SafetensorsFile;
import ai.ttt.block.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link SequenceState} as one safetensors file: fast weights, rings and their slot positions,
 * the open mini-batch, skip counters and last logits, with the counters and the model's config in
 * the metadata. Written atomically; read only after {@link StateFileValidator} has checked the file
 * against the model.
 */
final class StateFile {

    /** The version of the layout. */
    static final String VERSION = "1";

    /** The name of the last logits in a state file. */
    static final String LAST_LOGITS = "last_logits";

    private StateFile() {}

    /** Writes {@code s} to {@code file} (see {@link SequenceState#save}). */
    static void save(SequenceState s, Path file) throws IOException {
        if (s.options.differentiable()) {
            throw new IllegalStateException("a training state (differentiable) cannot be saved");
        }
        SafetensorsWriter w = new SafetensorsWriter();
        w.putMetadata(StateFileValidator.VERSION, VERSION);
        w.putMetadata(StateFileValidator.CONFIG, s.config.toJson().toString());
        w.putMetadata(StateFileValidator.BATCH, Integer.toString(s.batch));
        w.putMetadata(StateFileValidator.POSITION, Long.toString(s.position));
        w.putMetadata(StateFileValidator.OPEN_COUNT, Integer.toString(s.openCount));
        w.putMetadata(
                StateFileValidator.TEST_TIME_TRAINING,
                Boolean.toString(s.options.testTimeTraining()));
        w.putMetadata(StateFileValidator.PRECISION, s.model.precision().name());
        for (Map.Entry<String, NDArray> e : arrays(s).entrySet()) {
            w.add(e.getKey(), e.getValue());
        }
        w.write(file);
    }

    /** Reads a state of {@code model} from {@code file} (see {@link SequenceState#restore}). */
    static SequenceState restore(TttLanguageModel model, Path file) throws IOException {
        StateFileValidator rules = new StateFileValidator(file, model);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            StateFileValidator.Header h = rules.header(f.metadata());
            rules.checkLayout(f, rules.layout(h));
            SequenceState s =
                    SequenceState.create(
                            model,
                            h.batch(),
                            h.testTimeTraining()
                                    ? StateOptions.inference()
                                    : StateOptions.withoutTtt());
            try (NDManager scratch = s.manager.newSubManager()) {
                Map<String, NDArray> loaded = new LinkedHashMap<>();
                for (String name : f.names()) {
                    loaded.put(name, f.toNDArray(name, scratch));
                }
                rules.checkValues(loaded, h);
                for (Map.Entry<String, NDArray> e : arrays(s).entrySet()) {
                    NDArray from = loaded.get(e.getKey());
                    if (!from.getShape().equals(e.getValue().getShape())
                            || from.getDataType() != e.getValue().getDataType()) {
                        // The validator's layout and the state's arrays disagree: a bug, not a
                        // file.
                        throw new IllegalStateException(
                                e.getKey()
                                        + " is "
                                        + e.getValue().getDataType()
                                        + " "
                                        + e.getValue().getShape()
                                        + " in the state but "
                                        + from.getDataType()
                                        + " "
                                        + from.getShape()
                                        + " in the validated layout");
                    }
                    e.getValue().set(new NDIndex("..."), from);
                }
                s.position = h.position();
                s.openCount = h.openCount();
                s.plain.moveTo(s.position, s.openCount);
                s.runner.moveTo(s.position, s.openCount);
                s.prefix.resumeAt(s.position);
                s.suffix.resumeAt(s.position);
                NDArray last = loaded.get(LAST_LOGITS);
                if (last != null) {
                    last.attach(s.manager);
                    s.lastLogits = last;
                }
                return s;
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
        }
    }

    /** Every array that makes up the state, by its name in a state file (last logits aside). */
    private static Map<String, NDArray> arrays(SequenceState s) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        if (s.fast != null) {
            NDList w = s.fast.asList();
            for (int i = 0; i < w.size(); i++) {
                m.put("fast." + i, w.get(i));
            }
        }
        CacheGroup[] groups = {s.prefix, s.suffix};
        String[] names = {"prefix", "suffix"};
        for (int g = 0; g < 2; g++) {
            CacheGroup group = groups[g];
            if (group.capacity() == 0) {
                continue;
            }
            m.put("slots." + names[g], group.slotPositions());
            for (int l = 0; l < group.layers().size(); l++) {
                m.put("cache." + names[g] + "." + l + ".k", group.keysOf(l));
                m.put("cache." + names[g] + "." + l + ".v", group.valuesOf(l));
            }
        }
        if (s.openHidden != null) {
            m.put("open.hidden", s.openHidden);
            m.put("open.tokens", s.openTokens);
        }
        m.put("skipped", s.skipped);
        if (s.lastLogits != null) {
            m.put(LAST_LOGITS, s.lastLogits);
        }
        return m;
    }
}
