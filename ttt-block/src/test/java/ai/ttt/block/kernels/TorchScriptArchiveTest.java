package ai.ttt.block.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchScriptArchiveTest {

    private static final String SOURCE =
            "class Sdpa(Module):\n"
                    + "  __parameters__ = []\n"
                    + "  __buffers__ = []\n"
                    + "  training : bool\n"
                    + "  def forward(self: __torch__.Sdpa,\n"
                    + "    q: Tensor,\n"
                    + "    k: Tensor,\n"
                    + "    v: Tensor,\n"
                    + "    mask: Tensor) -> Tensor:\n"
                    + "    return torch.scaled_dot_product_attention(q, k, v, mask)\n";

    /** data.pkl for class Sdpa, byte for byte as in shared/docs/torchscript-kernels.md §1. */
    private static final byte[] SDPA_DATA_PKL =
            concat(
                    new byte[] {(byte) 0x80, 0x02},
                    ascii("c__torch__\nSdpa\n"),
                    new byte[] {'q', 0x00, ')', (byte) 0x81, '}', '(', 'X', 8, 0, 0, 0},
                    ascii("training"),
                    new byte[] {'q', 0x01, (byte) 0x89, 'u', 'b', 'q', 0x02, '.'});

    @Test
    void entriesArePresentStoredAndExact() throws IOException {
        byte[] zip = TorchScriptArchive.toBytes("Sdpa", SOURCE);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        List<Integer> methods = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                methods.add(e.getMethod());
                entries.put(e.getName(), in.readAllBytes());
                CRC32 crc = new CRC32();
                crc.update(entries.get(e.getName()));
                assertEquals(crc.getValue(), e.getCrc(), e.getName());
            }
        }
        assertEquals(
                List.of(
                        "kernel/version",
                        "kernel/byteorder",
                        "kernel/constants.pkl",
                        "kernel/data.pkl",
                        "kernel/code/__torch__.py"),
                new ArrayList<>(entries.keySet()));
        for (int method : methods) {
            assertEquals(ZipEntry.STORED, method);
        }
        assertArrayEquals(ascii("3\n"), entries.get("kernel/version"));
        assertArrayEquals(ascii("little"), entries.get("kernel/byteorder"));
        assertArrayEquals(
                new byte[] {(byte) 0x80, 0x02, 0x29, 0x2e}, entries.get("kernel/constants.pkl"));
        assertArrayEquals(SDPA_DATA_PKL, entries.get("kernel/data.pkl"));
        assertArrayEquals(
                SOURCE.getBytes(StandardCharsets.UTF_8), entries.get("kernel/code/__torch__.py"));
        // Stored means the content appears verbatim in the zip.
        assertTrue(indexOf(zip, SDPA_DATA_PKL) > 0);
        assertTrue(indexOf(zip, SOURCE.getBytes(StandardCharsets.UTF_8)) > 0);
    }

    @Test
    void bytesAreDeterministic() {
        assertArrayEquals(
                TorchScriptArchive.toBytes("Sdpa", SOURCE),
                TorchScriptArchive.toBytes("Sdpa", SOURCE));
    }

    @Test
    void dataPickleEncodesTheClassName() {
        byte[] pkl = TorchScriptArchive.dataPickle("TttGradCreate");
        assertArrayEquals(
                concat(
                        new byte[] {(byte) 0x80, 0x02},
                        ascii("c__torch__\nTttGradCreate\n"),
                        new byte[] {'q', 0x00, ')', (byte) 0x81, '}', '(', 'X', 8, 0, 0, 0},
                        ascii("training"),
                        new byte[] {'q', 0x01, (byte) 0x89, 'u', 'b', 'q', 0x02, '.'}),
                pkl);
    }

    @Test
    void writeCreatesAPrivateReadableZip(@TempDir Path dir) throws IOException {
        Path file = TorchScriptArchive.write("Sdpa", SOURCE, dir);
        assertEquals(dir, file.getParent());
        assertArrayEquals(TorchScriptArchive.toBytes("Sdpa", SOURCE), Files.readAllBytes(file));
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertEquals(
                    "rw-------",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
        try (ZipFile zf = new ZipFile(file.toFile())) {
            assertEquals(5, zf.size());
            assertEquals(ZipEntry.STORED, zf.getEntry("kernel/data.pkl").getMethod());
        }
        Path second = TorchScriptArchive.write("Sdpa", SOURCE, dir);
        assertTrue(!second.equals(file), "each call writes a new temporary file");
    }

    @Test
    void archiveLoadsAndRunsInPyTorch(@TempDir Path dir) throws Exception {
        Path file = TorchScriptArchive.write("Sdpa", SOURCE, dir);
        try (Model model = Model.newInstance("sdpa", Device.cpu(), "PyTorch");
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            model.load(file);
            NDArray q = manager.ones(new Shape(1, 1, 2, 4));
            NDArray v = manager.arange(12f).reshape(1, 1, 3, 4);
            NDArray mask = manager.zeros(new Shape(2, 3));
            NDArray out =
                    model.getBlock()
                            .forward(
                                    new ParameterStore(manager, false),
                                    new NDList(q, q.get(":, :, :1").repeat(2, 3), v, mask),
                                    false)
                            .singletonOrThrow();
            // Equal scores: every query averages the three value rows.
            assertArrayEquals(new float[] {4, 5, 6, 7, 4, 5, 6, 7}, out.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void invalidClassNamesAreRejected() {
        for (String bad :
                new String[] {
                    "",
                    "1Sdpa",
                    "Sd-pa",
                    "Sd$pa",
                    "Sdpa\nX",
                    "Sd pa",
                    "Sdpa.X",
                    "Sdpé",
                    "a".repeat(101)
                }) {
            String src = SOURCE.replace("class Sdpa(", "class " + bad + "(");
            assertThrows(
                    IllegalArgumentException.class,
                    () -> TorchScriptArchive.toBytes(bad, src),
                    bad);
        }
        assertThrows(
                IllegalArgumentException.class, () -> TorchScriptArchive.toBytes(null, SOURCE));
    }

    @Test
    void sourceMustDefineTheClass() {
        assertThrows(
                IllegalArgumentException.class, () -> TorchScriptArchive.toBytes("Other", SOURCE));
        assertThrows(
                IllegalArgumentException.class, () -> TorchScriptArchive.toBytes("Sdpa", null));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
