package ai.ttt.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Drawing}: a runtime without AWT (the GPU kit's) skips the plots with a warning; every
 * other failure still fails the command.
 */
class DrawingTest {

    @Test
    void drawsWhereJavaCanDraw(@TempDir Path dir) throws IOException {
        Path png = dir.resolve("loss.png");
        Path csv = dir.resolve("loss.csv");
        Files.writeString(
                csv,
                "step,tokens,loss,lr,inner_scale,grad_norm,seconds\n"
                        + "1,64,5.5,0.001,0.1,1.0,0.5\n2,128,5.2,0.001,0.1,1.0,1.0\n");
        assertTrue(
                Drawing.orWarn("ttt train", "later", () -> ai.ttt.train.Plots.lossCurve(csv, png)));
        assertTrue(Files.size(png) > 1000);
    }

    @Test
    void aRuntimeWithoutAwtWarnsAndCarriesOn() throws IOException {
        // What the kit's jlinked runtime throws when a plot first touches java.awt.
        String err =
                StdErr.capture(
                        () ->
                                assertFalse(
                                        Drawing.orWarn(
                                                "ttt bench",
                                                "run `ttt bench --replot` where Java can draw",
                                                () -> {
                                                    throw new NoClassDefFoundError(
                                                            "java/awt/Shape");
                                                })));
        assertTrue(err.startsWith("ttt bench: no plots (java.lang.NoClassDefFoundError"), err);
        assertTrue(err.contains("run `ttt bench --replot` where Java can draw"), err);
    }

    @Test
    void otherFailuresPropagate() {
        IOException disk = new IOException("disk full");
        assertSame(
                disk,
                assertThrows(
                        IOException.class,
                        () ->
                                Drawing.orWarn(
                                        "ttt train",
                                        "later",
                                        () -> {
                                            throw disk;
                                        })));
        OutOfMemoryError oom = new OutOfMemoryError("heap");
        assertSame(
                oom,
                assertThrows(
                        OutOfMemoryError.class,
                        () ->
                                Drawing.orWarn(
                                        "ttt train",
                                        "later",
                                        () -> {
                                            throw oom;
                                        })));
    }
}
