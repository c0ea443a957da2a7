package ai.ttt.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.ttt.block.kernels.AttentionMode;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TensorBinding;
import ai.ttt.block.nn.TttLanguageModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One table of tensor names ({@link TensorNames#layer}), derived from the config: the names a model
 * is loaded from, bound to and validated against are the same, in the same order, for every
 * combination of sandwich norms, biases, QK-norm, prime layers and tied embeddings; and no other
 * main source file spells a layer's tensor name.
 */
class TensorNamesTest {

    static List<TttConfig> configs() {
        TttConfig official = TestModels.tiny(12, 4); // sandwich, QK-norm, S = 2 of 3
        return List.of(
                official,
                official.toBuilder()
                        .normPlacement(NormPlacement.PRE)
                        .qkNorm(false)
                        .attentionBias(true)
                        .tieWordEmbeddings(false)
                        .build(),
                official.toBuilder().numPrimeLayers(0).build(),
                official.toBuilder().numPrimeLayers(3).build());
    }

    @Test
    void loadingBindingAndValidationWalkTheSameTable() throws IOException {
        for (TttConfig c : configs()) {
            Map<String, long[]> expected = TensorNames.expected(c);
            try (NDManager m = NDManager.newBaseManager()) {
                TttLanguageModel model =
                        TestModels.random(c, 1, 0.02, m, Precision.FP32, AttentionMode.PLAIN);
                Map<String, TensorBinding> bound = model.bindings();
                assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(bound.keySet()));
                for (Map.Entry<String, TensorBinding> e : bound.entrySet()) {
                    long[] shape =
                            e.getValue()
                                    .view(e.getValue().parameter().getArray())
                                    .getShape()
                                    .getShape();
                    assertArrayEquals(expected.get(e.getKey()), shape, e.getKey());
                }
            }
        }
    }

    @Test
    void namesTheConfigDoesNotHaveAreNull() {
        TttConfig plain =
                TestModels.tiny(12, 4).toBuilder()
                        .normPlacement(NormPlacement.PRE)
                        .qkNorm(false)
                        .numPrimeLayers(1)
                        .build();
        TensorNames.Layer first = TensorNames.layer(plain, 0);
        assertNull(first.attnPostNorm());
        assertNull(first.bq());
        assertNull(first.qNorm());
        assertNull(first.prime());
        assertNull(first.primeNorm());
        TensorNames.Layer last = TensorNames.layer(plain, 2);
        assertEquals("layers.2.prime_mlp.w1.weight", last.prime().w1());
        assertNull(last.primePostNorm());
    }

    /** Main sources spell a layer's tensor names only in TensorNames. */
    @Test
    void noOtherMainSourceSpellsALayerTensorName() throws IOException {
        // A string literal that is one of our layer tensor names or a piece of one
        // ("attn.wq.weight", "mlp_norm.weight", "prime_mlp."); DJL child-block names ("attn_norm")
        // and the source checkpoints' names ("self_attn.q_norm.weight") are not ours.
        Pattern literal = Pattern.compile("\"([^\"\\\\\n]*)\"");
        Pattern name =
                Pattern.compile(
                        "(layers\\.\\d*\\.?)?((attn\\.)?(wq|wk|wv|wo)\\.(weight|bias)"
                                + "|(attn\\.)?(q_norm|k_norm)\\.weight"
                                + "|(attn_norm|attn_post_norm|mlp_norm|mlp_post_norm|prime_norm"
                                + "|prime_post_norm)\\.weight"
                                + "|((prime_)?mlp\\.)?(w1|w2|w3)\\.weight|prime_mlp\\.|mlp\\.|attn\\.)");
        Path root = Paths.get(System.getProperty("basedir", ".")).resolve("..").normalize();
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String p = root.relativize(f).toString();
                if (!p.endsWith(".java")
                        || !p.contains("/src/main/")
                        || p.endsWith("ai/ttt/block/TensorNames.java")) {
                    continue;
                }
                Matcher m = literal.matcher(Files.readString(f));
                while (m.find()) {
                    if (name.matcher(m.group(1)).matches()) {
                        offenders.add(p + ": " + m.group());
                    }
                }
            }
        }
        assertTrue(
                offenders.isEmpty(),
                "layer tensor names spelled outside TensorNames: " + offenders);
    }
}
