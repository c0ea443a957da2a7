package ai.ttt.block.kernels;

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
 * __torch__.<className>} whose state is {@code {"training": False}}, pickle protocol 2) and {@code
 * code/__torch__.py} (the source). The bytes are deterministic: fixed entry times, fixed order.
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
        byte[] bytes = toBytes(className, source);
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
     * Returns the archive bytes of module {@code className} with source {@code source}.
     *
     * @param className the module class (see {@link #write})
     * @param source the TorchScript source
     * @return the zip bytes
     */
    static byte[] toBytes(String className, String source) {
        validate(className, source);
        ByteArrayOutputStream bos = new ByteArrayOutputStream(1024 + source.length());
        try (ZipOutputStream zip = new ZipOutputStream(bos, StandardCharsets.UTF_8)) {
            putStored(zip, "version", "3\n".getBytes(StandardCharsets.US_ASCII));
            putStored(zip, "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            putStored(zip, "constants.pkl", CONSTANTS_PKL.clone());
            putStored(zip, "data.pkl", dataPickle(className));
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
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        out.write(0x80); // PROTO
        out.write(0x02); // protocol 2
        writeAscii(out, "c__torch__\n" + className + "\n"); // GLOBAL module\nname\n
        out.write('q'); // BINPUT 0
        out.write(0x00);
        out.write(')'); // EMPTY_TUPLE
        out.write(0x81); // NEWOBJ
        out.write('}'); // EMPTY_DICT
        out.write('('); // MARK
        out.write('X'); // BINUNICODE, 4-byte little-endian length
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        out.write(key.length);
        out.write(0);
        out.write(0);
        out.write(0);
        out.write(key, 0, key.length);
        out.write('q'); // BINPUT 1
        out.write(0x01);
        out.write(0x89); // NEWFALSE
        out.write('u'); // SETITEMS
        out.write('b'); // BUILD
        out.write('q'); // BINPUT 2
        out.write(0x02);
        out.write('.'); // STOP
        return out.toByteArray();
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
