# Probe of the engine's TorchScript program (ttt-block/.../programs/TttProgram.torchscript) on a GPU,
# outside DJL: the same archive layout the Java code writes (source + attributes in data.pkl), random
# weights at a `ttt bench` preset shape, fp16 matmuls and an fp32 stream. Prints ms per prefill
# mini-batch (ring full, with the TTT step), per decoded token, and per decode-time step, optionally
# a profile and attention variants. Speed claims come from `ttt bench`; this shows where time goes.
# Usage: python3 tools/gpu/program_probe.py [--optimize] [--profile] [--attention] [--ratio]
import json, os, sys, time
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from program_archive import SOURCE_PATH, archive
OUT = os.environ.get("OUT", ".")

SHAPES = {"125m": (12, 768, 12, 64, 1664), "760m": (24, 1536, 16, 96, 3328), "3b": (32, 2560, 32, 80, 5632)}
preset = os.environ.get("PRESET", "3b")
L, d, H, hd, F = SHAPES[preset]
S, V, k, b = L // 4, 128256, int(os.environ.get("WINDOW", 8192)), 1024
C = k - 1 + b
dev = "cuda"
attrs = dict(num_layers=L, num_prime=S, heads=H, kv_heads=H, head_dim=hd, window=k, mini_batch=b, capacity=C,
             eps=1e-6, sandwich=True, qk_norm=True, qkv_bias=False, bos=128000, clip=1.0, stream_dtype=6, matmul_dtype=5, qk_dtype=5,
             fused_norm="--plain-norm" not in sys.argv, flash_window="--band-mask" not in sys.argv)
attrs["mirrored"] = attrs["flash_window"]          # as TttProgram.attributes: 2C slots per ring
attrs["residual_dtype"] = 5                        # as TttProgram.residualType on the GPU in fp16
attrs["rope_turns"] = True
attrs.update(json.loads(os.environ.get("ATTRS", "{}")))  # overrides for experiments, e.g. '{"stream_dtype": 5}'
R = 2 * C if attrs["mirrored"] else C

torch._C._set_graph_executor_optimize(False)   # what the engine does (Kernels.prepareThread)
FUSE = "--optimize" in sys.argv                  # decoding only, as -Dttt.fuseDecoding=true
archive(attrs, "/tmp/ttt_program.pt")
prog = torch.jit.load("/tmp/ttt_program.pt", map_location=dev)

torch.manual_seed(0)
def mat(*s): return (torch.randn(*s, device=dev) * 0.02).half()
NORM_DTYPE = torch.half if attrs["residual_dtype"] == 5 else torch.float   # norm weights in the residual type
def ones(n): return torch.ones(n, device=dev, dtype=NORM_DTYPE)
empty = torch.zeros(0, device=dev)
weights = []
for l in range(L):
    prime = l >= L - S
    weights += [ones(d), ones(d), mat(d, 3 * H * hd), empty, torch.ones(2 * H, hd, device=dev).half(), empty, mat(H * hd, d),
                ones(d) if prime else empty, ones(d) if prime else empty, ones(d), ones(d), mat(d, 2 * F), mat(F, d)]
