"""`model.train_compile` A/B on this CPU: eager vs compiled decoder layers for SFT steps and a DPO stage, with the
one-time compile cost on an empty inductor cache and on the cache a first process left.

    python benchmarks/train_compile.py [--config tiny-planted] --run-dir /tmp/demo_run [--rounds 2]

SFT: the stage's own `train_sft` (every core, as the main process runs it) from the config's base model: seconds
per step over steps 10..--sft-steps, and the seconds from the trainer's start to step 10 (where the compile lands).
DPO: `train_dpo` with the `dpo` recipe on the run directory's largest pair set for --dpo-steps at one thread (as a
`--jobs auto` worker runs it), whole stage. The inductor cache starts empty (a fresh TORCHINDUCTOR_CACHE_DIR), so
round 1's compiled rows carry the cold compile and later rounds the warm one; settings alternate within a round.
Appends one entry to benchmarks/results/train_compile.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
SETTINGS = ("none", "layers")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="tiny-planted")
    ap.add_argument("--run-dir", required=True, help="a finished `harness compare` run directory (its SFT model, pairs)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sft-steps", type=int, default=110)
    ap.add_argument("--dpo-steps", type=int, default=90)
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="train_compile_")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(Path(tmp) / "inductor")  # empty: round 1 compiles cold

    import torch
    from train_attention import append_entry, dpo_seconds, sft_timing

    from harness.runtime.device import set_threads
    rows: dict[str, dict[str, list[float]]] = {"sft_to_step10_s": {}, "sft_s_per_step": {}, "dpo_stage_s": {}}
    for _ in range(args.rounds):
        for setting in SETTINGS:
            os.environ.pop("OMP_NUM_THREADS", None)
            set_threads()
            first, per_step = sft_timing(args.config, setting, args.sft_steps, tmp, "model.train_compile")
            rows["sft_to_step10_s"].setdefault(setting, []).append(first)
            rows["sft_s_per_step"].setdefault(setting, []).append(per_step)
            os.environ["OMP_NUM_THREADS"] = "1"  # what a --jobs auto worker gets (harness/stages/parallel.py)
            torch.set_num_threads(1)
            rows["dpo_stage_s"].setdefault(setting, []).append(
                dpo_seconds(args.config, Path(args.run_dir), setting, args.dpo_steps, tmp, "model.train_compile"))
    shutil.rmtree(tmp, ignore_errors=True)
    median = {what: {k: round(statistics.median(v), 4) for k, v in by.items()} for what, by in rows.items()}
    entry = {"benchmark": "train_compile", "label": args.label, "config": Path(args.config).name,
             "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cores": os.cpu_count(), "rounds": args.rounds,
             "sft_steps": args.sft_steps, "dpo_steps": args.dpo_steps, "all": rows, "median": median,
             "note": "round 1's 'layers' rows include the compile on an empty inductor cache, later rounds the warm "
                     "cache; sft_s_per_step excludes the compile (steps 10..sft_steps)",
             "layers_over_none_s_per_step": round(median["sft_s_per_step"]["layers"] / median["sft_s_per_step"]["none"], 3)}
    dest = append_entry("train_compile.json", entry)
    print(f"{'measure (per round)':20s} {'none':>24s} {'layers':>24s}")
    for what, by in rows.items():
        print(f"{what:20s} {' '.join(f'{x:7.2f}' for x in by['none']):>24s} {' '.join(f'{x:7.2f}' for x in by['layers']):>24s}")
    print(f"SFT s/step layers/none (median): {entry['layers_over_none_s_per_step']}; wrote {dest}")


if __name__ == "__main__":
    main()
