# Microbenchmark on the GPU: QK-norm variants on the 3B shape [1, 1024, 64, 80] fp16 (forward, forward +
# backward, with the RoPE bmm), and q/k/v taken from the projection by narrow against split.
# Usage: python3 tools/gpu/qk_norm_probe.py
import torch, time, json
dev = "cuda"; eps = 1e-6
x0 = torch.randn(1, 1024, 64, 80, device=dev, dtype=torch.half)
w = (torch.rand(64, 80, device=dev) + 0.5).half()
turns = torch.randn(1024, 80, 80, device=dev, dtype=torch.half) * 0.1
def sync(): torch.cuda.synchronize()
def timed(f, n=50):
    for _ in range(3): f()
    sync(); t = time.perf_counter()
    for _ in range(n): f()
    sync(); return (time.perf_counter() - t) / n * 1e6
def a(x): return torch.rms_norm(x, [80], None, eps) * w
def c(x):
    xf = x.float(); return (xf * torch.rsqrt(xf.square().mean(-1, True) + eps)).half() * w
def d(x):
    r = torch.rsqrt(torch.linalg.vector_norm(x, 2.0, [-1], True, dtype=torch.float32).square().div(80).add(eps))
    return (x * r.half()) * w
def e(x):
    r = torch.rsqrt(x.float().square().mean(-1, True) + eps)
    return x * (r.half() * w)
def f2(x):
    # flattened rows
    return torch.rms_norm(x.reshape(-1, 80), [80], None, eps).view(x.shape) * w
def g(x):
    # rms over [.., 2, 40]? no: transpose to put head_dim outermost is wrong; try rows of 80 as [N,1,80]
    return torch.rms_norm(x.unsqueeze(-2), [1, 80], None, eps).squeeze(-2) * w
def h(x):
    return torch.layer_norm(x, [80], None, None, eps) * w  # NOT rms (mean subtracted): speed ref only
ref = c(x0).float()
res = {}
for name, fn in [("a_fused", a), ("c_manual_fp32", c), ("d_vector_norm", d), ("e_scale", e), ("f_flat", f2), ("g_2d", g), ("h_layernorm_speedref", h)]:
    out = fn(x0)
    res[name] = {"fwd_us": round(timed(lambda: fn(x0)), 1), "maxdiff": (out.float() - ref).abs().max().item()}
    xg = x0.clone().requires_grad_()
    gy = torch.randn_like(x0)
    res[name]["fwd_bwd_us"] = round(timed(lambda: torch.autograd.grad([fn(xg)], [xg], [gy])), 1)
    res[name]["with_rope_bmm_fwd_bwd_us"] = round(timed(lambda: torch.autograd.grad([torch.bmm(fn(xg).view(1024, 64, 80), turns)], [xg], [gy.view(1024,64,80)])), 1)
for k, v in res.items(): print(k, v)
# narrow vs split for q, k, v of the projection, forward + backward
W = torch.randn(2560, 7680, device=dev, dtype=torch.half) * 0.02
xin = torch.randn(1024, 2560, device=dev, dtype=torch.half, requires_grad=True)
gq = torch.randn(1, 1024, 32, 80, device=dev, dtype=torch.half)
def narrow_path():
    heads = torch.matmul(xin, W).view(1, 1024, 96, 80)
    qk = a(heads.narrow(2, 0, 64))
    q = qk.narrow(2, 0, 32); k = qk.narrow(2, 32, 32); v = heads.narrow(2, 64, 32)
    return torch.autograd.grad([q, k, v], [xin], [gq, gq, gq])
def split_path():
    heads = torch.matmul(xin, W).view(1, 1024, 96, 80)
    qk_raw, v = torch.split(heads, [64, 32], 2)
    qk = a(qk_raw)
    q, k = torch.split(qk, [32, 32], 2)
    return torch.autograd.grad([q, k, v], [xin], [gq, gq, gq])
print("narrow_fwd_bwd_us", round(timed(narrow_path), 1), "split_fwd_bwd_us", round(timed(split_path), 1))
print("grad diff", (narrow_path()[0] - split_path()[0]).abs().max().item())