inv = 1.0 / (500000.0 ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
lanes = inv.repeat_interleave(2).to(dev)
rot = torch.zeros(hd, hd)
for j in range(hd // 2):
    rot[2 * j + 1, 2 * j] = -1.0; rot[2 * j, 2 * j + 1] = 1.0
embed = mat(V, d)
weights += [embed, embed, ones(d), lanes, rot.to(dev)]

def new_state():
    st = []
    for l in range(L):
        shape = (1, R, H, hd) if attrs["mirrored"] else (1, H, R, hd)   # mirrored rings are slot-major
        st += [torch.zeros(*shape, device=dev, dtype=torch.half), torch.zeros(*shape, device=dev, dtype=torch.half)]
    st += [torch.full((C,), -(1 << 40), device=dev, dtype=torch.long) for _ in range(2)]
    fast = []
    for j in range(S):
        fast += [torch.randn(1, d, 2 * F, device=dev) * 0.02, torch.randn(1, F, d, device=dev) * 0.02]
    st += fast + [w.half() for w in fast]
    st += [torch.zeros(1, b, d, device=dev), torch.zeros(1, b + 1, device=dev, dtype=torch.long),
           torch.zeros(1, device=dev, dtype=torch.long), torch.tensor([1.0], dtype=torch.float64),
           torch.tensor([0, 0, 0, 1], dtype=torch.long)]
    return st

def flags(*f): return torch.tensor(list(f), dtype=torch.long)
STEP = flags(1, 1, 1, 0, 0, 0)
DECODE = flags(0, 0, 0, 0, 1, 1)
toks = torch.randint(0, V, (1, 40 * b + 1), device=dev)
res = {"preset": preset, "window": k, "gpu": torch.cuda.get_device_name(), "torch": torch.__version__,
       "optimize": "--optimize" in sys.argv}

def sync(): torch.cuda.synchronize()
state = new_state()
def prefill_chunk(i, program=None, st=None):
    # mini-batch i of toks with its step, on the probe's program and state unless others are given
    return (prog if program is None else program).chunk(toks[:, i * b:(i + 1) * b], toks[:, i * b + 1:(i + 1) * b + 1], STEP, weights,
                                                         state if st is None else st)
n_fill = (k + b - 1) // b + 1
for i in range(n_fill):
    prefill_chunk(i)
sync(); t = time.perf_counter(); reps = 6
for i in range(n_fill, n_fill + reps):
    prefill_chunk(i)
sync(); res["prefill_ms_per_minibatch"] = (time.perf_counter() - t) / reps * 1e3
res["peak_gib_prefill"] = torch.cuda.max_memory_allocated() / 2**30
pos = (n_fill + reps) * b
# decode: open mini-batch from 0, one token at a time
tok = toks[:, :1].clone()
nd = 50
def decode_ms(step):
    # ms per token of step() (one decoded token), 5 warm-up tokens, one value read back per token
    # as sampling would
    for _ in range(5):
        step()
    sync(); t = time.perf_counter()
    for _ in range(nd):
        step()[0][0, 0].item()
    return (time.perf_counter() - t) / nd * 1e3
torch._C._set_graph_executor_optimize(FUSE)
res["decode_ms_per_token"] = decode_ms(lambda: prog.chunk(tok, tok, DECODE, weights, state))
# the lean method the engine calls for generation's tokens, under InferenceMode as the engine calls
# it, and outside it for comparison
with torch.inference_mode():
    res["decode_method_ms_per_token"] = decode_ms(lambda: prog.decode(tok, DECODE, weights, state))
res["decode_method_outside_inference_mode_ms"] = decode_ms(lambda: prog.decode(tok, DECODE, weights, state))
torch._C._set_graph_executor_optimize(False)
# the decode-time step
state[-1][1] = b
sync(); t = time.perf_counter()
prog.close_mini_batch(tok, weights, state)
sync(); res["close_step_ms"] = (time.perf_counter() - t) * 1e3
print(json.dumps(res), flush=True)

if "--decode-variants" in sys.argv:
    # The same decoding on fresh loads of the program (fresh graph executors, the ring full):
    # TorchScript's plain executor (what the engine uses), its optimizing executor without fusion
    # (method calls inlined), and with its fuser.
    v = {}
    for name, optimize, fuser in [("plain", False, True), ("inlined", True, False), ("fused", True, True)]:
        torch._C._jit_set_texpr_fuser_enabled(fuser)
        torch._C._set_graph_executor_optimize(optimize)
        p2 = torch.jit.load("/tmp/ttt_program.pt", map_location=dev)
        state[-1][1] = 0
        v[name + "_decode_ms"] = decode_ms(lambda: p2.decode(tok, DECODE, weights, state))
    # The plain executor on a graph with every method call inlined before the first call: what the
    # interpreter's method calls (≈ 10 per block) cost.
    torch._C._set_graph_executor_optimize(False)
    p2 = torch.jit.load("/tmp/ttt_program.pt", map_location=dev)
    torch._C._jit_pass_inline(p2.decode.graph)
    state[-1][1] = 0
    v["calls"] = str(p2.decode.graph).count("prim::CallMethod")
    with torch.inference_mode():
        v["plain_inference_mode_decode_ms"] = decode_ms(lambda: prog.decode(tok, DECODE, weights, state))
        v["inlined_plain_inference_mode_decode_ms"] = decode_ms(lambda: p2.decode(tok, DECODE, weights, state))
        v["plain_inference_mode_again_decode_ms"] = decode_ms(lambda: prog.decode(tok, DECODE, weights, state))
    torch._C._jit_set_texpr_fuser_enabled(True)
    torch._C._set_graph_executor_optimize(False)
    print(json.dumps(v), flush=True)
    res["decode_variants"] = v

if "--profile" in sys.argv:
    from torch.profiler import profile, ProfilerActivity
    state[-1][1] = 0
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA], record_shapes=os.environ.get("SHAPES") == "1") as p:
        prefill_chunk(n_fill + reps); sync()
    # SHAPES=1 groups the operators by their input shapes (which op of the program each row is).
    by_shape = os.environ.get("SHAPES") == "1"
    rows = int(os.environ.get("ROWS", 25))
    print("== one prefill mini-batch ==")
    print(p.key_averages(group_by_input_shape=by_shape).table(sort_by="self_cuda_time_total", row_limit=rows, max_name_column_width=70))
    # the decode method as the engine calls it (InferenceMode)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA], record_shapes=by_shape) as p:
        with torch.inference_mode():
            for _ in range(3):
                prog.decode(tok, DECODE, weights, state)
        sync()
    print("== three decode tokens ==")
    print(p.key_averages(group_by_input_shape=by_shape).table(sort_by="self_cuda_time_total", row_limit=rows, max_name_column_width=70))

