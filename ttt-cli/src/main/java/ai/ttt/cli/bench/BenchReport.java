package ai.ttt.cli.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Renders a benchmark's results: the terminal table, the ratios and the plots. */
public final class BenchReport {

    private static final String FAILED = "failed";

    private BenchReport() {}

    /**
     * Returns the terminal table of timings and memory, and the op counts if present.
     *
     * @param report the {@code bench.json} object
     * @return the text
     */
    public static String table(JsonObject report) {
        StringBuilder b = new StringBuilder();
        b.append(
                String.format(
                        Locale.ROOT,
                        "ttt bench: preset %s, %s %s, attention %s, window %d, mini-batch %d,"
                                + " %d warm-up + %d repeats (median [min–max])%n",
                        report.get("preset").getAsString(),
                        report.get("device").getAsString(),
                        report.get("dtype").getAsString(),
                        report.get("attention").getAsString(),
                        report.get("window").getAsInt(),
                        report.get("mini_batch").getAsInt(),
                        report.get("warmup").getAsInt(),
                        report.get("repeats").getAsInt()));
        String memHeader =
                "gpu".equals(report.get("device").getAsString()) ? "GPU mem" : "peak RSS";
        b.append(
                String.format(
                        Locale.ROOT,
                        "%-8s %8s  %-28s %-28s %10s %9s%n",
                        "mode",
                        "context",
                        "prefill s / 1K tokens",
                        "decode ms / token",
                        memHeader,
                        "CPU/wall"));
        for (JsonElement e : report.getAsJsonArray("results")) {
            JsonObject r = e.getAsJsonObject();
            String prefill = FAILED;
            String decode = FAILED;
            String mem = "";
            String cpu = "";
            if (r.has("prefill_cpu_per_wall")) {
                cpu =
                        String.format(
                                Locale.ROOT,
                                "%.2f",
                                Stats.fromJson(r.getAsJsonObject("prefill_cpu_per_wall")).median());
            }
            if (!r.has("error")) {
                prefill = stats(r, "prefill_s_per_1k", "%.4f");
                decode =
                        r.has("decode_ms_per_token")
                                ? stats(r, "decode_ms_per_token", "%.2f")
                                : "-";
                long bytes =
                        r.has("gpu_memory_bytes")
                                ? r.get("gpu_memory_bytes").getAsLong()
                                : r.get("peak_rss_bytes").getAsLong();
                mem = bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
            }
            b.append(
                    String.format(
                            Locale.ROOT,
                            "%-8s %8d  %-28s %-28s %10s %9s%n",
                            r.get("mode").getAsString(),
                            r.get("context").getAsInt(),
                            prefill,
                            decode,
                            mem,
                            cpu));
        }
        if (report.has("ratios")) {
            JsonObject ratios = report.getAsJsonObject("ratios");
            for (String mode : ratios.keySet()) {
                JsonObject q = ratios.getAsJsonObject(mode);
                b.append(
                        String.format(
                                Locale.ROOT,
                                "%s, context %d over %d: prefill %.3f (CPU time %s), decode %s,"
                                        + " memory %.3f%n",
                                mode,
                                q.get("long_context").getAsInt(),
                                q.get("short_context").getAsInt(),
                                q.get("prefill").getAsDouble(),
                                q.has("prefill_cpu")
                                        ? String.format(
                                                Locale.ROOT,
                                                "%.3f",
                                                q.get("prefill_cpu").getAsDouble())
                                        : "-",
                                q.has("decode")
                                        ? String.format(
                                                Locale.ROOT, "%.3f", q.get("decode").getAsDouble())
                                        : "-",
                                q.get("memory").getAsDouble()));
            }
        }
        if (report.has("ops") && report.getAsJsonObject("ops").has("modes")) {
            JsonObject ops = report.getAsJsonObject("ops");
            b.append(
                    String.format(
                            Locale.ROOT,
                            "engine ops and host syncs (layer structure of %s on a narrow model):%n",
                            report.get("preset").getAsString()));
            b.append(
                    String.format(
                            Locale.ROOT,
                            "%-8s %-22s %10s %10s %10s %8s %8s %8s  %s%n",
                            "mode",
                            "per",
                            "aten ops",
                            "JNI ops",
                            "JNI calls",
                            "reads",
                            "uploads",
                            "syncing",
                            "cross-check"));
            for (JsonElement e : ops.getAsJsonArray("modes")) {
                JsonObject m = e.getAsJsonObject();
                String agree =
                        m.getAsJsonObject("cross_check").get("agree").getAsBoolean()
                                ? "agrees"
                                : "DISAGREES";
                opsRow(b, m, "prefill_per_mini_batch", "prefill mini-batch", agree);
                opsRow(b, m, "decode_per_token", "decode token", "");
                opsRow(b, m, "decode_closing_token", "decode token + step", "");
                opsRow(b, m, "decode_amortised_per_token", "decode, amortised", "");
            }
        }
        return b.toString();
    }

