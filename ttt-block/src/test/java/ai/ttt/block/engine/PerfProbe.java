package ai.ttt.block.engine;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.ttt.block.NormPlacement;
import ai.ttt.block.RopeLayout;
import ai.ttt.block.TensorNames;
import ai.ttt.block.TttConfig;
import ai.ttt.block.nn.Precision;
import ai.ttt.block.nn.TttLanguageModel;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

public class PerfProbe {
    public static void main(String[] args) throws Exception {
        int ctx = Integer.parseInt(args[0]);
        int window = Integer.parseInt(args[1]);
        TttConfig c =
                new TttConfig(
                        32000,
                        768,
                        1664,
                        1664,
                        12,
                        12,
                        12,
                        64,
                        500000,
                        RopeLayout.INTERLEAVED,
                        null,
                        true,
                        false,
                        NormPlacement.SANDWICH,
                        true,
                        1e-6,
                        window,
                        1024,
                        3,
                        1,
                        1,
                        OptionalInt.of(1),
                        List.of());
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, long[]> shapes = TensorNames.expected(c);
            TttLanguageModel model =
                    TttLanguageModel.build(
                            c,
                            (n, mm) -> {
                                long[] s = shapes.get(n);
                                return s.length == 1
                                        ? mm.ones(new Shape(s))
                                        : mm.randomNormal(0, 0.02f, new Shape(s), DataType.FLOAT32);
                            },
                            m,
                            Precision.FP32,
                            OfficialTttSmokeTest::plain);
            long[][] toks = new long[1][ctx + 1];
            for (int i = 0; i < toks[0].length; i++) toks[0][i] = (i * 7919L) % 32000;
            for (int rep = 0; rep < 2; rep++) {
                try (SequenceState st =
                                SequenceState.create(
                                        model,
                                        1,
                                        StateOptions.inference(),
                                        OfficialTttSmokeTest::backwardGrad);
                        NDManager out = m.newSubManager()) {
                    long t0 = System.nanoTime();
                    FeedResult r = st.feed(toks, out);
                    r.targetNll().sum().getFloat();
                    long t1 = System.nanoTime();
                    System.out.printf(
                            "prefill %d: %.3f s per 1K tokens%n",
                            ctx, (t1 - t0) / 1e9 / (ctx / 1024.0));
                    long t2 = System.nanoTime();
                    for (int i = 0; i < 32; i++) {
                        FeedResult d = st.feed(new long[][] {{i}}, out);
                        d.lastLogits().argMax().getLong();
                    }
                    long t3 = System.nanoTime();
                    System.out.printf("decode: %.1f ms per token%n", (t3 - t2) / 1e6 / 32);
                }
            }
        }
    }
}