if "--attention" in sys.argv:
    # Sliding-window attention of one mini-batch (b queries, the window before it cached): the band
    # mask the program uses now, against a split into masked-free flash parts merged by log-sum-exp.
    q = torch.randn(1, H, b, hd, device=dev, dtype=torch.half, requires_grad=True)
    kc = torch.randn(1, H, C, hd, device=dev, dtype=torch.half)
    kn = torch.randn(1, H, b, hd, device=dev, dtype=torch.half, requires_grad=True)
    start = 20 * b
    slots = torch.arange(start - C + b, start + b, device=dev)  # ring in position order for simplicity
    qpos = torch.arange(start, start + b, device=dev)
    dist = qpos[:, None] - slots[None, :]
    band = torch.full((b, C), float("-inf"), device=dev, dtype=torch.half).masked_fill_((dist >= 0) & (dist < k), 0.0)
    F_ = torch.nn.functional.scaled_dot_product_attention
    def flash_lse(q, kk, vv, causal):
        o, lse = torch.ops.aten._scaled_dot_product_flash_attention(q, kk, vv, 0.0, causal, False)[:2]
        return o, lse
    def split(q, hist, new):
        # history (the k - 1 positions before the chunk): the first b are seen by some queries only
        # (a small masked part), the rest by all (flash, no mask); the chunk itself: causal flash.
        h_part, h_full = hist[:, :, :b], hist[:, :, b:]
        o1, l1 = flash_lse(q, h_full, h_full, False)
        o2, l2 = flash_lse(q, new, new, True)
        d2 = qpos[:, None] - slots[None, :b]
        m2 = torch.zeros(b, b, device=dev, dtype=torch.half).masked_fill_(~((d2 >= 0) & (d2 < k)), float("-inf"))
        o3, l3 = torch.ops.aten._scaled_dot_product_efficient_attention(q, h_part, h_part, m2.expand(1, H, b, b), True)[:2]
        l3 = l3[..., :b]
        lse = torch.logsumexp(torch.stack([l1, l2, l3]), 0)
        return (o1.float() * (l1 - lse).exp()[..., None] + o2.float() * (l2 - lse).exp()[..., None]
                + o3.float() * (l3 - lse).exp()[..., None]).half()
    def fa2_window(q, keys):
        # one FlashAttention-2 call with a sliding window: keys in position order [history ; chunk],
        # query t sees keys t … t + k − 1 (window_size_left = k − 1, causal on the right).
        o = torch.ops.aten._flash_attention_forward(
            q.transpose(1, 2), keys.transpose(1, 2), keys.transpose(1, 2), None, None, q.size(2), keys.size(2),
            0.0, True, False, window_size_left=k - 1, window_size_right=0)[0]
        return o.transpose(1, 2)
    def timed(f, n=20):
        f(); sync(); t = time.perf_counter()
        for _ in range(n): f()
        sync(); return (time.perf_counter() - t) / n * 1e3
    hist = kc[:, :, :C - b]
    keys = torch.cat([hist, kn], 2)
    ref = F_(q, keys, keys, attn_mask=band)
    alt = split(q, hist, kn)
    a = {"band_fwd_ms": timed(lambda: F_(q, keys, keys, attn_mask=band)),
         "no_mask_fwd_ms": timed(lambda: F_(q, keys, keys)),
         "split_fwd_ms": timed(lambda: split(q, hist, kn)),
         "split_max_abs_diff": (ref - alt).abs().max().item()}
    try:
        win = fa2_window(q, keys)
        a["fa2_window_max_abs_diff"] = (ref - win).abs().max().item()
        a["fa2_window_fwd_ms"] = timed(lambda: fa2_window(q, keys))
        gq_ref, gk_ref = torch.autograd.grad([F_(q, torch.cat([hist, kn], 2), torch.cat([hist, kn], 2), attn_mask=band)], [q, kn], [torch.ones_like(ref)])
        gq, gk = torch.autograd.grad([fa2_window(q, torch.cat([hist, kn], 2))], [q, kn], [torch.ones_like(ref)])
        a["fa2_window_grad_max_abs_diff"] = max((gq - gq_ref).abs().max().item(), (gk - gk_ref).abs().max().item())
        a["grad_scale"] = gq_ref.abs().max().item()
        gg = torch.randn_like(ref)
        a["fa2_window_fwd_bwd_ms"] = timed(lambda: torch.autograd.grad([fa2_window(q, torch.cat([hist, kn], 2))], [q, kn], [gg]))
        # cuDNN's fused attention (Hopper kernels) on the same window with the band as a bias: it
        # has no sliding window of its own, so it computes the masked tiles too.
        bias = band.view(1, 1, b, C)
        def cudnn_band(q, keys):
            # compute_log_sumexp when a gradient is wanted: the backward needs it
            return torch.ops.aten._scaled_dot_product_cudnn_attention(q, keys, keys, bias, q.requires_grad, 0.0, False, False)[0]
        try:
            a["cudnn_band_max_abs_diff"] = (ref - cudnn_band(q, keys)).abs().max().item()
            a["cudnn_band_fwd_ms"] = timed(lambda: cudnn_band(q, keys))
            a["cudnn_no_mask_fwd_ms"] = timed(lambda: torch.ops.aten._scaled_dot_product_cudnn_attention(q, keys, keys, None, False, 0.0, False, False)[0])
            a["cudnn_band_fwd_bwd_ms"] = timed(lambda: torch.autograd.grad([cudnn_band(q, torch.cat([hist, kn], 2))], [q, kn], [gg]))
            cq, ck = torch.autograd.grad([cudnn_band(q, torch.cat([hist, kn], 2))], [q, kn], [torch.ones_like(ref)])
            a["cudnn_band_grad_max_abs_diff"] = max((cq - gq_ref).abs().max().item(), (ck - gk_ref).abs().max().item())
        except Exception as e:
            a["cudnn_error"] = repr(e)[:500]
        ring = torch.randn(1, H, C, hd, device=dev, dtype=torch.half)
        idx = torch.remainder(torch.arange(start - k + 1, start, device=dev), C)
        a["gather_window_ms"] = timed(lambda: torch.cat([ring.index_select(2, idx), kn], 2))
    except Exception as e:
        a["fa2_window_error"] = repr(e)[:500]
    g = torch.randn_like(ref)
    a["band_fwd_bwd_ms"] = timed(lambda: torch.autograd.grad([F_(q, torch.cat([hist, kn], 2), torch.cat([hist, kn], 2), attn_mask=band)], [q, kn], [g]))
    a["split_fwd_bwd_ms"] = timed(lambda: torch.autograd.grad([split(q, hist, kn)], [q, kn], [g]))
    print(json.dumps(a), flush=True)
    res["attention"] = a
