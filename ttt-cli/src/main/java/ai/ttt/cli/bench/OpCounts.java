package ai.ttt.cli.bench;

import ai.ttt.block.programs.TttProgram;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Engine operations and host synchronisations in one measured window, from two independent sources:
 * the Java-side count of calls into DJL's PyTorch JNI library ({@link JniCalls}, by {@link
 * JniCallAgent}) and PyTorch's own profiler ({@link TraceSummary}).
 *
 * <ul>
 *   <li><b>JNI ops</b>: calls that run a tensor operation; metadata queries (shape, dtype, device),
 *       index building, argument marshalling for TorchScript, frees and grad-mode switches are
 *       counted under {@code jni_calls} only.
 *   <li><b>aten ops</b>: the profiler's top-level ops on the caller's thread.
 *   <li><b>reads</b>: device→host copies of tensor data ({@code torchDataPtr}, {@code
 *       torchDirectByteBuffer}); <b>uploads</b>: tensors made from host memory ({@code
 *       torchFromBlob}, {@code torchSet}); <b>syncing ops</b>: ops that need a device value on the
 *       host ({@code aten::item}, {@code aten::nonzero}, ...).
 * </ul>
 *
 * <p>Cross-check: every non-indexing JNI op dispatches a fixed list of top-level aten ops with
 * known names (usually one: {@code torchLogSoftmax} → {@code aten::log_softmax}, {@code
 * moduleRunMethod} → {@code forward}), so the two counts must agree name by name; what remains of
 * the profiler's count must come from indexing calls (slices, selects and copies), at least one per
 * call.
 */
public final class OpCounts {

    /** JNI calls that only read metadata, build indices, marshal arguments or free memory. */
    private static final Set<String> BOOKKEEPING =
            Set.of(
                    "torchSizes",
                    "torchDType",
                    "torchDevice",
                    "torchLayout",
                    "torchIsContiguous",
                    "torchIsGradMode",
                    "torchSetGradMode",
                    "torchRequiresGrad",
                    "torchAttachGrad",
                    "torchGradFnName",
                    "torchStartProfile",
                    "torchStopProfile",
                    "setGraphExecutorOptimize",
                    "torchDeleteTensor",
                    "torchDeleteIndex",
                    "torchDeleteIValue",
                    "torchDeleteModule",
                    "torchIndexInit",
                    "torchIndexAppendNoneEllipsis",
                    "torchIndexAppendSlice",
                    "torchIndexAppendFixed",
                    "torchIndexAppendArray");

    private static final Set<String> READS = Set.of("torchDataPtr", "torchDirectByteBuffer");
    private static final Set<String> UPLOADS = Set.of("torchFromBlob", "torchSet");

    /** JNI calls that index: each dispatches one or more slice/select/index/copy ops. */
    private static final Set<String> INDEXING =
            Set.of("torchIndexAdvGet", "torchIndexAdvPut", "torchIndexPut", "torchGetItem");

    /** Top-level aten ops that indexing calls dispatch. */
    private static final Set<String> INDEXING_ATEN =
            Set.of(
                    "aten::slice",
                    "aten::select",
                    "aten::index",
                    "aten::index_put_",
                    "aten::copy_",
                    "aten::fill_",
                    "aten::unsqueeze",
                    "aten::expand",
                    "aten::view",
                    "aten::alias");

