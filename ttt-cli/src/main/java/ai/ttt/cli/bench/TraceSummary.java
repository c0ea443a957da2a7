package ai.ttt.cli.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What PyTorch's profiler recorded in a window: a Chrome trace written by {@code
 * JniUtils.stopProfile}, reduced to counts and times.
 *
 * <p>An op is <i>top-level</i> when no other recorded op encloses it on the same thread: that is an
 * op the caller issued (a DJL call, or a TorchScript kernel call shown as {@code forward}), as
 * opposed to the ops it runs inside. The caller's thread is the one with the most top-level ops;
 * top-level ops of other threads (e.g. an autograd device thread on GPU) are counted apart.
 */
public final class TraceSummary {

    /**
     * Ops that need a device value on the host (a synchronisation on an accelerator), counted at
     * any depth.
     */
    static final Set<String> SYNCING_OPS =
            Set.of(
                    "aten::item",
                    "aten::_local_scalar_dense",
                    "aten::nonzero",
                    "aten::nonzero_static",
                    "aten::masked_select",
                    "aten::_unique",
                    "aten::_unique2",
                    "aten::unique_consecutive",
                    "aten::unique_dim",
                    "aten::is_nonzero",
                    "aten::equal",
                    "aten::_assert_async");

    /** The name under which a TorchScript module call is recorded. */
    private static final String KERNEL_CALL = "forward";

    private final Map<String, Long> topLevel;
    private final Map<String, Double> topLevelMillis;
    private final Map<String, Double> selfMillis;
    private final Map<String, Long> syncing;
    private final long otherThreadTopLevel;
    private final long events;
    private final double spanMillis;

    private TraceSummary(
            Map<String, Long> topLevel,
            Map<String, Double> topLevelMillis,
            Map<String, Double> selfMillis,
            Map<String, Long> syncing,
            long otherThreadTopLevel,
            long events,
            double spanMillis) {
        this.topLevel = topLevel;
        this.topLevelMillis = topLevelMillis;
        this.selfMillis = selfMillis;
        this.syncing = syncing;
        this.otherThreadTopLevel = otherThreadTopLevel;
        this.events = events;
        this.spanMillis = spanMillis;
    }

    /** One recorded op: times in nanoseconds. */
    private record Event(String name, String thread, long start, long end) {}