if "--ratio" in sys.argv:
    # Issue 11's 128K / 8K prefill ratio inside the probe, and what attention would have to cost to
    # reach a given ratio. For each variant of the program's windowed attention: ms per mini-batch of
    # an 8K prefill from an empty state (8 mini-batches: the window fills up) and of mini-batches
    # with the ring full (what 128K runs at). Variants, the last two for bounds only (not exact):
    #   flash  the program as it is (FlashAttention-2 with window_size_left)
    #   dense  cuDNN's dense attention over the whole window rectangle (no mask): the fastest
    #          attention kernel this PyTorch has, doing ≥ the band's work
    #   none   no attention at all (o = q): the rest of the mini-batch, R
    import re
    source = open(SOURCE_PATH).read()
    flash_call = re.compile(r"torch\._flash_attention_forward\(.*?\)\[0\]", re.S)
    assert len(flash_call.findall(source)) == 1, "the windowed FlashAttention call of attention() moved"
    dense = ("torch.scaled_dot_product_attention(q.transpose(1, 2), keys.transpose(1, 2), "
             "values.transpose(1, 2)).transpose(1, 2)")
    ratios = {}
    for name, replacement in [("flash", None), ("dense", dense), ("none", "q")]:
        path = "/tmp/ttt_program_%s.pt" % name
        if replacement is None:
            archive(attrs, path)
        else:
            variant = "/tmp/TttProgram_%s.torchscript" % name
            open(variant, "w").write(flash_call.sub(replacement, source))
            archive(attrs, path, variant)
        torch.backends.cuda.enable_flash_sdp(name != "dense")   # dense: cuDNN, not flash
        torch.backends.cuda.enable_mem_efficient_sdp(name != "dense")
        torch.backends.cuda.enable_math_sdp(name != "dense")         # fail rather than fall back
        p3 = torch.jit.load(path, map_location=dev)
        def run(count, fill):
            st = new_state()
            for i in range(fill):
                prefill_chunk(i, p3, st)
            sync(); t0 = time.perf_counter()
            for i in range(fill, fill + count):
                prefill_chunk(i, p3, st)
            sync(); return (time.perf_counter() - t0) / count * 1e3
        run(8, 0)                                    # warm-up
        from_empty = min(run(8, 0) for _ in range(3))
        full = min(run(6, n_fill) for _ in range(2))
        ratios[name] = {"ms_8k": from_empty, "ms_full": full, "ratio": full / from_empty}
        print(name, json.dumps(ratios[name]), flush=True)
    torch.backends.cuda.enable_flash_sdp(True)
    torch.backends.cuda.enable_mem_efficient_sdp(True)
    torch.backends.cuda.enable_math_sdp(True)
    # Attention's share: A = flash − none with the ring full (a_8k from empty); a kernel f times
    # faster than FlashAttention-2 here gives (R + A/f) / (R8 + A8/f).
    R, R8 = ratios["none"]["ms_full"], ratios["none"]["ms_8k"]
    A, A8 = ratios["flash"]["ms_full"] - R, ratios["flash"]["ms_8k"] - R8
    ratios["attention_ms_full"], ratios["attention_ms_8k"] = A, A8
    ratios["ratio_if_attention_faster_by"] = {str(f): (R + A / f) / (R8 + A8 / f) for f in (1, 1.6, 2, 3, 4, 1e9)}
    print(json.dumps(ratios), flush=True)
    res["ratio"] = ratios
json.dump(res, open(os.path.join(OUT, "program_probe_%s%s.json" % (preset, "_opt" if res["optimize"] else "")), "w"), indent=1)