    /**
     * JNI ops whose top-level aten ops are not the snake case of the JNI name (read from the
     * profiler; {@code torchNeq} is {@code eq} followed by an in-place {@code logical_not_}).
     */
    private static final Map<String, List<String>> ATEN_NAMES =
            Map.ofEntries(
                    Map.entry("torchTrueDivide", List.of("aten::div")),
                    Map.entry("torchTrueDividei", List.of("aten::div_")),
                    Map.entry("torchAddi", List.of("aten::add_")),
                    Map.entry("torchSubi", List.of("aten::sub_")),
                    Map.entry("torchMuli", List.of("aten::mul_")),
                    Map.entry("torchGte", List.of("aten::ge")),
                    Map.entry("torchLte", List.of("aten::le")),
                    Map.entry("torchNeq", List.of("aten::eq", "aten::logical_not_")),
                    Map.entry("torchMaximum", List.of("aten::max")),
                    Map.entry("torchMinimum", List.of("aten::min")),
                    Map.entry("torchSplit", List.of("aten::split_with_sizes")),
                    Map.entry("torchDetachGrad", List.of("aten::detach")),
                    Map.entry("torchIsNaN", List.of("aten::isnan")),
                    Map.entry("torchIsInf", List.of("aten::isinf")),
                    Map.entry("tensorClone", List.of("aten::clone")),
                    Map.entry("moduleRunMethod", List.of("forward")));

    private final Map<String, Long> jni;
    private final TraceSummary trace;

    /**
     * Combines the two sources for one window.
     *
     * @param jni JNI calls in the window, by name (from {@link JniCalls#difference})
     * @param trace the profiler's summary of the same window
     */
    public OpCounts(Map<String, Long> jni, TraceSummary trace) {
        this.jni = jni;
        this.trace = trace;
    }

    /**
     * Returns the JNI calls that run a tensor operation.
     *
     * @return the count
     */
    public long jniOps() {
        long n = 0;
        for (Map.Entry<String, Long> e : jni.entrySet()) {
            if (isOp(e.getKey())) {
                n += e.getValue();
            }
        }
        return n;
    }

    /**
     * Returns all JNI calls.
     *
     * @return the count
     */
    public long jniCalls() {
        long n = 0;
        for (long v : jni.values()) {
            n += v;
        }
        return n;
    }

    /**
     * Returns the device→host reads.
     *
     * @return the count
     */
    public long reads() {
        return sum(READS);
    }

    /**
     * Returns the tensors made from host memory.
     *
     * @return the count
     */
    public long uploads() {
        return sum(UPLOADS);
    }

    /**
     * Returns the profiler's top-level ops on the caller's thread.
     *
     * @return the count
     */
    public long atenOps() {
        return trace.topLevelOps();
    }

    private long sum(Set<String> names) {
        long n = 0;
        for (String s : names) {
            n += jni.getOrDefault(s, 0L);
        }
        return n;
    }

    private static boolean isOp(String name) {
        if (name.startsWith("module")) {
            return name.equals("moduleRunMethod");
        }
        return !BOOKKEEPING.contains(name)
                && !READS.contains(name)
                && !UPLOADS.contains(name)
                && !name.startsWith("iValue");
    }

    /**
     * Returns the top-level aten ops a non-indexing JNI op dispatches, in order.
     *
     * @param jniName e.g. {@code torchLogSoftmax}
     * @return e.g. {@code [aten::log_softmax]}
     */
    static List<String> atenNames(String jniName) {
        List<String> mapped = ATEN_NAMES.get(jniName);
        if (mapped != null) {
            return mapped;
        }
        String base = jniName.startsWith("torch") ? jniName.substring(5) : jniName;
        StringBuilder b = new StringBuilder("aten::");
        for (int i = 0; i < base.length(); i++) {
            char c = base.charAt(i);
            if (Character.isUpperCase(c) && i > 0) {
                b.append('_');
            }
            b.append(Character.toLowerCase(c));
        }
        return List.of(b.toString().toLowerCase(Locale.ROOT));
    }

