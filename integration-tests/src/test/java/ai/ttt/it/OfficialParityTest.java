package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.engine.FeedResult;
import ai.ttt.block.engine.SequenceState;
import ai.ttt.block.engine.StateOptions;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.cli.TttCommand;
import ai.ttt.convert.ConvertOptions;
import ai.ttt.convert.OfficialConverter;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 2 acceptance 2 and issue 3 acceptance 1: the official fixtures convert from the official
 * layout and reproduce the JAX reference NLLs and mini-batch losses, with and without test-time
 * training, through prefill and through teacher-forced token-by-token decoding, to 1e-4.
 */
class OfficialParityTest {

    static final float TOLERANCE = 1e-4f;

    @ParameterizedTest
    @ValueSource(strings = {"official/tiny-L4-S1", "official/tiny-L4-S2-k24"})
    void matchesOfficialJax(String fixture, @TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("model");
        OfficialConverter.convert(Reference.dir(fixture), model, ConvertOptions.defaults());
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                Reference ref = new Reference(fixture, m)) {
            long[] tokens = ref.longs("tokens");
            for (AttentionMode mode : AttentionMode.values()) {
                TttLanguageModel lm =
                        ModelDirectory.load(model, m, Precision.FP32, mode.kernel(Device.cpu()));
                for (boolean ttt : new boolean[] {false, true}) {
                    String suffix = ttt ? "ttt" : "no_ttt";
                    NDArray nll = ref.get("token_nll_" + suffix);
                    NDArray chunks = ref.get("chunk_loss_" + suffix);
                    StateOptions options =
                            ttt ? StateOptions.inference() : StateOptions.withoutTtt();
                    // Prefill: the whole sequence in one feed.
                    try (SequenceState s = SequenceState.create(lm, 1, options)) {
                        FeedResult r = s.feed(new long[][] {tokens}, m);
                        float d = Reference.maxAbsDiff(r.targetNll().reshape(-1), nll);
                        System.out.printf(
                                "%s %s %s prefill: max|Δnll| %.2e%n", fixture, mode, suffix, d);
                        assertTrue(d <= TOLERANCE, "prefill nll " + d);
                        if (ttt) {
                            float dc = Reference.maxAbsDiff(r.chunkLosses().reshape(-1), chunks);
                            assertTrue(dc <= TOLERANCE, "prefill chunk loss " + dc);
                        }
                    }
                    // Decoding: a prompt that ends inside a mini-batch, then one token at a time.
                    try (SequenceState s = SequenceState.create(lm, 1, options)) {
                        NDList nlls = new NDList();
                        NDList losses = new NDList();
                        int prompt = 21;
                        for (int i = 0; i < tokens.length; i = i == 0 ? prompt : i + 1) {
                            int end = i == 0 ? prompt : i + 1;
                            long[] piece = java.util.Arrays.copyOfRange(tokens, i, end);
                            FeedResult r = s.feed(new long[][] {piece}, m);
                            if (r.targetNll() != null) {
                                nlls.add(r.targetNll());
                            }
                            if (r.chunkLosses() != null) {
                                losses.add(r.chunkLosses());
                            }
                        }
                        float d = Reference.maxAbsDiff(NDArrays.concat(nlls, 1).reshape(-1), nll);
                        System.out.printf(
                                "%s %s %s decode: max|Δnll| %.2e%n", fixture, mode, suffix, d);
                        assertTrue(d <= TOLERANCE, "decode nll " + d);
                        if (ttt) {
                            float dc =
                                    Reference.maxAbsDiff(
                                            NDArrays.concat(losses, 1).reshape(-1), chunks);
                            assertTrue(dc <= TOLERANCE, "decode chunk loss " + dc);
                        }
                    }
                }
            }
            // The parity command, with and without test-time training.
            Path idsFile = tmp.resolve("ids.txt");
            Files.writeString(
                    idsFile,
                    LongStream.of(tokens)
                            .mapToObj(Long::toString)
                            .collect(Collectors.joining(" ")));
            for (boolean ttt : new boolean[] {false, true}) {
                Path out = tmp.resolve("score-" + ttt + ".json");
                String[] args =
                        ttt
                                ? new String[] {
                                    "score",
                                    "--model",
                                    model.toString(),
                                    "--token-ids",
                                    idsFile.toString(),
                                    "--output",
                                    out.toString()
                                }
                                : new String[] {
                                    "score",
                                    "--model",
                                    model.toString(),
                                    "--token-ids",
                                    idsFile.toString(),
                                    "--no-ttt",
                                    "--output",
                                    out.toString()
                                };
                assertEquals(0, TttCommand.execute(args));
                JsonObject o = JsonParser.parseString(Files.readString(out)).getAsJsonObject();
                String suffix = ttt ? "ttt" : "no_ttt";
                assertClose(o.getAsJsonArray("token_nll"), ref.floats("token_nll_" + suffix));
                assertClose(o.getAsJsonArray("chunk_loss"), ref.floats("chunk_loss_" + suffix));
            }
        }
    }

    private static void assertClose(JsonArray actual, float[] expected) {
        assertEquals(expected.length, actual.size());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.get(i).getAsFloat(), TOLERANCE, "index " + i);
        }
    }
}