    /**
     * Reads a trace file.
     *
     * @param file the Chrome-trace JSON
     * @return the summary
     * @throws IOException if it cannot be read or is not a trace
     */
    public static TraceSummary read(Path file) throws IOException {
        JsonElement root;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = JsonParser.parseReader(r);
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a profiler trace: " + e.getMessage(), e);
        }
        JsonArray array =
                root.isJsonArray()
                        ? root.getAsJsonArray()
                        : root.getAsJsonObject().getAsJsonArray("traceEvents");
        if (array == null) {
            throw new IOException(file + ": no trace events");
        }
        List<Event> list = new ArrayList<>();
        for (JsonElement e : array) {
            JsonObject o = e.getAsJsonObject();
            if (!o.has("ph") || !"X".equals(o.get("ph").getAsString())) {
                continue;
            }
            long start = Math.round(o.get("ts").getAsDouble() * 1000);
            long dur = Math.round(o.get("dur").getAsDouble() * 1000);
            String thread = o.has("pid") ? o.get("pid").getAsString() : "";
            thread += "/" + (o.has("tid") ? o.get("tid").getAsString() : "");
            list.add(new Event(o.get("name").getAsString(), thread, start, start + dur));
        }
        return summarise(list);
    }

    private static TraceSummary summarise(List<Event> events) {
        Map<String, List<Event>> byThread = new HashMap<>();
        for (Event e : events) {
            byThread.computeIfAbsent(e.thread, k -> new ArrayList<>()).add(e);
        }
        Map<String, List<Event>> tops = new HashMap<>();
        Map<Event, String> kernels = new HashMap<>();
        Map<String, Double> self = new TreeMap<>();
        Map<String, Long> syncing = new TreeMap<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (Map.Entry<String, List<Event>> t : byThread.entrySet()) {
            List<Event> es = t.getValue();
            es.sort(
                    Comparator.comparingLong(Event::start)
                            .thenComparing(Comparator.comparingLong(Event::end).reversed()));
            List<Event> top = new ArrayList<>();
            Map<Event, Long> childTime = new HashMap<>();
            List<Event> stack = new ArrayList<>();
            for (Event e : es) {
                while (!stack.isEmpty() && stack.get(stack.size() - 1).end <= e.start) {
                    stack.remove(stack.size() - 1);
                }
                if (stack.isEmpty()) {
                    top.add(e);
                    first = Math.min(first, e.start);
                    last = Math.max(last, e.end);
                } else {
                    childTime.merge(stack.get(stack.size() - 1), e.end - e.start, Long::sum);
                    Event root = stack.get(0);
                    if (KERNEL_CALL.equals(root.name) && !kernels.containsKey(root)) {
                        if (e.name.contains("scaled_dot_product")) {
                            kernels.put(root, "forward (attention kernel)");
                        } else if (e.name.startsWith("autograd::")) {
                            kernels.put(root, "forward (autograd.grad kernel: TTT backward)");
                        }
                    }
                }
                stack.add(e);
                if (SYNCING_OPS.contains(e.name)) {
                    syncing.merge(e.name, 1L, Long::sum);
                }
            }
            for (Event e : es) {
                long own = e.end - e.start - childTime.getOrDefault(e, 0L);
                self.merge(e.name, Math.max(0, own) / 1e6, Double::sum);
            }
            tops.put(t.getKey(), top);
        }
        String caller = null;
        for (Map.Entry<String, List<Event>> t : tops.entrySet()) {
            if (caller == null || t.getValue().size() > tops.get(caller).size()) {
                caller = t.getKey();
            }
        }
        Map<String, Long> topLevel = new TreeMap<>();
        Map<String, Double> topMillis = new TreeMap<>();
        long other = 0;
        for (Map.Entry<String, List<Event>> t : tops.entrySet()) {
            if (!t.getKey().equals(caller)) {
                other += t.getValue().size();
                continue;
            }
            for (Event e : t.getValue()) {
                topLevel.merge(e.name, 1L, Long::sum);
                topMillis.merge(
                        kernels.getOrDefault(e, e.name), (e.end - e.start) / 1e6, Double::sum);
            }
        }
        double span = events.isEmpty() ? 0 : (last - first) / 1e6;
        return new TraceSummary(topLevel, topMillis, self, syncing, other, events.size(), span);
    }

    /**
     * Returns the number of top-level ops on the caller's thread.
     *
     * @return the count
     */
    public long topLevelOps() {
        long n = 0;
        for (long v : topLevel.values()) {
            n += v;
        }
        return n;
    }

    /**
     * Returns the top-level ops on the caller's thread by name.
     *
     * @return name → count
     */
    public Map<String, Long> topLevelByName() {
        return topLevel;
    }

    /**
     * Returns the ops that need a device value on the host, at any depth, by name.
     *
     * @return name → count
     */
    public Map<String, Long> syncingOps() {
        return syncing;
    }

    /**
     * Returns the number of ops that need a device value on the host.
     *
     * @return the count
     */
    public long syncingOpCount() {
        long n = 0;
        for (long v : syncing.values()) {
            n += v;
        }
        return n;
    }

    /**
     * Returns the number of top-level ops on threads other than the caller's.
     *
     * @return the count
     */
    public long otherThreadTopLevelOps() {
        return otherThreadTopLevel;
    }

    /**
     * Returns the number of recorded events at every depth.
     *
     * @return the count
     */
    public long events() {
        return events;
    }

    /**
     * Returns the time from the first top-level op's start to the last one's end.
     *
     * @return milliseconds (profiling overhead included)
     */
    public double spanMillis() {
        return spanMillis;
    }

    /**
     * Returns where the time went: the ops with the most exclusive (self) time, at any depth, and
     * the top-level ops with the most inclusive time.
     *
     * @param limit how many of each
     * @return {@code {self_ms: {...}, top_level_ms: {...}, span_ms}}
     */
    public JsonObject timeBreakdown(int limit) {
        JsonObject o = new JsonObject();
        o.add("self_ms", largest(selfMillis, limit));
        o.add("top_level_ms", largest(topLevelMillis, limit));
        o.addProperty("span_ms", spanMillis);
        return o;
    }

    private static JsonObject largest(Map<String, Double> m, int limit) {
        JsonObject o = new JsonObject();
        Map<String, Double> sorted = new LinkedHashMap<>();
        m.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .limit(limit)
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        sorted.forEach((k, v) -> o.addProperty(k, Math.round(v * 1000) / 1000.0));
        return o;
    }
}