    /**
     * Compares the sources name by name; see the class notes.
     *
     * @return {@code {agree, matched_ops, mismatches: [...], indexing_jni_calls, indexing_aten_ops,
     *     unexplained_aten: {...}}}
     */
    public JsonObject crossCheck() {
        Map<String, Long> aten = new TreeMap<>(trace.topLevelByName());
        // A call of the engine's program is recorded under its method's name, not "forward".
        for (String method : TttProgram.METHODS) {
            Long calls = aten.remove(method);
            if (calls != null) {
                aten.merge("forward", calls, Long::sum);
            }
        }
        Map<String, Long> expected = new TreeMap<>();
        long indexingCalls = 0;
        for (Map.Entry<String, Long> e : jni.entrySet()) {
            if (!isOp(e.getKey())) {
                continue;
            }
            if (INDEXING.contains(e.getKey())) {
                indexingCalls += e.getValue();
                continue;
            }
            for (String name : atenNames(e.getKey())) {
                expected.merge(name, e.getValue(), Long::sum);
            }
        }
        JsonArray mismatches = new JsonArray();
        long matched = 0;
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            long seen = aten.getOrDefault(e.getKey(), 0L);
            long want = e.getValue();
            long explained = Math.min(seen, want);
            if (seen != want && !(INDEXING_ATEN.contains(e.getKey()) && seen > want)) {
                JsonObject m = new JsonObject();
                m.addProperty("aten", e.getKey());
                m.addProperty("jni", want);
                m.addProperty("profiler", seen);
                mismatches.add(m);
            }
            matched += explained;
            if (seen > explained) {
                aten.put(e.getKey(), seen - explained);
            } else {
                aten.remove(e.getKey());
            }
        }
        long indexingAten = 0;
        JsonObject unexplained = new JsonObject();
        for (Map.Entry<String, Long> e : aten.entrySet()) {
            if (INDEXING_ATEN.contains(e.getKey())) {
                indexingAten += e.getValue();
            } else {
                unexplained.addProperty(e.getKey(), e.getValue());
            }
        }
        boolean indexingConsistent =
                indexingCalls == 0 ? indexingAten == 0 : indexingAten >= indexingCalls;
        JsonObject o = new JsonObject();
        o.addProperty(
                "agree", mismatches.isEmpty() && unexplained.size() == 0 && indexingConsistent);
        o.addProperty("matched_ops", matched);
        o.add("mismatches", mismatches);
        o.addProperty("indexing_jni_calls", indexingCalls);
        o.addProperty("indexing_aten_ops", indexingAten);
        o.add("unexplained_aten", unexplained);
        return o;
    }

    /**
     * Returns the counts of the window.
     *
     * @return {@code aten_ops, jni_ops, jni_calls, reads, uploads, syncing_ops, host_syncs,
     *     other_thread_aten_ops}
     */
    public Map<String, Long> metrics() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("aten_ops", atenOps());
        m.put("jni_ops", jniOps());
        m.put("jni_calls", jniCalls());
        m.put("reads", reads());
        m.put("uploads", uploads());
        m.put("syncing_ops", trace.syncingOpCount());
        m.put("host_syncs", reads() + uploads() + trace.syncingOpCount());
        m.put("other_thread_aten_ops", trace.otherThreadTopLevelOps());
        return m;
    }

    /**
     * Returns the counts of one window divided by a number of units (e.g. tokens).
     *
     * @param window the counts
     * @param units the divisor
     * @return metric → count per unit
     */
    public static JsonObject perUnit(Map<String, Long> window, double units) {
        return perUnit(window, null, units);
    }

    /**
     * Returns the difference of two windows' counts per unit: a long run minus a short one, so that
     * the cost shared by both (the call's own setup) cancels.
     *
     * @param longer the longer window
     * @param shorter the shorter window, or {@code null}
     * @param units how many units (e.g. mini-batches) the longer window has in addition
     * @return metric → count per unit
     */
    public static JsonObject perUnit(
            Map<String, Long> longer, Map<String, Long> shorter, double units) {
        JsonObject o = new JsonObject();
        for (Map.Entry<String, Long> e : longer.entrySet()) {
            long d = e.getValue() - (shorter == null ? 0 : shorter.getOrDefault(e.getKey(), 0L));
            o.addProperty(e.getKey(), Math.round(d / units * 100) / 100.0);
        }
        return o;
    }

    /**
     * Returns the raw JNI counts by name.
     *
     * @return name → calls
     */
    public Map<String, Long> jniByName() {
        return jni;
    }

    /**
     * Returns the profiler summary.
     *
     * @return the summary
     */
    public TraceSummary trace() {
        return trace;
    }
}
