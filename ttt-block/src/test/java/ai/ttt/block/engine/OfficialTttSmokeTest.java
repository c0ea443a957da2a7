package ai.ttt.block.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.ttt.block.Fixtures;
import ai.ttt.block.NormPlacement;
import ai.ttt.block.RopeLayout;
import ai.ttt.block.TttConfig;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import java.nio.file.Files;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OfficialTttSmokeTest {

    static NDArray plain(NDArray q, NDArray k, NDArray v, NDArray mask, boolean d) {
        long g = q.getShape().get(1) / k.getShape().get(1);
        NDArray kk = k.repeat(1, g);
        NDArray vv = v.repeat(1, g);
        double scale = 1.0 / Math.sqrt(q.getShape().get(3));
        NDArray s = q.matMul(kk.transpose(0, 1, 3, 2)).mul(scale).add(mask);
        return s.softmax(-1).matMul(vv);
    }

    static NDList backwardGrad(NDArray loss, NDList wrt, boolean cg, boolean rg) {
        JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), rg || cg, cg);
        NDList out = new NDList();
        for (NDArray w : wrt) {
            NDArray g = w.getGradient();
            out.add(g.duplicate());
            JniUtils.zeroGrad((PtNDArray) w);
            g.close();
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"tiny-L4-S1,1,32,128", "tiny-L4-S2-k24,2,24,96"})
    void matchesOfficial(String name, int s, int k, int t) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDList w =
                    NDList.decode(
                            m,
                            Files.readAllBytes(
                                    Fixtures.get(
                                            "official/" + name + "/official-weights.safetensors")));
            NDList ref =
                    NDList.decode(
                            m,
                            Files.readAllBytes(
                                    Fixtures.get("official/" + name + "/reference.safetensors")));
            TttConfig c =
                    new TttConfig(
                            512,
                            64,
                            128,
                            128,
                            4,
                            4,
                            4,
                            16,
                            10000,
                            RopeLayout.INTERLEAVED,
                            null,
                            true,
                            false,
                            NormPlacement.SANDWICH,
                            true,
                            1e-6,
                            k,
                            16,
                            s,
                            1,
                            1,
                            OptionalInt.of(1),
                            List.of());
            TttLanguageModel model =
                    TttLanguageModel.build(
                            c,
                            (n, mm) -> official(w, n, 4, s).duplicate(),
                            m,
                            Precision.FP32,
                            OfficialTttSmokeTest::plain);
            for (boolean ttt : new boolean[] {false, true}) {
                try (SequenceState st =
                        SequenceState.create(
                                model,
                                1,
                                ttt ? StateOptions.inference() : StateOptions.withoutTtt(),
                                OfficialTttSmokeTest::backwardGrad)) {
                    FeedResult r = st.feed(ref.get("tokens").reshape(1, t + 1), m, false);
                    String suffix = ttt ? "ttt" : "no_ttt";
                    float d1 =
                            r.targetNll()
                                    .reshape(-1)
                                    .sub(ref.get("token_nll_" + suffix))
                                    .abs()
                                    .max()
                                    .getFloat();
                    System.out.println(name + " " + suffix + " token nll diff " + d1);
                    if (ttt) {
                        float d2 =
                                r.chunkLosses()
                                        .reshape(-1)
                                        .sub(ref.get("chunk_loss_" + suffix))
                                        .abs()
                                        .max()
                                        .getFloat();
                        System.out.println(name + " chunk loss diff " + d2);
                        assertTrue(d2 < 1e-4);
                    }
                    assertTrue(d1 < 1e-4);
                }
                // Teacher-forced decoding: one token at a time.
                try (SequenceState st =
                        SequenceState.create(
                                model,
                                1,
                                ttt ? StateOptions.inference() : StateOptions.withoutTtt(),
                                OfficialTttSmokeTest::backwardGrad)) {
                    NDArray tokens = ref.get("tokens").reshape(1, t + 1);
                    NDList nlls = new NDList();
                    NDList losses = new NDList();
                    // a prompt of 21 tokens, then one at a time
                    FeedResult first = st.feed(tokens.get(":, 0:21"), m, false);
                    nlls.add(first.targetNll());
                    if (first.chunkLosses() != null) {
                        losses.add(first.chunkLosses());
                    }
                    for (int i = 21; i <= t; i++) {
                        FeedResult r = st.feed(tokens.get(":, {}:{}", i, i + 1), m, false);
                        nlls.add(r.targetNll());
                        if (r.chunkLosses() != null) {
                            losses.add(r.chunkLosses());
                        }
                    }
                    String suffix = ttt ? "ttt" : "no_ttt";
                    float d1 =
                            NDArrays.concat(nlls, 1)
                                    .reshape(-1)
                                    .sub(ref.get("token_nll_" + suffix))
                                    .abs()
                                    .max()
                                    .getFloat();
                    System.out.println(name + " decode " + suffix + " token nll diff " + d1);
                    assertTrue(d1 < 1e-4);
                    if (ttt) {
                        NDArray expected = ref.get("chunk_loss_ttt");
                        float d2 =
                                NDArrays.concat(losses, 1)
                                        .reshape(-1)
                                        .sub(expected)
                                        .abs()
                                        .max()
                                        .getFloat();
                        System.out.println(name + " decode chunk loss diff " + d2);
                        assertTrue(d2 < 1e-4);
                    }
                }
            }
        }
    }

    static NDArray official(NDList w, String n, int layers, int s) {
        String p = "language_model.model.";
        if (n.equals("embed_tokens.weight")) {
            return w.get(p + "wte.weight");
        }
        if (n.equals("norm.weight")) {
            return w.get(p + "ln_f.weight");
        }
        String[] parts = n.split("\\.", 3);
        int i = Integer.parseInt(parts[1]);
        String rest = parts[2];
        String b = p + "h.blocks.";
        String ps = p + "h.prime_storage.";
        String key;
        int idx = i;
        switch (rest) {
            case "attn_norm.weight":
                key = b + "seq_norm.weight";
                break;
            case "attn_post_norm.weight":
                key = b + "seq_post_norm.weight";
                break;
            case "mlp_norm.weight":
                key = b + "ffn_norm.weight";
                break;
            case "mlp_post_norm.weight":
                key = b + "ffn_post_norm.weight";
                break;
            case "attn.wq.weight":
                key = b + "seq_modeling_block.wq.weight";
                break;
            case "attn.wk.weight":
                key = b + "seq_modeling_block.wk.weight";
                break;
            case "attn.wv.weight":
                key = b + "seq_modeling_block.wv.weight";
                break;
            case "attn.wo.weight":
                key = b + "seq_modeling_block.wo.weight";
                break;
            case "attn.q_norm.weight":
                key = b + "seq_modeling_block.q_norm.weight";
                break;
            case "attn.k_norm.weight":
                key = b + "seq_modeling_block.k_norm.weight";
                break;
            case "mlp.w1.weight":
                key = b + "feed_forward.w1.weight";
                break;
            case "mlp.w2.weight":
                key = b + "feed_forward.w2.weight";
                break;
            case "mlp.w3.weight":
                key = b + "feed_forward.w3.weight";
                break;
            default:
                idx = i - (layers - s);
                switch (rest) {
                    case "prime_norm.weight":
                        key = ps + "ffn_prime_norm.weight";
                        break;
                    case "prime_post_norm.weight":
                        key = ps + "ffn_prime_post_norm.weight";
                        break;
                    case "prime_mlp.w1.weight":
                        key = ps + "feed_forward_prime.w1.weight";
                        break;
                    case "prime_mlp.w2.weight":
                        key = ps + "feed_forward_prime.w2.weight";
                        break;
                    case "prime_mlp.w3.weight":
                        key = ps + "feed_forward_prime.w3.weight";
                        break;
                    default:
                        throw new IllegalArgumentException(n);
                }
        }
        return w.get(key).get(idx);
    }
}
