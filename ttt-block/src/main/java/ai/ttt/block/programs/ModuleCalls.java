package ai.ttt.block.programs;

import ai.djl.engine.EngineException;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Runs a method of a loaded TorchScript module on arguments that are IValues already, through DJL's
 * JNI entry point {@code PyTorchLibrary.moduleRunMethod}, under InferenceMode or not.
 *
 * <p>Why not {@code Block.forward}: it rebuilds every argument on every call, an IValue per array
 * and a list per group after matching each array's name against DJL's naming patterns, which for
 * the 3B model is ≈ 530 arrays of weights and state per decoded token. The program's weight and
 * state lists never change, so the engine builds their IValues once ({@link TttProgram}, {@link
 * ProgramState}). Why not the public {@code IValueUtils.runMethod}: it always runs the method under
 * InferenceMode, whose results a later in-place update or autograd rejects; the program's methods
 * that step need autograd, and only decoding (no step, no result kept) runs under it, where it
 * spares each op the autograd and view bookkeeping. The entry point and IValue's constructor are
 * package-private in DJL 0.35.1, hence reflection, resolved once; a DJL without them fails at the
 * first program load with a message that says so.
 */
final class ModuleCalls {

    private static final Object LIBRARY;
    private static final Method RUN_METHOD;
    private static final Constructor<IValue> WRAP;
    private static final RuntimeException UNAVAILABLE;

    static {
        Object library = null;
        Method run = null;
        Constructor<IValue> wrap = null;
        RuntimeException unavailable = null;
        try {
            Class<?> c = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
            Field lib = c.getDeclaredField("LIB");
            lib.setAccessible(true);
            library = lib.get(null);
            run =
                    c.getDeclaredMethod(
                            "moduleRunMethod",
                            long.class,
                            String.class,
                            long[].class,
                            boolean.class,
                            boolean.class);
            run.setAccessible(true);
            wrap = IValue.class.getDeclaredConstructor(long.class);
            wrap.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unavailable =
                    new EngineException(
                            "this DJL PyTorch engine has no PyTorchLibrary.moduleRunMethod(long,"
                                    + " String, long[], boolean, boolean) (written for DJL 0.35.1)",
                            e);
        }
        LIBRARY = library;
        RUN_METHOD = run;
        WRAP = wrap;
        UNAVAILABLE = unavailable;
    }

    private ModuleCalls() {}

    /**
     * Fails now if the entry point is missing (checked when a program module loads).
     *
     * @throws EngineException naming what this DJL lacks
     */
    static void check() {
        if (UNAVAILABLE != null) {
            throw UNAVAILABLE;
        }
    }

    /**
     * Runs {@code method} of the block's module on the caller's CUDA stream.
     *
     * @param block the loaded module
     * @param method the method name
     * @param inference under InferenceMode (then its results are inference tensors, which no
     *     in-place op or autograd may use outside it), else outside it, the method setting its own
     *     grad mode
     * @param arguments its arguments (the caller keeps and closes them)
     * @return what the method returned (the caller closes it)
     */
    static IValue run(PtSymbolBlock block, String method, boolean inference, IValue... arguments) {
        check();
        long[] handles = new long[arguments.length];
        for (int i = 0; i < handles.length; i++) {
            handles[i] = arguments[i].getHandle();
        }
        try {
            long result =
                    (Long)
                            RUN_METHOD.invoke(
                                    LIBRARY, block.getHandle(), method, handles, !inference, false);
            return WRAP.newInstance(result);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new EngineException("program method " + method + " failed", cause);
        } catch (ReflectiveOperationException e) {
            throw new EngineException("cannot call program method " + method, e);
        }
    }
}
