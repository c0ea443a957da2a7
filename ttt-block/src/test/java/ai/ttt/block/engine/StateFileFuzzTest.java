package ai.ttt.block.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.ttt.block.TestModels;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import ai.ttt.block.safetensors.SafetensorsFile;
import ai.ttt.block.safetensors.SafetensorsMutator;
import ai.ttt.block.safetensors.SafetensorsMutator.Kind;
import ai.ttt.block.safetensors.SafetensorsMutator.Mutant;
import ai.ttt.block.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: the state-file reader ({@link SequenceState#restore}), fuzzed. {@value #FILES}
 * mutations of five real state files (with and without test-time training, fresh, with an open
 * mini-batch, with a whole decoded mini-batch waiting, two sequences), deterministic seed. Each
 * must either be refused with an {@link IOException} whose one-line message starts with the file,
 * or restore exactly: saved again, it gives the same metadata and the same tensors, byte for byte,
 * and it reads on without an exception. Any other outcome fails the test with the file that caused
 * it.
 */
class StateFileFuzzTest {

    static final int FILES = 10_000;
    static final long SEED = 1414;

    /** One restored mutant in this many also reads three more tokens. */
    static final int READ_ON_EVERY = 40;

    @TempDir Path tmp;

    static byte[] save(SequenceState s, Path file) throws IOException {
        s.save(file);
        return Files.readAllBytes(file);
    }

    static List<byte[]> seeds(TttLanguageModel model, Path dir) throws IOException {
        long[] tokens = {1, 5, 9, 30, 2, 7, 7, 3, 11, 12, 4, 8};
        List<byte[]> seeds = new ArrayList<>();
        try (NDManager out = model.manager().newSubManager()) {
            try (SequenceState s = SequenceState.create(model, 1, StateOptions.inference())) {
                seeds.add(save(s, dir.resolve("fresh.safetensors")));
                s.feed(new long[][] {java.util.Arrays.copyOf(tokens, 11)}, out);
                seeds.add(save(s, dir.resolve("open.safetensors")));
            }
            try (SequenceState s = SequenceState.create(model, 1, StateOptions.inference())) {
                s.feed(new long[][] {java.util.Arrays.copyOf(tokens, 8)}, out);
                assertEquals(4, s.openCount(), "a whole decoded mini-batch waits for its step");
                seeds.add(save(s, dir.resolve("waiting.safetensors")));
            }
            try (SequenceState s = SequenceState.create(model, 1, StateOptions.withoutTtt())) {
                s.feed(new long[][] {java.util.Arrays.copyOf(tokens, 7)}, out);
                seeds.add(save(s, dir.resolve("no-ttt.safetensors")));
            }
            try (SequenceState s = SequenceState.create(model, 2, StateOptions.inference())) {
                s.feed(new long[][] {{1, 2, 3, 4, 5}, {1, 6, 7, 8, 9}}, out);
                seeds.add(save(s, dir.resolve("batch.safetensors")));
            }
        }
        return seeds;
    }

    @Test
    @Timeout(180)
    void everyMutantRestoresExactlyOrIsRefusedWithAMessage() throws IOException {
        long started = System.nanoTime();
        int loaded = 0;
        int refused = 0;
        int readOn = 0;
        Map<Kind, Integer> kinds = new EnumMap<>(Kind.class);
        try (NDManager manager = NDManager.newBaseManager()) {
            TttLanguageModel model =
                    TestModels.random(
                            TestModels.tiny(6, 4),
                            7,
                            0.3,
                            manager,
                            Precision.FP32,
                            AttentionMode.PLAIN);
            List<byte[]> seeds = seeds(model, tmp);
            List<String> values =
                    List.of(
                            "0",
                            "1",
                            "2",
                            "3",
                            "4",
                            "5",
                            "7",
                            "8",
                            "11",
                            "12",
                            "13",
                            "16",
                            "5000",
                            "-1",
                            "01",
                            " 3",
                            "true",
                            "false",
                            "TRUE",
                            "FP32",
                            "FP16",
                            "FP64",
                            "1000000000",
                            "2147483648",
                            "99999999999999999999",
                            "1099511627776",
                            "{}",
                            "");
            // Values and metadata edits reach the rules behind the format checks: weigh them up.
            SafetensorsMutator mutator =
                    new SafetensorsMutator(
                            new Random(SEED), Map.of(Kind.DATA_VALUES, 3, Kind.METADATA_VALUE, 3));
            Path resaved = tmp.resolve("resaved.safetensors");
            for (int i = 0; i < FILES; i++) {
                Mutant mutant = mutator.mutate(seeds.get(i % seeds.size()), values);
                mutant.kinds().forEach(k -> kinds.merge(k, 1, Integer::sum));
                Path file = tmp.resolve("mutant-" + i + ".safetensors");
                Files.write(file, mutant.bytes());
                String what = "mutant " + i + " of seed " + i % seeds.size() + " " + mutant.kinds();
                try (NDManager out = manager.newSubManager();
                        SequenceState s = SequenceState.restore(model, file)) {
                    s.save(resaved);
                    assertSameContent(file, resaved, what);
                    if (loaded++ % READ_ON_EVERY == 0) {
                        // A sample reads on (a feed costs about 0.1 s here, a restore 10 ms).
                        long[][] more = new long[s.batchSize()][];
                        for (int b = 0; b < more.length; b++) {
                            more[b] = new long[] {3, 17, 30};
                        }
                        s.feed(more, out);
                        readOn++;
                    }
                } catch (IOException e) {
                    assertTrue(e.getMessage().startsWith(file + ": "), what + ": " + e);
                    assertEquals(-1, e.getMessage().indexOf('\n'), what + ": " + e);
                    refused++;
                } catch (RuntimeException | Error e) {
                    throw new AssertionError(what + " escaped with " + e, e);
                } finally {
                    Files.delete(file);
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf(
                "state-file fuzz: %,d mutants (%,d restored exactly, %d of them read on; %,d"
                        + " refused) in %.1f s; mutations %s%n",
                FILES, loaded, readOn, refused, seconds, kinds);
        assertEquals(FILES, loaded + refused);
        assertTrue(loaded > FILES / 20, "enough mutants stay valid to test exact restoring");
    }

    /** The two files hold the same metadata and tensors (dtype, shape, bytes). */
    static void assertSameContent(Path a, Path b, String what) throws IOException {
        try (SafetensorsFile fa = SafetensorsFile.open(a);
                SafetensorsFile fb = SafetensorsFile.open(b)) {
            assertEquals(fa.metadata(), fb.metadata(), what + ": metadata");
            assertEquals(
                    new java.util.TreeSet<>(fa.names()),
                    new java.util.TreeSet<>(fb.names()),
                    what + ": tensors");
            for (String name : fa.names()) {
                TensorInfo ia = fa.info(name);
                TensorInfo ib = fb.info(name);
                assertEquals(ia.dtype(), ib.dtype(), what + ": " + name);
                assertArrayEquals(ia.shape(), ib.shape(), what + ": " + name);
                assertEquals(bytes(fa.bytes(name)), bytes(fb.bytes(name)), what + ": " + name);
            }
        }
    }

    private static ByteBuffer bytes(ByteBuffer view) {
        ByteBuffer copy = ByteBuffer.allocate(view.remaining());
        copy.put(view).flip();
        return copy;
    }
}
