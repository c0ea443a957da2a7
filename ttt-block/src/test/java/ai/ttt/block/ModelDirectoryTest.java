package ai.ttt.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.safetensors.DType;
import ai.ttt.block.safetensors.SafetensorsFile;
import ai.ttt.block.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 14 (items 4, 5 and 7): a model directory loads exactly or is refused naming the file and
 * the tensor; writing one never replaces what is in the way, honours links and the umask.
 */
class ModelDirectoryTest {

    static final TttConfig CONFIG = TestModels.tiny(6, 4);

    static NDManager manager;

    @TempDir static Path shared;

    static Path good;

    @BeforeAll
    static void writeAModel() throws IOException {
        manager = NDManager.newBaseManager();
        good = shared.resolve("good");
        ModelDirectory.write(good, CONFIG, tensors(), DType.F32, Map.of(), List.of());
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static Map<String, ModelDirectory.Tensor> tensors() {
        Random random = new Random(5);
        Map<String, ModelDirectory.Tensor> m = new LinkedHashMap<>();
        TensorNames.expected(CONFIG)
                .forEach(
                        (name, shape) -> {
                            long n = 1;
                            for (long d : shape) {
                                n *= d;
                            }
                            float[] v = new float[(int) n];
                            for (int i = 0; i < v.length; i++) {
                                v[i] =
                                        (float)
                                                (shape.length == 1
                                                        ? 1
                                                        : 0.2 * random.nextGaussian());
                            }
                            m.put(name, new ModelDirectory.Tensor(shape, () -> v));
                        });
        return m;
    }

    /** Copies the good model with its weights rewritten by {@code edit}. */
    static Path edited(String name, BiConsumer<String, Map<String, NDArray>> edit)
            throws IOException {
        Path dir = Files.createDirectory(shared.resolve(name));
        Files.copy(good.resolve("config.json"), dir.resolve("config.json"));
        try (NDManager scratch = manager.newSubManager();
                SafetensorsFile f = SafetensorsFile.open(good.resolve("model.safetensors"))) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (String t : f.names()) {
                tensors.put(t, f.toNDArray(t, scratch));
            }
            for (String t : f.names()) {
                edit.accept(t, tensors);
            }
            SafetensorsWriter w = new SafetensorsWriter();
            tensors.forEach(w::add);
            w.write(dir.resolve("model.safetensors"));
        }
        return dir;
    }

    static String refusedLoading(Path dir) {
        IOException e =
                assertThrows(
                        IOException.class,
                        () ->
                                ModelDirectory.load(
                                        dir,
                                        manager,
                                        Precision.FP32,
                                        AttentionMode.PLAIN.kernel(manager.getDevice())));
        assertEquals(-1, e.getMessage().indexOf('\n'), e.getMessage());
        return e.getMessage();
    }

    @Test
    void theWrittenModelLoads() throws IOException {
        try (NDManager m = manager.newSubManager()) {
            ModelDirectory.load(good, m, Precision.FP32, AttentionMode.PLAIN.kernel(m.getDevice()));
        }
    }

    /** Item 4: integer and F64 weights loaded silently and generated other text. */
    @ParameterizedTest
    @EnumSource(
            value = DataType.class,
            names = {"UINT8", "INT32", "INT64", "BOOLEAN", "FLOAT64"})
    void nonFloatWeightsAreRefusedNamingFileAndTensor(DataType type) throws IOException {
        Path one =
                edited(
                        "one-" + type,
                        (name, t) -> {
                            if (name.equals("layers.1.mlp.w2.weight")) {
                                t.put(name, t.get(name).toType(type, false));
                            }
                        });
        String stored = DType.fromEngineType(type).name();
        assertEquals(
                one.resolve("model.safetensors")
                        + ": weights do not match config.json; wrong dtype (weights must be F32,"
                        + " F16 or BF16): [layers.1.mlp.w2.weight is "
                        + stored
                        + "]",
                refusedLoading(one));
        Path all = edited("all-" + type, (name, t) -> t.put(name, t.get(name).toType(type, false)));
        assertTrue(
                refusedLoading(all).contains("embed_tokens.weight is " + stored), all.toString());
    }

    /** Item 5: a NaN weight made score print NaN as a result. */
    @Test
    void nonFiniteWeightsAreRefusedNamingFileAndTensor() throws IOException {
        Path dir =
                edited(
                        "nan",
                        (name, t) -> {
                            if (name.equals("layers.2.prime_mlp.w1.weight")) {
                                t.get(name).set(new NDIndex("1, 2"), Float.NaN);
                            }
                        });
        assertEquals(
                dir.resolve("model.safetensors")
                        + ": tensor 'layers.2.prime_mlp.w1.weight' holds non-finite values (NaN or"
                        + " infinity)",
                refusedLoading(dir));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Item 7: a refusal said only DirectoryNotEmptyException. */
    @Test
    void aNonEmptyOutputIsRefusedNamingWhatIsInIt(@TempDir Path tmp) throws IOException {
        Path out = Files.createDirectory(tmp.resolve("out"));
        Files.writeString(out.resolve("README"), "mine");
        FileSystemException e =
                assertThrows(
                        FileSystemException.class,
                        () ->
                                ModelDirectory.write(
                                        out, CONFIG, tensors(), DType.F32, Map.of(), List.of()));
        assertEquals(
                out
                        + ": is not empty; not writing into it: it holds README (move them away or"
                        + " choose another directory)",
                e.getMessage());
        assertEquals(List.of("README"), names(out));
    }

    /** Item 7: a link to an empty directory was replaced by a real directory. */
    @Test
    void aLinkToAnEmptyDirectoryIsFilledThroughTheLink(@TempDir Path tmp) throws IOException {
        Path target = Files.createDirectory(tmp.resolve("target"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
        ModelDirectory.write(link, CONFIG, tensors(), DType.F32, Map.of(), List.of());
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(
                List.of("config.json", "model.safetensors", "serving.properties"), names(target));
    }

    /**
     * Item 7: new directories got mode 0700 whatever the umask; an empty mount point could not be
     * used (it cannot be renamed or removed: the directory itself must stay, as here its inode).
     */
    @Test
    void newDirectoriesFollowTheUmaskAndExistingOnesAreKept(@TempDir Path tmp) throws IOException {
        Path probe = Files.createDirectory(tmp.resolve("probe"));
        Set<PosixFilePermission> umask = Files.getPosixFilePermissions(probe);
        Path fresh = tmp.resolve("fresh");
        ModelDirectory.write(fresh, CONFIG, tensors(), DType.F32, Map.of(), List.of());
        assertEquals(umask, Files.getPosixFilePermissions(fresh));
        Object inode = Files.readAttributes(probe, "unix:ino").get("ino");
        ModelDirectory.write(probe, CONFIG, tensors(), DType.F32, Map.of(), List.of());
        assertEquals(inode, Files.readAttributes(probe, "unix:ino").get("ino"));
        assertEquals(
                List.of("config.json", "model.safetensors", "serving.properties"), names(probe));
    }

    @Test
    void aFileInTheWayIsRefused(@TempDir Path tmp) throws IOException {
        Path file = Files.writeString(tmp.resolve("out"), "not a directory");
        FileSystemException e =
                assertThrows(
                        FileSystemException.class,
                        () ->
                                ModelDirectory.write(
                                        file, CONFIG, tensors(), DType.F32, Map.of(), List.of()));
        assertTrue(e.getMessage().contains("exists and is not a directory"), e.getMessage());
        assertEquals("not a directory", Files.readString(file));
    }
}
