package scratch;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.ttt.block.kernels.TorchScriptArchive;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.Test;

class CallCostScratch {
    static final String SRC =
            String.join(
                    "\n",
                    "class M(Module):",
                    "  __parameters__ = []",
                    "  __buffers__ = []",
                    "  training : bool",
                    "  def forward(self: __torch__.M, x: Tensor) -> Tensor:",
                    "    return x",
                    "  def calls(self: __torch__.M, x: Tensor) -> Tensor:",
                    "    y = x",
                    "    for i in range(1000):",
                    "      y = self.f(y)",
                    "    return y",
                    "  def inline(self: __torch__.M, x: Tensor) -> Tensor:",
                    "    y = x",
                    "    for i in range(1000):",
                    "      y = torch.neg(y)",
                    "    return y",
                    "  def f(self: __torch__.M, y: Tensor) -> Tensor:",
                    "    return torch.neg(y)",
                    "");

    @Test
    void measure() throws Exception {
        try (Model model = Model.newInstance("m", ai.djl.Device.cpu(), "PyTorch");
                NDManager m = NDManager.newBaseManager()) {
            TorchScriptArchive.loadInto(model, "M", SRC, new LinkedHashMap<>());
            Block b = model.getBlock();
            ParameterStore ps = new ParameterStore(m, false);
            for (String method : new String[] {"calls", "inline", "calls", "inline"}) {
                for (boolean opt : new boolean[] {false, true}) {
                    ai.djl.pytorch.jni.JniUtils.setGraphExecutorOptimize(opt);
                    long best = Long.MAX_VALUE;
                    for (int r = 0; r < 20; r++) {
                        NDList in = new NDList(m.ones(new ai.djl.ndarray.types.Shape(1)));
                        var sel = m.zeros(new ai.djl.ndarray.types.Shape(1));
                        sel.setName("module_method:" + method);
                        in.add(sel);
                        long t = System.nanoTime();
                        b.forward(ps, in, true);
                        best = Math.min(best, System.nanoTime() - t);
                    }
                    System.out.printf(
                            "%s opt=%s: %.2f us per iteration%n",
                            method, opt, best / 1000.0 / 1000);
                }
            }
        }
    }
}
