package ai.ttt.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

/** Ratios and axis labels of the report. */
class BenchReportTest {

    @Test
    void ratiosAreLongestOverShortestContextPerMode() {
        JsonArray results = new JsonArray();
        results.add(result("ttt-e2e", 16384, 1.1, 22, 1100));
        results.add(result("ttt-e2e", 2048, 1.0, 20, 1000));
        results.add(result("full", 2048, 1.0, 20, 1000));
        JsonObject failed = new JsonObject();
        failed.addProperty("mode", "full");
        failed.addProperty("context", 16384);
        failed.addProperty("error", "worker exited with code 137");
        results.add(failed);
        JsonObject r = BenchReport.ratios(results);
        JsonObject e2e = r.getAsJsonObject("ttt-e2e");
        assertEquals(2048, e2e.get("short_context").getAsInt());
        assertEquals(16384, e2e.get("long_context").getAsInt());
        assertEquals(1.1, e2e.get("prefill").getAsDouble(), 1e-12);
        assertEquals(1.1, e2e.get("decode").getAsDouble(), 1e-12);
        assertEquals(1.1, e2e.get("memory").getAsDouble(), 1e-12);
        assertFalse(r.has("full"), "one successful context gives no ratio");
    }

    @Test
    void log2AxisLabelsAreTokenCounts() {
        assertEquals("2K", BenchReport.powerOfTwoLabel(11));
        assertEquals("2.8K", BenchReport.powerOfTwoLabel(11.5));
        assertEquals("128K", BenchReport.powerOfTwoLabel(17));
        assertEquals("1M", BenchReport.powerOfTwoLabel(20));
        assertEquals("512", BenchReport.powerOfTwoLabel(9));
    }

    private static JsonObject result(
            String mode, int context, double prefill, double decode, long rss) {
        JsonObject r = new JsonObject();
        r.addProperty("mode", mode);
        r.addProperty("context", context);
        r.add("prefill_s_per_1k", Stats.of(prefill).toJson());
        r.add("decode_ms_per_token", Stats.of(decode).toJson());
        r.addProperty("peak_rss_bytes", rss);
        return r;
    }
}
