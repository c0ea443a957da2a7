package ai.ttt.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two op counters against hand counts and against each other. */
class OpCountingTest {

    @Test
    void profilerCountsExactlyTheOpsIssuedByHand(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("trace.json");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.ones(new Shape(4, 4));
            JniUtils.startProfile(false, false, false);
            NDArray b = a.add(a); // aten::add
            NDArray c = b.mul(b); // aten::mul
            NDArray d = c.matMul(a); // aten::matmul (runs aten::mm inside)
            NDArray e = d.reshape(16); // aten::reshape (runs aten::view inside)
            NDArray f = e.softmax(0); // aten::softmax (runs aten::_softmax inside)
            JniUtils.stopProfile(trace.toString());
            assertEquals(16, f.getShape().size());
        }
        TraceSummary s = TraceSummary.read(trace);
        assertEquals(
                Map.of(
                        "aten::add", 1L,
                        "aten::mul", 1L,
                        "aten::matmul", 1L,
                        "aten::reshape", 1L,
                        "aten::softmax", 1L),
                s.topLevelByName());
        assertEquals(5, s.topLevelOps());
        assertTrue(s.events() > 5, "nested ops are recorded but not counted at top level");
        assertEquals(0, s.syncingOpCount());
    }

    @Test
    void nestingIsPerThreadAndSyncingOpsCountAtAnyDepth(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("t.json");
        String events =
                "["
                        + event("aten::matmul", 1, 0, 10)
                        + ","
                        + event("aten::mm", 1, 1, 8)
                        + ","
                        + event("aten::add", 1, 12, 2)
                        + ","
                        + event("aten::item", 1, 15, 3)
                        + ","
                        + event("aten::_local_scalar_dense", 1, 16, 1)
                        + ","
                        + event("aten::mul", 2, 2, 3)
                        + "]";
        Files.writeString(trace, events, StandardCharsets.UTF_8);
        TraceSummary s = TraceSummary.read(trace);
        assertEquals(
                Map.of("aten::matmul", 1L, "aten::add", 1L, "aten::item", 1L), s.topLevelByName());
        assertEquals(1, s.otherThreadTopLevelOps());
        assertEquals(Map.of("aten::item", 1L, "aten::_local_scalar_dense", 1L), s.syncingOps());
    }

    @Test
    void crossCheckAgreesOnlyWhenTheSourcesMatchNameByName(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("t.json");
        Files.writeString(
                trace,
                "["
                        + event("aten::add", 1, 0, 1)
                        + ","
                        + event("aten::add", 1, 2, 1)
                        + ","
                        + event("aten::log_softmax", 1, 4, 1)
                        + ","
                        + event("aten::slice", 1, 6, 1)
                        + ","
                        + event("aten::slice", 1, 8, 1)
                        + ","
                        + event("forward", 1, 10, 5)
                        + ","
                        + event("aten::mm", 1, 11, 1)
                        + "]",
                StandardCharsets.UTF_8);
        TraceSummary s = TraceSummary.read(trace);
        Map<String, Long> jni =
                Map.of(
                        "torchAdd", 2L,
                        "torchLogSoftmax", 1L,
                        "torchIndexAdvGet", 1L,
                        "moduleRunMethod", 1L,
                        "torchSizes", 7L,
                        "torchDeleteTensor", 4L);
        OpCounts ok = new OpCounts(jni, s);
        JsonObject c = ok.crossCheck();
        assertTrue(c.get("agree").getAsBoolean(), c.toString());
        assertEquals(4, c.get("matched_ops").getAsLong());
        assertEquals(2, c.get("indexing_aten_ops").getAsLong());
        assertEquals(5, ok.jniOps());
        assertEquals(16, ok.jniCalls());
        assertEquals(6, ok.atenOps());

        OpCounts missing =
                new OpCounts(
                        Map.of(
                                "torchAdd", 3L,
                                "torchLogSoftmax", 1L,
                                "torchIndexAdvGet", 1L,
                                "moduleRunMethod", 1L),
                        s);
        assertFalse(missing.crossCheck().get("agree").getAsBoolean());
        OpCounts unexplained = new OpCounts(Map.of("torchAdd", 2L, "torchIndexAdvGet", 1L), s);
        assertFalse(unexplained.crossCheck().get("agree").getAsBoolean());
    }

    @Test
    void jniNamesMapToAtenNames() {
        assertEquals(java.util.List.of("aten::log_softmax"), OpCounts.atenNames("torchLogSoftmax"));
        assertEquals(
                java.util.List.of("aten::repeat_interleave"),
                OpCounts.atenNames("torchRepeatInterleave"));
        assertEquals(java.util.List.of("aten::div"), OpCounts.atenNames("torchTrueDivide"));
        assertEquals(java.util.List.of("forward"), OpCounts.atenNames("moduleRunMethod"));
    }

    @Test
    void statsGiveMedianAndSpread() {
        Stats s = Stats.of(3, 1, 2, 10);
        assertEquals(2.5, s.median(), 1e-12);
        assertEquals(1, s.min());
        assertEquals(10, s.max());
        assertEquals(1.75, s.q1(), 1e-12);
        assertEquals(4.75, s.q3(), 1e-12);
        assertEquals(s, Stats.fromJson(s.toJson()));
    }

    private static String event(String name, int tid, double tsMicros, double durMicros) {
        return String.format(
                java.util.Locale.ROOT,
                "{\"name\": \"%s\", \"ph\": \"X\", \"ts\": %.6f, \"dur\": %.6f, \"tid\": %d,"
                        + " \"pid\": \"CPU Functions\", \"args\": {}}",
                name,
                tsMicros,
                durMicros,
                tid);
    }
}
