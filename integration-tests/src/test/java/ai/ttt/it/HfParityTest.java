package ai.ttt.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.ttt.block.ModelDirectory;
import ai.ttt.block.engine.FeedResult;
import ai.ttt.block.engine.SequenceState;
import ai.ttt.block.engine.StateOptions;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.cli.TttCommand;
import ai.ttt.convert.ConvertOptions;
import ai.ttt.convert.HfConverter;
import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 2, acceptance 1: each Hugging Face fixture converts, loads and reproduces the reference
 * logits and token NLLs of transformers (eager attention, fp32) to 1e-4.
 */
class HfParityTest {

    static final float TOLERANCE = 1e-4f;

    @ParameterizedTest
    @ValueSource(
            strings = {
                "hf/llama-tiny",
                "hf/llama-tiny-tied",
                "hf/mistral-tiny-swa16",
                "hf/qwen2-tiny",
                "hf/qwen3-tiny"
            })
    void convertedModelMatchesTransformers(String fixture, @TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("model");
        HfConverter.convert(Reference.dir(fixture), model, ConvertOptions.defaults());
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                Reference ref = new Reference(fixture, m)) {
            NDArray ids = ref.get("input_ids");
            NDArray expected = ref.get("logits");
            for (AttentionMode mode : AttentionMode.values()) {
                TttLanguageModel lm =
                        ModelDirectory.load(model, m, Precision.FP32, mode.kernel(Device.cpu()));
                // Whole sequence at once (the block's own forward).
                NDArray whole =
                        lm.forward(new ParameterStore(m, false), new NDList(ids), false)
                                .singletonOrThrow();
                float d1 = Reference.maxAbsDiff(whole, expected);
                // Through the engine: chunked prefill with KV caches, both rows as a batch.
                try (SequenceState s = SequenceState.create(lm, 2, StateOptions.withoutTtt())) {
                    FeedResult r = s.feed(ids, m, true);
                    float d2 = Reference.maxAbsDiff(r.logits(), expected);
                    float d3 = Reference.maxAbsDiff(r.targetNll(), ref.get("token_nll"));
                    System.out.printf(
                            "%s %s: max|Δlogit| forward %.2e, engine %.2e; max|Δnll| %.2e%n",
                            fixture, mode, d1, d2, d3);
                    assertTrue(d1 <= TOLERANCE, fixture + " forward logits " + d1);
                    assertTrue(d2 <= TOLERANCE, fixture + " engine logits " + d2);
                    assertTrue(d3 <= TOLERANCE, fixture + " token nll " + d3);
                }
            }
            // The parity command, in process: ttt score --no-ttt, one row at a time.
            for (int row = 0; row < 2; row++) {
                long[] tokens = ids.get(row).toLongArray();
                Path idsFile = tmp.resolve("ids" + row + ".txt");
                Files.writeString(
                        idsFile,
                        LongStream.of(tokens)
                                .mapToObj(Long::toString)
                                .collect(Collectors.joining(" ")));
                Path out = tmp.resolve("score" + row + ".json");
                int rc =
                        TttCommand.execute(
                                "score",
                                "--model",
                                model.toString(),
                                "--token-ids",
                                idsFile.toString(),
                                "--no-ttt",
                                "--output",
                                out.toString());
                assertEquals(0, rc);
                JsonArray nll =
                        JsonParser.parseString(Files.readString(out))
                                .getAsJsonObject()
                                .getAsJsonArray("token_nll");
                float[] expectedNll = ref.get("token_nll").get(row).toFloatArray();
                assertEquals(tokens.length - 1, nll.size());
                for (int t = 0; t < nll.size(); t++) {
                    assertEquals(
                            expectedNll[t],
                            nll.get(t).getAsFloat(),
                            TOLERANCE,
                            fixture + " t=" + t);
                }
            }
        }
    }
}
