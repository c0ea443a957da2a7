package ai.ttt.block.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.ttt.block.Fixtures;
import ai.ttt.block.NormPlacement;
import ai.ttt.block.RopeLayout;
import ai.ttt.block.TttConfig;
import java.nio.file.Files;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class HfParitySmokeTest {

    static NDArray plain(NDArray q, NDArray k, NDArray v, NDArray mask, boolean d) {
        long g = q.getShape().get(1) / k.getShape().get(1);
        NDArray kk = k.repeat(1, g);
        NDArray vv = v.repeat(1, g);
        double scale = 1.0 / Math.sqrt(q.getShape().get(3));
        NDArray s = q.matMul(kk.transpose(0, 1, 3, 2)).mul(scale).add(mask);
        return s.softmax(-1).matMul(vv);
    }

    @Test
    void llamaTinyLogits() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDList hf =
                    NDList.decode(
                            m, Files.readAllBytes(Fixtures.get("hf/llama-tiny/model.safetensors")));
            NDList ref =
                    NDList.decode(
                            m,
                            Files.readAllBytes(
                                    Fixtures.get("hf/llama-tiny/reference.safetensors")));
            TttConfig c =
                    new TttConfig(
                            512,
                            64,
                            128,
                            128,
                            4,
                            4,
                            2,
                            16,
                            10000,
                            RopeLayout.ROTATE_HALF,
                            null,
                            false,
                            false,
                            NormPlacement.PRE,
                            false,
                            1e-6,
                            64,
                            16,
                            0,
                            1,
                            1,
                            OptionalInt.of(1),
                            List.of(2));
            TttLanguageModel model =
                    TttLanguageModel.build(
                            c,
                            (name, mm) -> {
                                String hfName = map(name);
                                NDArray a = hf.get(hfName);
                                boolean matrix =
                                        a.getShape().dimension() == 2
                                                && !name.contains("embed")
                                                && !name.contains("lm_head");
                                return matrix ? a.transpose().duplicate() : a.duplicate();
                            },
                            m,
                            Precision.FP32,
                            HfParitySmokeTest::plain);
            NDArray logits =
                    model.forward(
                                    new ParameterStore(m, false),
                                    new NDList(ref.get("input_ids")),
                                    false)
                            .singletonOrThrow();
            float diff = logits.sub(ref.get("logits")).abs().max().getFloat();
            System.out.println("max |logit diff| = " + diff);
            assertTrue(diff < 1e-4, "diff " + diff);
        }
    }

    static String map(String n) {
        if (n.equals("embed_tokens.weight")) {
            return "model.embed_tokens.weight";
        }
        if (n.equals("norm.weight")) {
            return "model.norm.weight";
        }
        if (n.equals("lm_head.weight")) {
            return n;
        }
        String[] p = n.split("\\.", 3);
        String rest = p[2];
        String base = "model.layers." + p[1] + ".";
        switch (rest) {
            case "attn_norm.weight":
                return base + "input_layernorm.weight";
            case "mlp_norm.weight":
                return base + "post_attention_layernorm.weight";
            case "attn.wq.weight":
                return base + "self_attn.q_proj.weight";
            case "attn.wk.weight":
                return base + "self_attn.k_proj.weight";
            case "attn.wv.weight":
                return base + "self_attn.v_proj.weight";
            case "attn.wo.weight":
                return base + "self_attn.o_proj.weight";
            case "mlp.w1.weight":
                return base + "mlp.gate_proj.weight";
            case "mlp.w3.weight":
                return base + "mlp.up_proj.weight";
            case "mlp.w2.weight":
                return base + "mlp.down_proj.weight";
            default:
                throw new IllegalArgumentException(n);
        }
    }
}
