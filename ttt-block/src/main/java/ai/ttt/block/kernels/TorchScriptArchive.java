package ai.ttt.block.kernels;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes the TorchScript archive (a zip) of a module without parameters or buffers, from the
 * module's class name and its TorchScript source, as described in
 * shared/docs/torchscript-kernels.md §1.
 *
 * <p>The archive holds five entries under the top folder {@code kernel/}, all stored
 * (uncompressed): {@code version} ({@code "3\n"}), {@code byteorder} ({@code "little"}), {@code
 * constants.pkl} (an empty tuple, pickle protocol 2), {@code data.pkl} (an instance of {@code
 * __torch__.<className>} whose state is the dict {@code {"training": False}} followed by the
 * module's other attributes, pickle protocol 2) and {@code code/__torch__.py} (the source). The
 * bytes are deterministic: fixed entry times, fixed order.
 *
 * <p>Attributes are how one fixed source is specialised: the class declares them ({@code heads :
 * int}) and the archive gives their values, which TorchScript reads back by name when it loads the
 * module. Values may be {@link Boolean}, {@link Integer} (int32; TorchScript {@code int}) or {@link
 * Double} ({@code float}).
 *
 * <p>TorchScript is code. This class exists so that the project loads only TorchScript that its own
 * Java code wrote, into a private temporary file; never use it to wrap source read from a model
 * directory or any other outside place.
 *
 * <p>Stateless and thread-safe.
 */
public final class TorchScriptArchive {

    /** The top folder of every archive written here. */
    static final String FOLDER = "kernel/";

    /**
     * Class names: ASCII letters, digits and underscores, not starting with a digit. These are the
     * characters that are both Java identifier characters and Python identifier characters ({@code
     * $} and non-ASCII letters are rejected), which keeps the pickle's newline-terminated GLOBAL
     * opcode and the {@code __torch__.<name>} qualified name well formed.
     */
    private static final Pattern CLASS_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,99}");

    /** An empty tuple, pickle protocol 2: PROTO 2, EMPTY_TUPLE, STOP. */
    private static final byte[] CONSTANTS_PKL = {(byte) 0x80, 0x02, 0x29, 0x2e};

    /** Attribute names: Python identifiers in ASCII. */
    private static final Pattern ATTRIBUTE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,99}");

    private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

    private TorchScriptArchive() {}

    /**
     * Writes the archive of module {@code className} with TorchScript source {@code source} to a
     * new private temporary file in {@code directory} and returns its path.
     *
     * <p>The file is created by {@link Files#createTempFile} (readable and writable by the owner
     * only where the file system supports POSIX permissions). The caller owns it and should delete
     * it once the module is loaded.
     *
     * @param className the module class, e.g. {@code Sdpa}: {@code [A-Za-z_][A-Za-z0-9_]*}; the
     *     source must define {@code class <className>(Module):}
     * @param source the TorchScript source of the class in the serialized dialect (two-space
     *     indentation, explicit types, {@code torch.}-prefixed ops)
     * @param directory an existing directory, e.g. {@code java.io.tmpdir}
     * @return the path of the written {@code .pt} archive
     * @throws IllegalArgumentException if the class name is invalid or the source does not define
     *     that class
     * @throws IOException if the file cannot be written
     */
    public static Path write(String className, String source, Path directory) throws IOException {
        return write(className, source, Map.of(), directory);
    }

    /**
     * Writes the archive of module {@code className} whose attributes besides {@code training} take
     * the given values (see the class notes), like {@link #write(String, String, Path)}.
     *
     * @param className the module class
     * @param source the TorchScript source, declaring every attribute
     * @param attributes name → value, in the order to write them (a {@code LinkedHashMap} or an
     *     ordered map keeps the bytes deterministic)
     * @param directory an existing directory
     * @return the path of the written {@code .pt} archive
     * @throws IllegalArgumentException if a name or value is not supported
     * @throws IOException if the file cannot be written
     */
    public static Path write(
            String className, String source, Map<String, Object> attributes, Path directory)
            throws IOException {
        byte[] bytes = toBytes(className, source, attributes);
        Path file;
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            file =
                    Files.createTempFile(
                            directory,
                            "ttt-kernel-",
                            ".pt",
                            PosixFilePermissions.asFileAttribute(
                                    PosixFilePermissions.fromString("rw-------")));
        } else {
            file = Files.createTempFile(directory, "ttt-kernel-", ".pt");
        }
        try (OutputStream os = Files.newOutputStream(file)) {
            os.write(bytes);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return file;
    }

    /**
     * Writes the archive to a private temporary directory, loads it into {@code model} (a new,
     * empty PyTorch model) and deletes the file: the one way the project loads TorchScript.
     *
     * @param model the model to load into, e.g. {@code Model.newInstance(name, device, "PyTorch")}
     * @param className the module class
     * @param source the TorchScript source
     * @param attributes the module attributes besides {@code training} (see the class notes)
     * @throws IOException if the archive cannot be written
     * @throws MalformedModelException if PyTorch rejects it
     */
    public static void loadInto(
            Model model, String className, String source, Map<String, Object> attributes)
            throws IOException, MalformedModelException {
        Path dir = privateDirectory();
        Path file = null;
        try {
            file = write(className, source, attributes, dir);
            model.load(file);
        } finally {
            if (file != null) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(dir);
        }
    }

    private static Path privateDirectory() throws IOException {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return Files.createTempDirectory(
                    "ttt-torchscript-",
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
        }
        return Files.createTempDirectory("ttt-torchscript-");
    }

    /**
     * Returns the archive bytes of module {@code className} with source {@code source}.
     *
     * @param className the module class (see {@link #write})
     * @param source the TorchScript source
     * @return the zip bytes
     */
    static byte[] toBytes(String className, String source) {
        return toBytes(className, source, Map.of());
    }

    /**
     * Returns the archive bytes of module {@code className} with the given attributes.
     *
     * @param className the module class
     * @param source the TorchScript source
     * @param attributes name → value (see the class notes)
     * @return the zip bytes
     */
    static byte[] toBytes(String className, String source, Map<String, Object> attributes) {
        validate(className, source);
        ByteArrayOutputStream bos = new ByteArrayOutputStream(1024 + source.length());
        try (ZipOutputStream zip = new ZipOutputStream(bos, StandardCharsets.UTF_8)) {
            putStored(zip, "version", "3\n".getBytes(StandardCharsets.US_ASCII));
            putStored(zip, "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            putStored(zip, "constants.pkl", CONSTANTS_PKL.clone());
            putStored(zip, "data.pkl", dataPickle(className, attributes));
            putStored(zip, "code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("in-memory zip failed", e);
        }
        return bos.toByteArray();
    }

    /**
     * Returns the pickle (protocol 2) of an instance of {@code __torch__.<className>} whose state
     * is the dict {@code {"training": False}}.
     *
     * @param className a validated class name
     * @return the pickle bytes
     */
    static byte[] dataPickle(String className) {
        return dataPickle(className, Map.of());
    }

    /**
     * Returns the pickle (protocol 2) of an instance of {@code __torch__.<className>} whose state
     * is the dict {@code {"training": False, name: value, …}}.
     *
     * @param className a validated class name
     * @param attributes the other attributes, in order
     * @return the pickle bytes
     */
    static byte[] dataPickle(String className, Map<String, Object> attributes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 32 * attributes.size());
        out.write(0x80); // PROTO
        out.write(0x02); // protocol 2
        writeAscii(out, "c__torch__\n" + className + "\n"); // GLOBAL module\nname\n
        out.write('q'); // BINPUT 0
        out.write(0x00);
        out.write(')'); // EMPTY_TUPLE
        out.write(0x81); // NEWOBJ
        out.write('}'); // EMPTY_DICT
        out.write('('); // MARK
        writeKey(out, "training");
        out.write('q'); // BINPUT 1
        out.write(0x01);
        out.write(0x89); // NEWFALSE
        for (Map.Entry<String, Object> e : attributes.entrySet()) {
            if (!ATTRIBUTE_NAME.matcher(e.getKey()).matches() || e.getKey().equals("training")) {
                throw new IllegalArgumentException("Invalid attribute name: " + e.getKey());
            }
            writeKey(out, e.getKey());
            writeValue(out, e.getKey(), e.getValue());
        }
        out.write('u'); // SETITEMS
        out.write('b'); // BUILD
        out.write('q'); // BINPUT 2
        out.write(0x02);
        out.write('.'); // STOP
        return out.toByteArray();
    }

    /** BINUNICODE: 4-byte little-endian length, then the UTF-8 (here ASCII) bytes. */
    private static void writeKey(ByteArrayOutputStream out, String key) {
        byte[] bytes = key.getBytes(StandardCharsets.US_ASCII);
        out.write('X');
        writeIntLittleEndian(out, bytes.length);
        out.write(bytes, 0, bytes.length);
    }

    private static void writeValue(ByteArrayOutputStream out, String name, Object value) {
        if (value instanceof Boolean b) {
            out.write(b ? 0x88 : 0x89); // NEWTRUE / NEWFALSE
        } else if (value instanceof Integer i) {
            out.write('J'); // BININT: 4-byte little-endian signed
            writeIntLittleEndian(out, i);
        } else if (value instanceof Double d) {
            out.write('G'); // BINFLOAT: 8-byte big-endian IEEE 754
            long bits = Double.doubleToRawLongBits(d);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) (bits >>> shift) & 0xff);
            }
        } else {
            throw new IllegalArgumentException(
                    "Attribute "
                            + name
                            + " must be a Boolean, Integer or Double, got "
                            + (value == null ? "null" : value.getClass().getName()));
        }
    }

    private static void writeIntLittleEndian(ByteArrayOutputStream out, int v) {
        out.write(v & 0xff);
        out.write((v >>> 8) & 0xff);
        out.write((v >>> 16) & 0xff);
        out.write((v >>> 24) & 0xff);
    }

    private static void validate(String className, String source) {
        if (className == null || !CLASS_NAME.matcher(className).matches()) {
            throw new IllegalArgumentException(
                    "Invalid TorchScript class name (expected [A-Za-z_][A-Za-z0-9_]*, at most"
                            + " 100 characters): "
                            + className);
        }
        if (source == null || !source.contains("class " + className + "(Module):")) {
            throw new IllegalArgumentException(
                    "The TorchScript source does not define class " + className + "(Module)");
        }
    }

    private static void writeAscii(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        out.write(b, 0, b.length);
    }

    private static void putStored(ZipOutputStream zip, String name, byte[] content)
            throws IOException {
        ZipEntry entry = new ZipEntry(FOLDER + name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(content.length);
        entry.setCompressedSize(content.length);
        CRC32 crc = new CRC32();
        crc.update(content);
        entry.setCrc(crc.getValue());
        entry.setTimeLocal(ENTRY_TIME);
        zip.putNextEntry(entry);
        zip.write(content);
        zip.closeEntry();
    }
}
