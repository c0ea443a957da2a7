# GPU exactness (issue 11, acceptance 4): converts every fixture under test-fixtures/ with `ttt
# convert`, scores its reference tokens with `ttt score --device gpu` and compares the per-token NLL
# with the reference implementation's (Hugging Face transformers for hf/, the official JAX code for
# official/). fp32: without TTT for hf/ (transformers has none), with and without for official/;
# fp16 with TTT for official/. Prints a table and writes $OUT/fixture_parity.json.
# Usage (on the GPU machine, after `. .gpukit/on-device.sh`): python3 tools/gpu/fixture_parity.py
import json, os, shlex, struct, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TTT = shlex.split(os.environ["TTT"])
OUT = os.environ.get("OUT", ".")
DEVICE = os.environ.get("PARITY_DEVICE", "gpu")
PRECISIONS = os.environ.get("PARITY_PRECISIONS", "fp32,fp16").split(",")   # which rows to run

def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        fmt = {"F32": "f", "I64": "q", "F64": "d"}[info["dtype"]]
        count = (end - begin) // struct.calcsize(fmt)
        values = list(struct.unpack("<%d%s" % (count, fmt), data[begin:end]))
        out[name] = (info["shape"], values)
    return out

def run(args):
    p = subprocess.run(TTT + args, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("ttt %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr[-2000:]))
    return p.stdout

def score(model, ids, precision, ttt, work):
    ids_file = os.path.join(work, "ids.txt")
    with open(ids_file, "w") as f:
        f.write(" ".join(str(i) for i in ids))
    out = os.path.join(work, "score.json")
    args = ["score", "--model", model, "--token-ids", ids_file, "--device", DEVICE, "--precision", precision,
            "--output", out] + ([] if ttt else ["--no-ttt"])
    run(args)
    return json.load(open(out))["token_nll"]

rows = []
work = tempfile.mkdtemp()
for name in sorted(os.listdir(os.path.join(ROOT, "test-fixtures/hf"))) if "fp32" in PRECISIONS else []:
    src = os.path.join(ROOT, "test-fixtures/hf", name)
    model = os.path.join(work, "hf-" + name)
    run(["convert", "--from", "hf", "--input", src, "--output", model])
    ref = read_safetensors(os.path.join(src, "reference.safetensors"))
    (b, t), ids = ref["input_ids"]
    _, nll = ref["token_nll"]
    for r in range(b):
        got = score(model, ids[r * t:(r + 1) * t], "fp32", False, work)
        want = nll[r * (t - 1):(r + 1) * (t - 1)]
        rows.append({"fixture": "hf/" + name, "row": r, "precision": "fp32", "ttt": False,
                     "max_abs_diff": max(abs(a - c) for a, c in zip(got, want)), "limit": 2e-4})
for name in sorted(os.listdir(os.path.join(ROOT, "test-fixtures/official"))):
    src = os.path.join(ROOT, "test-fixtures/official", name)
    model = os.path.join(work, "official-" + name)
    run(["convert", "--from", "official", "--input", src, "--output", model])
    ref = read_safetensors(os.path.join(src, "reference.safetensors"))
    _, ids = ref["tokens"]
    for precision, ttt, limit in [("fp32", False, 2e-4), ("fp32", True, 2e-4), ("fp16", True, 1e-2)]:
        if precision not in PRECISIONS:
            continue
        got = score(model, ids, precision, ttt, work)
        _, want = ref["token_nll_ttt" if ttt else "token_nll_no_ttt"]
        rows.append({"fixture": "official/" + name, "row": 0, "precision": precision, "ttt": ttt,
                     "max_abs_diff": max(abs(a - c) for a, c in zip(got, want)), "limit": limit})
ok = all(r["max_abs_diff"] <= r["limit"] for r in rows)
print("%-32s %4s %-5s %-5s %12s %8s" % ("fixture", "row", "prec", "ttt", "max|dNLL|", "limit"))
for r in rows:
    print("%-32s %4d %-5s %-5s %12.3e %8.0e %s" % (r["fixture"], r["row"], r["precision"], r["ttt"],
                                                  r["max_abs_diff"], r["limit"],
                                                  "ok" if r["max_abs_diff"] <= r["limit"] else "FAIL"))
print("all within limits" if ok else "SOME OUTSIDE LIMITS")
json.dump({"device": DEVICE, "rows": rows, "all_within_limits": ok},
          open(os.path.join(OUT, "fixture_parity.json"), "w"), indent=1)
sys.exit(0 if ok else 1)
