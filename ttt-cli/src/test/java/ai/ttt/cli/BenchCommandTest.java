package ai.ttt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ttt bench} end to end on the tiny preset: table, JSON, plots and the op cross-check. */
class BenchCommandTest {

    @Test
    void tinyPresetWritesTableJsonPlotsAndCrossCheckedOpCounts(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bench-out");
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            code =
                    TttCommand.execute(
                            "bench",
                            "--preset",
                            "tiny",
                            "--contexts",
                            "32,64",
                            "--window",
                            "24",
                            "--mini-batch",
                            "16",
                            "--modes",
                            "ttt-e2e,full",
                            "--decode-tokens",
                            "16",
                            "--warmup",
                            "0",
                            "--repeats",
                            "2",
                            "--prefill-piece",
                            "32",
                            "--output",
                            out.toString());
        } finally {
            System.setOut(old);
        }
        String table = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, table);

        // The table names every configuration asked for, and the op counts.
        for (String mode : new String[] {"ttt-e2e", "full"}) {
            for (String context : new String[] {"32", "64"}) {
                assertTrue(
                        table.lines()
                                .anyMatch(
                                        l -> l.startsWith(mode) && l.contains(" " + context + " ")),
                        "no row for " + mode + " " + context + " in\n" + table);
            }
        }
        assertTrue(table.contains("prefill mini-batch"), table);
        assertTrue(table.contains("agrees"), table);

        // bench.json: one result per (mode, context), each from real repeated runs.
        JsonObject report =
                JsonParser.parseString(Files.readString(out.resolve("bench.json")))
                        .getAsJsonObject();
        JsonArray results = report.getAsJsonArray("results");
        assertEquals(4, results.size());
        Set<String> seen = new HashSet<>();
        for (JsonElement e : results) {
            JsonObject r = e.getAsJsonObject();
            seen.add(r.get("mode").getAsString() + "@" + r.get("context").getAsInt());
            JsonObject prefill = r.getAsJsonObject("prefill_s_per_1k");
            assertEquals(2, prefill.getAsJsonArray("runs").size());
            assertTrue(prefill.get("median").getAsDouble() > 0);
            assertTrue(prefill.get("min").getAsDouble() <= prefill.get("max").getAsDouble());
            assertTrue(r.getAsJsonObject("decode_ms_per_token").get("median").getAsDouble() > 0);
            assertTrue(r.get("peak_rss_bytes").getAsLong() > 10_000_000L, r.toString());
        }
        assertEquals(Set.of("ttt-e2e@32", "ttt-e2e@64", "full@32", "full@64"), seen);
        JsonObject e2e64 = find(results, "ttt-e2e", 64);
        assertEquals(4, e2e64.get("prefill_ttt_steps").getAsInt());
        assertEquals(3, e2e64.get("prefill_feed_calls").getAsInt()); // 32 + 32 + 1 tokens
        assertEquals(1, e2e64.get("decode_ttt_steps").getAsInt());
        assertEquals(24, e2e64.getAsJsonObject("config").get("window").getAsInt());
        assertEquals(1, e2e64.getAsJsonObject("config").get("suffix_layers").getAsInt());
        // Full attention sees every token fed: context + 1 + decoded + 1.
        assertEquals(
                64 + 1 + 16 + 1,
                find(results, "full", 64).getAsJsonObject("config").get("window").getAsInt());
        assertTrue(report.getAsJsonObject("ratios").has("ttt-e2e"));

        // Plots: real PNGs of the configured size.
        for (String png : new String[] {"bench.png", "bench-decode.png"}) {
            BufferedImage image = ImageIO.read(out.resolve(png).toFile());
            assertNotNull(image, png);
            assertEquals(900, image.getWidth());
        }

        // Op counts: the Java-side JNI call counter and PyTorch's profiler are independent
        // sources; they must agree op name by op name. With the engine's program a prefill
        // mini-batch and a decoded token are a handful of engine calls (issue 11, acceptance 3).
        JsonObject ops = report.getAsJsonObject("ops");
        assertTrue(ops.get("jni_counter_installed").getAsBoolean());
        JsonArray modes = ops.getAsJsonArray("modes");
        assertEquals(2, modes.size());
        for (JsonElement e : modes) {
            JsonObject m = e.getAsJsonObject();
            for (String check : new String[] {"cross_check", "decode_cross_check"}) {
                JsonObject c = m.getAsJsonObject(check);
                assertTrue(c.get("agree").getAsBoolean(), m.get("mode") + " " + check + ": " + c);
            }
            JsonObject perBatch = m.getAsJsonObject("prefill_per_mini_batch");
            assertTrue(perBatch.get("jni_ops").getAsDouble() <= 100, perBatch.toString());
            assertTrue(perBatch.get("jni_calls").getAsDouble() <= 400, perBatch.toString());
            JsonObject token = m.getAsJsonObject("decode_per_token");
            assertTrue(token.get("jni_ops").getAsDouble() <= 50, token.toString());
            assertTrue(token.get("jni_calls").getAsDouble() <= 200, token.toString());
            assertNoHostSync(perBatch, m);
            if (m.get("mode").getAsString().equals("ttt-e2e")) {
                assertTrue(m.has("decode_closing_token"));
            }
        }
    }

    @Test
    void plainEngineOpCountsCrossCheckOnThousandsOfOps(@TempDir Path dir) throws Exception {
        // The counters are validated where there is much to count: the DJL-op reference engine.
        Path out = dir.resolve("ops");
        int code =
                TttCommand.execute(
                        "bench",
                        "--preset",
                        "tiny",
                        "--window",
                        "24",
                        "--mini-batch",
                        "16",
                        "--modes",
                        "ttt-e2e,full",
                        "--execution",
                        "plain",
                        "--ops-only",
                        "--output",
                        out.toString());
        assertEquals(0, code);
        JsonObject report =
                JsonParser.parseString(Files.readString(out.resolve("bench.json")))
                        .getAsJsonObject();
        double e2eOps = 0;
        double fullOps = 0;
        for (JsonElement e : report.getAsJsonObject("ops").getAsJsonArray("modes")) {
            JsonObject m = e.getAsJsonObject();
            for (String check : new String[] {"cross_check", "decode_cross_check"}) {
                JsonObject c = m.getAsJsonObject(check);
                assertTrue(c.get("agree").getAsBoolean(), m.get("mode") + " " + check + ": " + c);
                assertTrue(c.get("matched_ops").getAsLong() > 100, c.toString());
            }
            JsonObject perBatch = m.getAsJsonObject("prefill_per_mini_batch");
            assertTrue(
                    perBatch.get("aten_ops").getAsDouble()
                            >= perBatch.get("jni_ops").getAsDouble());
            assertTrue(perBatch.get("jni_ops").getAsDouble() > 100);
            assertNoHostSync(perBatch, m);
            if (m.get("mode").getAsString().equals("ttt-e2e")) {
                e2eOps = perBatch.get("aten_ops").getAsDouble();
            } else {
                fullOps = perBatch.get("aten_ops").getAsDouble();
            }
        }
        // Real runs: the TTT step (loss, autograd kernel, clipped update) costs ops that the
        // sliding-window/full model without fast weights does not have.
        assertTrue(e2eOps > fullOps + 20, e2eOps + " vs " + fullOps);
    }

    /** The engine reads nothing back and uploads nothing inside a prefill mini-batch. */
    private static void assertNoHostSync(JsonObject perBatch, JsonObject mode) {
        assertEquals(0.0, perBatch.get("reads").getAsDouble(), mode.toString());
        assertEquals(0.0, perBatch.get("uploads").getAsDouble(), mode.toString());
        assertEquals(0.0, perBatch.get("syncing_ops").getAsDouble(), mode.toString());
    }

    @Test
    void unknownModeIsAnInputError(@TempDir Path dir) {
        int code =
                TttCommand.execute("bench", "--modes", "ttt-e2e,bogus", "--output", dir.toString());
        assertEquals(TttCommand.EXIT_INPUT, code);
    }

    private static JsonObject find(JsonArray results, String mode, int context) {
        for (JsonElement e : results) {
            JsonObject r = e.getAsJsonObject();
            if (r.get("mode").getAsString().equals(mode)
                    && r.get("context").getAsInt() == context) {
                return r;
            }
        }
        throw new AssertionError("no result for " + mode + " " + context);
    }
}
