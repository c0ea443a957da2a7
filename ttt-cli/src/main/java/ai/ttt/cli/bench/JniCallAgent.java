package ai.ttt.cli.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.ProtectionDomain;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * A Java agent that counts every call into DJL's PyTorch JNI library.
 *
 * <p>When {@code ai/djl/pytorch/jni/PyTorchLibrary} is loaded, each native method {@code m} is
 * renamed {@code $tttjni$m} (still native) and a Java method {@code m} with the same signature is
 * added that calls {@link JniCalls#record(String)} and then the native one. The JVM links the
 * renamed native to the library's original symbol through {@link
 * Instrumentation#setNativeMethodPrefix}. Nothing else changes: arguments, results and exceptions
 * pass through untouched.
 *
 * <p>Use: {@code java -javaagent:AGENT.jar ...}, where {@link #writeAgentJar} makes the jar (a
 * manifest only; the classes come from the class path).
 */
public final class JniCallAgent {

    /** The class whose natives are counted. */
    static final String TARGET = "ai/djl/pytorch/jni/PyTorchLibrary";

    private static final String PREFIX = "$tttjni$";

    private JniCallAgent() {}

    /**
     * Installs the transformer (the JVM calls this before {@code main}).
     *
     * @param args ignored
     * @param inst the instrumentation
     */
    public static void premain(String args, Instrumentation inst) {
        if (!inst.isNativeMethodPrefixSupported()) {
            System.err.println("ttt bench: this JVM cannot prefix native methods; no JNI counts");
            return;
        }
        ClassFileTransformer t =
                new ClassFileTransformer() {
                    @Override
                    public byte[] transform(
                            ClassLoader loader,
                            String className,
                            Class<?> redefined,
                            ProtectionDomain domain,
                            byte[] bytes) {
                        if (!TARGET.equals(className)) {
                            return null;
                        }
                        try {
                            byte[] out = rewrite(bytes);
                            JniCalls.markInstalled();
                            return out;
                        } catch (RuntimeException e) {
                            System.err.println("ttt bench: cannot count JNI calls: " + e);
                            return null;
                        }
                    }
                };
        inst.addTransformer(t);
        inst.setNativeMethodPrefix(t, PREFIX);
    }

    /**
     * Returns the class with every native method wrapped by a counting one.
     *
     * @param bytes the original class file
     * @return the rewritten class file
     */
    static byte[] rewrite(byte[] bytes) {
        ClassReader reader = new ClassReader(bytes);
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        reader.accept(new Wrapper(writer), 0);
        return writer.toByteArray();
    }

    /** Renames natives and adds the counting wrappers. */
    private static final class Wrapper extends ClassVisitor {
        private String owner;

        Wrapper(ClassVisitor next) {
            super(Opcodes.ASM9, next);
        }

        @Override
        public void visit(
                int version,
                int access,
                String name,
                String signature,
                String superName,
                String[] interfaces) {
            owner = name;
            super.visit(version, access, name, signature, superName, interfaces);
        }

        @Override
        public MethodVisitor visitMethod(
                int access, String name, String desc, String signature, String[] exceptions) {
            if ((access & Opcodes.ACC_NATIVE) == 0) {
                return super.visitMethod(access, name, desc, signature, exceptions);
            }
            int nativeAccess =
                    (access & ~(Opcodes.ACC_PUBLIC | Opcodes.ACC_PROTECTED)) | Opcodes.ACC_PRIVATE;
            MethodVisitor renamed =
                    super.visitMethod(nativeAccess, PREFIX + name, desc, signature, exceptions);
            emitWrapper(access & ~Opcodes.ACC_NATIVE, name, desc, signature, exceptions);
            return renamed;
        }

        private void emitWrapper(
                int access, String name, String desc, String signature, String[] exceptions) {
            MethodVisitor mv = super.visitMethod(access, name, desc, signature, exceptions);
            mv.visitCode();
            mv.visitLdcInsn(name);
            mv.visitMethodInsn(
                    Opcodes.INVOKESTATIC,
                    "ai/ttt/cli/bench/JniCalls",
                    "record",
                    "(Ljava/lang/String;)V",
                    false);
            boolean isStatic = (access & Opcodes.ACC_STATIC) != 0;
            int slot = 0;
            if (!isStatic) {
                mv.visitVarInsn(Opcodes.ALOAD, 0);
                slot = 1;
            }
            for (Type arg : Type.getArgumentTypes(desc)) {
                mv.visitVarInsn(arg.getOpcode(Opcodes.ILOAD), slot);
                slot += arg.getSize();
            }
            mv.visitMethodInsn(
                    isStatic ? Opcodes.INVOKESTATIC : Opcodes.INVOKESPECIAL,
                    owner,
                    PREFIX + name,
                    desc,
                    false);
            mv.visitInsn(Type.getReturnType(desc).getOpcode(Opcodes.IRETURN));
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        }
    }

    /**
     * Writes a manifest-only agent jar naming this class; the classes themselves must be on the
     * class path of the JVM that uses it.
     *
     * @param jar the file to write
     * @throws IOException if it cannot be written
     */
    public static void writeAgentJar(Path jar) throws IOException {
        Manifest manifest = new Manifest();
        Attributes a = manifest.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.put(new Attributes.Name("Premain-Class"), JniCallAgent.class.getName());
        a.put(new Attributes.Name("Can-Set-Native-Method-Prefix"), "true");
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream j = new JarOutputStream(out, manifest)) {
            j.flush();
        }
    }
}
