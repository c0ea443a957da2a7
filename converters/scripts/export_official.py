#!/usr/bin/env python3
"""Export a released TTT-E2E checkpoint (Orbax) to the layout `ttt convert --from official` reads.

Writes two files into OUT_DIR:
  official-weights.safetensors  every weight under its official tree name, stacked along the
                                leading layer axis, matrices [in, out] (as the JAX code stores them)
  official-config.json          the hyperparameters the converter needs, taken from the Hydra YAMLs

Usage (on a machine with the official repository's Python environment, i.e. orbax-checkpoint,
numpy, pyyaml and safetensors installed):

  python export_official.py \
      --checkpoint /path/to/125m_ttt_e2e_pretrain_dclm_8k_1x_cc \
      --model-yaml e2e/configs/model/125m.yaml \
      --experiment-yaml e2e/configs/experiment/125m/pretrain/pretrain-125m-e2e.yaml \
      --out OUT_DIR

Then: java -jar ttt-cli/target/ttt.jar convert --from official --input OUT_DIR --output MODEL_DIR

This script cannot run in CI (no Orbax there); it is checked by hand on a machine that has Orbax.
"""
import argparse
import json
import os

import numpy as np
import orbax.checkpoint as ocp
import yaml
from safetensors.numpy import save_file

# Keys of official-config.json and where they come from in the Hydra configs (model.* unless noted).
CONFIG_KEYS = {
    "num_hidden_layers": "num_hidden_layers",
    "suffix_len": "suffix_len",
    "hidden_size": "hidden_size",
    "num_attention_heads": "num_attention_heads",
    "intermediate_size": "intermediate_size",
    "vocab_size": "vocab_size",
    "mini_batch_size": "mini_batch_size",
    "sliding_window_size": "sliding_window_size",
    "seq_length": "seq_length",
    "rms_norm_eps": "rms_norm_eps",
    "rope_theta": "rope_theta",
    "bos_token_id": "bos_token_id",
    "eos_token_id": "eos_token_id",
    "tie_word_embeddings": "tie_word_embeddings",
    "qk_norm": "qk_norm",
    "pre_norm": "pre_norm",
    "post_norm": "post_norm",
}
# Defaults of ttt/config.py for keys a YAML may leave out (spec §2).
DEFAULTS = {"qk_norm": True, "pre_norm": True, "post_norm": True, "tie_word_embeddings": True,
            "rms_norm_eps": 1e-6, "bos_token_id": 128000, "eos_token_id": 128001}


def merged_model_config(model_yaml, experiment_yaml):
    with open(model_yaml) as f:
        cfg = dict(yaml.safe_load(f) or {})
    cfg = cfg.get("model", cfg)
    with open(experiment_yaml) as f:
        exp = yaml.safe_load(f) or {}
    cfg.update(exp.get("model", {}))  # the experiment overrides the size's defaults
    out = {}
    for key, src in CONFIG_KEYS.items():
        if src in cfg:
            out[key] = cfg[src]
        elif key in DEFAULTS:
            out[key] = DEFAULTS[key]
        elif key != "seq_length":
            raise SystemExit(f"{key} not found in {model_yaml} or {experiment_yaml}")
    inner = exp.get("optimizer_inner", {})
    out["inner_lr"] = float(inner.get("lr", 1.0))  # inference uses the full rate (spec §3.2)
    out["inner_clip_gradient"] = float(inner.get("clip_gradient", 1.0))
    return out


def flatten(tree, prefix=""):
    """Joins nested dict keys with '.', the naming of the official tree (checkpoint.py)."""
    for key, value in tree.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            yield from flatten(value, name)
        elif value is not None:
            yield name, np.asarray(value, dtype=np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="manager root holding step sub-directories")
    ap.add_argument("--model-yaml", required=True)
    ap.add_argument("--experiment-yaml", required=True)
    ap.add_argument("--step", type=int, default=None, help="default: the latest step")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    manager = ocp.CheckpointManager(os.path.abspath(args.checkpoint))
    step = args.step if args.step is not None else manager.latest_step()
    if step is None:
        raise SystemExit(f"no checkpoint step under {args.checkpoint}")
    restored = manager.restore(step, args=ocp.args.Composite(model_weights=ocp.args.StandardRestore()))
    tensors = dict(flatten(restored["model_weights"]))
    if not any(name.endswith("wte.weight") for name in tensors):
        raise SystemExit("restored tree has no wte.weight; is this a TTT-E2E model_weights item?")

    os.makedirs(args.out, exist_ok=True)
    weights = os.path.join(args.out, "official-weights.safetensors")
    save_file(tensors, weights + ".tmp")
    os.replace(weights + ".tmp", weights)
    config = merged_model_config(args.model_yaml, args.experiment_yaml)
    config["_source"] = f"{os.path.abspath(args.checkpoint)} step {step}"
    with open(os.path.join(args.out, "official-config.json"), "w") as f:
        json.dump(config, f, indent=1)
    print(f"wrote {len(tensors)} tensors and official-config.json to {args.out}")


if __name__ == "__main__":
    main()
