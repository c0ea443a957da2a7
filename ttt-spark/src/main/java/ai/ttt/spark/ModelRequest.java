package ai.ttt.spark;

import ai.ttt.zoo.TttModelZoo;
import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * What a transformer asks each executor to load: a model (zoo id or directory), where to run it and
 * how. Built on the driver from the transformer's params and shipped with each task; the executor
 * resolves {@link #device()} against its own resources ({@link ExecutorDevice}).
 *
 * @param model a zoo id {@code group:artifact} (for example {@code ai.ttt:kjv-5m}) or a model
 *     directory on the executors ({@code file:} URLs are accepted)
 * @param device {@code auto}, {@code cpu} or {@code gpu}
 * @param precision {@code auto} (fp32 on CPU, fp16 on GPU), {@code fp32}, {@code fp16} or {@code
 *     fp64}
 * @param attention {@code fused} or {@code plain}
 */
record ModelRequest(String model, String device, String precision, String attention)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Checks the values (on the driver, before any task runs). */
    ModelRequest {
        Objects.requireNonNull(model, "model");
        if (model.isBlank()) {
            throw new IllegalArgumentException(
                    "model is empty: give a zoo id such as ai.ttt:kjv-5m or a model directory");
        }
        device = device.toLowerCase(Locale.ROOT);
        precision = precision.toLowerCase(Locale.ROOT);
        attention = attention.toLowerCase(Locale.ROOT);
    }

    /**
     * Returns whether {@link #model()} is a zoo id rather than a directory.
     *
     * @return {@code true} for {@code group:artifact}
     */
    boolean isZooId() {
        return isZooId(model);
    }

    /**
     * Returns whether a model string is a zoo id {@code group:artifact} rather than a directory.
     *
     * @param model the model param's value
     * @return {@code true} for {@code group:artifact} (no slash)
     */
    static boolean isZooId(String model) {
        return TttModelZoo.isZooId(model);
    }
}