    private static void opsRow(
            StringBuilder b, JsonObject m, String key, String label, String note) {
        if (!m.has(key)) {
            return;
        }
        JsonObject c = m.getAsJsonObject(key);
        b.append(
                String.format(
                        Locale.ROOT,
                        "%-8s %-22s %10.1f %10.1f %10.1f %8.2f %8.2f %8.2f  %s%n",
                        m.get("mode").getAsString(),
                        label,
                        c.get("aten_ops").getAsDouble(),
                        c.get("jni_ops").getAsDouble(),
                        c.get("jni_calls").getAsDouble(),
                        c.get("reads").getAsDouble(),
                        c.get("uploads").getAsDouble(),
                        c.get("syncing_ops").getAsDouble(),
                        note));
    }

    private static String stats(JsonObject r, String key, String format) {
        Stats s = Stats.fromJson(r.getAsJsonObject(key));
        return String.format(
                Locale.ROOT,
                format + " [" + format + "–" + format + "]",
                s.median(),
                s.min(),
                s.max());
    }

    /**
     * Returns, per mode, the longest context's medians over the shortest's (prefill per 1K, decode
     * per token, peak memory).
     *
     * @param results the timing results
     * @return mode → ratios (modes with fewer than two successful contexts left out)
     */
    public static JsonObject ratios(JsonArray results) {
        Map<String, TreeMap<Integer, JsonObject>> byMode = new LinkedHashMap<>();
        for (JsonElement e : results) {
            JsonObject r = e.getAsJsonObject();
            if (r.has("error")) {
                continue;
            }
            byMode.computeIfAbsent(r.get("mode").getAsString(), k -> new TreeMap<>())
                    .put(r.get("context").getAsInt(), r);
        }
        JsonObject out = new JsonObject();
        for (Map.Entry<String, TreeMap<Integer, JsonObject>> m : byMode.entrySet()) {
            if (m.getValue().size() < 2) {
                continue;
            }
            JsonObject s = m.getValue().firstEntry().getValue();
            JsonObject l = m.getValue().lastEntry().getValue();
            JsonObject q = new JsonObject();
            q.addProperty("short_context", m.getValue().firstKey());
            q.addProperty("long_context", m.getValue().lastKey());
            q.addProperty("prefill", median(l, "prefill_s_per_1k") / median(s, "prefill_s_per_1k"));
            if (l.has("decode_ms_per_token") && s.has("decode_ms_per_token")) {
                q.addProperty(
                        "decode",
                        median(l, "decode_ms_per_token") / median(s, "decode_ms_per_token"));
            }
            double shortCpu = cpuSecondsPer1k(s);
            double longCpu = cpuSecondsPer1k(l);
            if (!Double.isNaN(shortCpu) && !Double.isNaN(longCpu)) {
                q.addProperty("prefill_cpu", longCpu / shortCpu);
            }
            String mem = l.has("gpu_memory_bytes") ? "gpu_memory_bytes" : "peak_rss_bytes";
            q.addProperty(
                    "memory", l.get(mem).getAsDouble() / Math.max(1, s.get(mem).getAsDouble()));
            out.add(m.getKey(), q);
        }
        return out;
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    /**
     * Labels a tick of the log2 axis with its token count: 11 → "2K", 11.5 → "2.9K", 17 → "128K"
     * (distinct labels for distinct ticks, which XChart requires).
     *
     * @param log2 a tick position
     * @return the label
     */
    public static String powerOfTwoLabel(double log2) {
        double v = Math.pow(2, log2);
        if (v >= 1 << 20) {
            return trim(v / (1 << 20)) + "M";
        }
        if (v >= 1024) {
            return trim(v / 1024) + "K";
        }
        return trim(v);
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.1f", v);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }

    /**
     * Returns the median over repeats of the prefill's process CPU seconds per 1K tokens (wall time
     * × CPU/wall of each run): less sensitive than wall time to other processes on a shared
     * machine, more to threads spinning.
     *
     * @param r a timing result
     * @return the median, or NaN if the result has no CPU figures
     */
    public static double cpuSecondsPer1k(JsonObject r) {
        if (!r.has("prefill_cpu_per_wall") || !r.has("prefill_s_per_1k")) {
            return Double.NaN;
        }
        JsonArray wall = r.getAsJsonObject("prefill_s_per_1k").getAsJsonArray("runs");
        JsonArray cpu = r.getAsJsonObject("prefill_cpu_per_wall").getAsJsonArray("runs");
        double[] v = new double[wall.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = wall.get(i).getAsDouble() * cpu.get(i).getAsDouble();
        }
        return Stats.of(v).median();
    }

    private static double median(JsonObject r, String key) {
        return r.getAsJsonObject(key).get("median").getAsDouble();
    }

    /**
     * Draws a latency plot: one line per mode against context length (log x), medians with the
     * spread as error bars.
     *
     * @param report the {@code bench.json} object
     * @param key {@code prefill_s_per_1k} or {@code decode_ms_per_token}
     * @param title the title
     * @param yLabel the y axis label
     * @return PNG bytes, or {@code null} if no result has the measure
     * @throws IOException if encoding fails
     */
    public static byte[] plot(JsonObject report, String key, String title, String yLabel)
            throws IOException {
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (JsonElement e : report.getAsJsonArray("results")) {
            JsonObject r = e.getAsJsonObject();
            if (r.has("error") || !r.has(key)) {
                continue;
            }
            Stats s = Stats.fromJson(r.getAsJsonObject(key));
            series.computeIfAbsent(r.get("mode").getAsString(), k -> new ArrayList<>())
                    .add(
                            new double[] {
                                r.get("context").getAsDouble(), s.median(), s.min(), s.max()
                            });
        }
        if (series.isEmpty()) {
            return null;
        }
        XYChart chart =
                new XYChartBuilder()
                        .width(900)
                        .height(560)
                        .title(
                                title
                                        + " — "
                                        + report.get("preset").getAsString()
                                        + ", "
                                        + report.get("device").getAsString()
                                        + " "
                                        + report.get("dtype").getAsString()
                                        + ", window "
                                        + report.get("window").getAsInt())
                        .xAxisTitle("context length (tokens, log scale)")
                        .yAxisTitle(yLabel)
                        .build();
        // Log x: the axis carries log2(context) and labels whole powers of two (XChart's own
        // logarithmic axis labels decades only, e.g. a lone "1E4" between 2K and 16K).
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (List<double[]> points : series.values()) {
            for (double[] p : points) {
                lo = Math.min(lo, log2(p[0]));
                hi = Math.max(hi, log2(p[0]));
            }
        }
        double pad = Math.max(0.3, (hi - lo) * 0.05);
        chart.getStyler().setXAxisMin(Math.floor(lo) - pad);
        chart.getStyler().setXAxisMax(Math.ceil(hi) + pad);
        chart.getStyler().setxAxisTickLabelsFormattingFunction(BenchReport::powerOfTwoLabel);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        for (Map.Entry<String, List<double[]>> s : series.entrySet()) {
            List<double[]> points = s.getValue();
            points.sort((p, q) -> Double.compare(p[0], q[0]));
            double[] x = new double[points.size()];
            double[] y = new double[points.size()];
            double[] err = new double[points.size()];
            for (int i = 0; i < x.length; i++) {
                double[] p = points.get(i);
                x[i] = log2(p[0]);
                y[i] = p[1];
                err[i] = Math.max(p[1] - p[2], p[3] - p[1]);
            }
            XYSeries xy = chart.addSeries(s.getKey(), x, y, err);
            xy.setMarker(SeriesMarkers.CIRCLE);
        }
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }
}
