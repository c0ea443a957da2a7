package ai.ttt.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.ttt.block.engine.FastWeights;
import ai.ttt.block.engine.InnerGradient;
import ai.ttt.block.engine.MiniBatchLoss;
import ai.ttt.block.engine.SequenceState;
import ai.ttt.block.engine.SequenceState.TrainingCarry;
import ai.ttt.block.engine.StateOptions;
import ai.ttt.block.kernels.Kernels;
import ai.ttt.block.nn.TorchOps;
import ai.ttt.block.nn.TttLanguageModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The meta-gradient of {@link MetaObjective} with per-mini-batch recomputation (gradient
 * checkpointing, the official {@code scan_remat_chunk} with {@code inner_remat_freq = 1}, spec
 * §4.1), for training sequences whose whole graph does not fit in memory.
 *
 * <p>With n mini-batches, θ the parameters, W_i the fast weights before mini-batch i and K_i, V_i
 * the keys and values mini-batch i adds to every layer's cache:
 *
 * <pre>
 *   forward   for i = 0 … n−1: run mini-batch i from (W_i, K/V of the window before it);
 *             store W_{i+1}, K_i, V_i (detached); free the rest
 *   backward  for i = n−1 … 0: re-run mini-batch i with its stored inputs as leaves and take one
 *             vector–Jacobian product, the gradient with respect to (θ, W_i, K/V before i) of
 *                 ℓ_i / n + ⟨W_{i+1}, Ŵ_{i+1}⟩ + ⟨K_i, K̂_i⟩ + ⟨V_i, V̂_i⟩
 *             where the hatted cotangents were handed back by the later mini-batches; θ's part
 *             is summed, the rest is handed back to earlier mini-batches
 * </pre>
 *
 * <p>Memory holds the stored fast weights and keys/values of the sequence (each mini-batch's are
 * freed once it is recomputed) plus one mini-batch's graph, instead of the graph of the whole
 * sequence; time is one more forward and first-order inner step per mini-batch (measured 1.4 to 1.6
 * times the step time on CPU). The gradient is the same as {@link MetaObjective#lossAndGradients}
 * (second order or first order): every mini-batch is computed by the same code from the same
 * values.
 */
public final class RecomputedMetaGradient {

    private RecomputedMetaGradient() {}

    /**
     * Computes the outer loss and its gradient with respect to every parameter, recomputing per
     * mini-batch.
     *
     * @param model the model, parameters trainable, plain attention
     * @param tokens {@code [B, T + 1]} int64, T a multiple of the mini-batch size
     * @param secondOrder exact meta-gradient or the first-order variant
     * @param innerLrScale multiplier of the inner learning rate
     * @param manager owns the results
     * @return the loss and the gradient of each parameter
     */
    public static MetaObjective.Result lossAndGradients(
            TttLanguageModel model,
            NDArray tokens,
            boolean secondOrder,
            double innerLrScale,
            NDManager manager) {
        int batch = (int) tokens.getShape().get(0);
        int b = model.config().miniBatchSize();
        int n = model.config().trainingMiniBatches(tokens.getShape().get(1) - 1);
        Kernels kernels = Kernels.forDevice(manager.getDevice());
        InnerGradient inner = InnerGradient.of(kernels);
        StateOptions options = StateOptions.training(secondOrder).withInnerLrScale(innerLrScale);
        List<Parameter> params = model.parameterList();
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        // One state per pass, moved from mini-batch to mini-batch: its constants are made once.
        // The forward pass needs values only: the first-order step computes the same ones without
        // building the graph of the inner gradient.
        try (NDManager stored = manager.newSubManager();
                SequenceState forwardState =
                        SequenceState.create(model, batch, options.firstOrder(), inner);
                SequenceState backwardState = SequenceState.create(model, batch, options, inner)) {
            Sweep sweep = new Sweep(model, tokens, batch, b, n, stored);
            NDArray loss = sweep.forward(forwardState, manager);
            Map<Parameter, NDArray> total = sweep.backward(backwardState, kernels, params, manager);
            return new MetaObjective.Result(loss, total);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** One sequence batch's stored carries and the two passes over them. */
    private static final class Sweep {
        private final TttLanguageModel model;
        private final NDArray tokens;
        private final int batch;
        private final int b;
        private final int n;
        private final NDManager stored;
        private final MiniBatchLoss miniBatchLoss;

        /** 1 / (B · n): each mini-batch's and sequence's weight in the outer loss. */
        private final NDArray weight;

        /** The number of earlier mini-batches whose keys a cache holds (⌈C / b⌉). */
        private final int reach;

        /** W_i for i = 1 … n−1 (W_0 is the parameter itself). */
        private final Map<Integer, List<NDArray>> fastWeights = new HashMap<>();

        /** K_i and V_i per layer, for i = 0 … n−2. */
        private final Map<Integer, List<NDArray>> keys = new HashMap<>();

        private final Map<Integer, List<NDArray>> values = new HashMap<>();

        Sweep(TttLanguageModel model, NDArray tokens, int batch, int b, int n, NDManager stored) {
            this.model = model;
            this.tokens = tokens;
            this.batch = batch;
            this.b = b;
            this.n = n;
            this.stored = stored;
            this.miniBatchLoss =
                    new MiniBatchLoss(model.config(), model.precision().stream(), stored);
            this.weight = TorchOps.constant(stored, 1.0 / (batch * n), model.precision().stream());
            int capacity = model.config().slidingWindow() - 1 + b;
            this.reach = (capacity + b - 1) / b;
        }

        /** Runs every mini-batch once, keeping only the carries; returns the outer loss. */
        NDArray forward(SequenceState state, NDManager out) {
            NDArray loss = null;
            for (int i = 0; i < n; i++) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    Run run = run(i, state, false);
                    NDArray share = run.loss.stopGradient();
                    if (loss == null) {
                        loss = keep(share, out);
                    } else {
                        NDArray sum = keep(loss.add(share), out);
                        loss.close();
                        loss = sum;
                    }
                    if (i < n - 1) {
                        TrainingCarry next = state.trainingCarry();
                        fastWeights.put(i + 1, detached(next.fastWeights()));
                        keys.put(i, detached(newest(next.keys())));
                        values.put(i, detached(newest(next.values())));
                    }
                }
            }
            return loss;
        }

        /** Recomputes the mini-batches in reverse and sums the parameters' shares. */
        Map<Parameter, NDArray> backward(
                SequenceState state, Kernels kernels, List<Parameter> params, NDManager out) {
            Map<Parameter, NDArray> total = new LinkedHashMap<>();
            List<NDArray> fastCotangent = null; // Ŵ_{i+1}
            Map<Integer, List<NDArray>> keyCotangents = new HashMap<>();
            Map<Integer, List<NDArray>> valueCotangents = new HashMap<>();
            for (int i = n - 1; i >= 0; i--) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    Run run = run(i, state, true);
                    TrainingCarry next = state.trainingCarry();
                    NDArray surrogate = run.loss;
                    if (fastCotangent != null) {
                        surrogate = surrogate.add(dot(next.fastWeights(), fastCotangent));
                    }
                    List<NDArray> keyCotangent = keyCotangents.remove(i);
                    List<NDArray> valueCotangent = valueCotangents.remove(i);
                    if (keyCotangent != null) {
                        surrogate =
                                surrogate
                                        .add(dot(newest(next.keys()), keyCotangent))
                                        .add(dot(newest(next.values()), valueCotangent));
                    }
                    NDList wrt = new NDList();
                    params.forEach(p -> wrt.add(p.getArray()));
                    wrt.addAll(run.fastLeaves);
                    run.keyLeaves.values().forEach(wrt::addAll);
                    run.valueLeaves.values().forEach(wrt::addAll);
                    NDList g = kernels.grad(surrogate, wrt, false, false);
                    int at = 0;
                    for (Parameter p : params) {
                        NDArray share = g.get(at++);
                        NDArray sum = total.get(p);
                        if (sum == null) {
                            total.put(p, keep(share, out));
                        } else {
                            sum.addi(share);
                        }
                    }
                    release(fastCotangent);
                    fastCotangent =
                            run.fastLeaves.isEmpty()
                                    ? null
                                    : keep(g.subNDList(at, at + run.fastLeaves.size()));
                    at += run.fastLeaves.size();
                    at = accumulate(g, at, run.keyLeaves, keyCotangents);
                    accumulate(g, at, run.valueLeaves, valueCotangents);
                    release(keyCotangent);
                    release(valueCotangent);
                }
                release(fastWeights.remove(i));
                release(keys.remove(i));
                release(values.remove(i));
            }
            release(fastCotangent);
            return total;
        }

        /** What one run of a mini-batch made. */
        private record Run(
                NDArray loss,
                List<NDArray> fastLeaves,
                Map<Integer, List<NDArray>> keyLeaves,
                Map<Integer, List<NDArray>> valueLeaves) {}

        /**
         * Runs mini-batch i on the state, moved to its start with its stored carry (fresh W0 copies
         * when i = 0). The fast weights are always leaves (the inner step differentiates with
         * respect to them); the cached keys and values only when the run will be differentiated
         * ({@code leaves}).
         */
        private Run run(int i, SequenceState state, boolean leaves) {
            List<NDArray> fastLeaves = List.of();
            Map<Integer, List<NDArray>> keyLeaves = new LinkedHashMap<>();
            Map<Integer, List<NDArray>> valueLeaves = new LinkedHashMap<>();
            long at = (long) i * b;
            TrainingCarry carry;
            if (i == 0) {
                List<NDArray> none = Collections.nCopies(model.layers().size(), null);
                carry =
                        new TrainingCarry(
                                FastWeights.connectedTo(model, batch, stored).asList(), none, none);
            } else {
                fastLeaves = leaves(fastWeights.get(i), true);
                int first = Math.max(0, i - reach);
                for (int j = first; j < i; j++) {
                    keyLeaves.put(j, leaves(keys.get(j), leaves));
                    valueLeaves.put(j, leaves(values.get(j), leaves));
                }
                carry =
                        new TrainingCarry(
                                fastLeaves, window(keyLeaves, at), window(valueLeaves, at));
            }
            state.resumeTraining(at, carry);
            NDArray inputs = tokens.get(new NDIndex(":, {}:{}", at, at + b));
            NDArray targets = tokens.get(new NDIndex(":, {}:{}", at + 1, at + b + 1));
            NDArray nll = state.trainMiniBatch(inputs, targets);
            NDArray loss = miniBatchLoss.of(nll, targets).sum().mul(weight);
            return new Run(loss, fastLeaves, keyLeaves, valueLeaves);
        }

        /** Joins the stored per-mini-batch keys of the window before position {@code at}. */
        private List<NDArray> window(Map<Integer, List<NDArray>> chunks, long at) {
            int layers = model.layers().size();
            long slots = Math.min(at, (long) model.config().slidingWindow() - 1 + b);
            List<NDArray> out = new ArrayList<>();
            for (int l = 0; l < layers; l++) {
                NDList parts = new NDList();
                for (List<NDArray> chunk : chunks.values()) {
                    parts.add(chunk.get(l));
                }
                NDArray joined = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 2);
                long len = joined.getShape().get(2);
                out.add(
                        len == slots
                                ? joined
                                : joined.get(
                                        new NDIndex().addAllDim(2).addSliceDim(len - slots, len)));
            }
            return out;
        }

        /** The keys (or values) the last mini-batch appended: the last b slots of each layer. */
        private List<NDArray> newest(List<NDArray> caches) {
            List<NDArray> out = new ArrayList<>();
            for (NDArray c : caches) {
                long len = c.getShape().get(2);
                out.add(c.get(new NDIndex().addAllDim(2).addSliceDim(len - b, len)));
            }
            return out;
        }

        private List<NDArray> detached(List<NDArray> arrays) {
            List<NDArray> out = new ArrayList<>();
            for (NDArray a : arrays) {
                NDArray copy = a.stopGradient().duplicate();
                NDScope.unregister(copy);
                copy.attach(stored);
                out.add(copy);
            }
            return out;
        }

        /** Views of stored arrays as new leaves (or plain inputs for the forward pass). */
        private static List<NDArray> leaves(List<NDArray> storedArrays, boolean requireGradient) {
            List<NDArray> out = new ArrayList<>();
            for (NDArray a : storedArrays) {
                NDArray leaf = a.stopGradient();
                if (requireGradient) {
                    leaf.setRequiresGradient(true);
                }
                out.add(leaf);
            }
            return out;
        }

        /** Adds the leaves' gradients to the cotangents of the mini-batches that made them. */
        private int accumulate(
                NDList g,
                int at,
                Map<Integer, List<NDArray>> leaves,
                Map<Integer, List<NDArray>> cotangents) {
            for (Map.Entry<Integer, List<NDArray>> e : leaves.entrySet()) {
                List<NDArray> share = g.subNDList(at, at + e.getValue().size());
                at += e.getValue().size();
                List<NDArray> sum = cotangents.get(e.getKey());
                if (sum == null) {
                    cotangents.put(e.getKey(), keep(share));
                } else {
                    for (int l = 0; l < sum.size(); l++) {
                        sum.get(l).addi(share.get(l));
                    }
                }
            }
            return at;
        }

        private List<NDArray> keep(List<NDArray> arrays) {
            List<NDArray> out = new ArrayList<>();
            for (NDArray a : arrays) {
                out.add(keep(a, stored));
            }
            return out;
        }

        private static NDArray keep(NDArray a, NDManager owner) {
            NDScope.unregister(a);
            a.attach(owner);
            return a;
        }

        private static void release(List<NDArray> arrays) {
            if (arrays != null) {
                arrays.forEach(NDArray::close);
            }
        }

        /** Σ_t ⟨a_t, c_t⟩ over matching lists (c constant). */
        private static NDArray dot(List<NDArray> a, List<NDArray> c) {
            NDArray sum = null;
            for (int t = 0; t < a.size(); t++) {
                NDArray term = a.get(t).mul(c.get(t)).sum();
                sum = sum == null ? term : sum.add(term);
            }
            return sum;
        }
    }
}
