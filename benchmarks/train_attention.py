"""Attention kernel A/B on this CPU (`model.train_attention`): eager vs sdpa for SFT steps, a DPO stage and greedy decoding.

    python benchmarks/train_attention.py [--config tiny-planted] [--run-dir /tmp/demo_run] [--rounds 2]

SFT: the stage's own `train_sft` (2 threads, as the main process runs it) from the config's base model, seconds per
step over steps 10..--sft-steps (the first steps warm up allocators). DPO and decoding need a finished run directory
(`--run-dir`, e.g. a `make demo` run): `train_dpo` with the `dpo` recipe on its largest pair set for --dpo-steps at
one thread (as a `--jobs auto` worker runs it), reference log-probs included; greedy decoding of --n-gen test problems
at one thread with each kernel. Settings alternate within each round so machine drift hits both alike; medians are
reported. Writes benchmarks/results/train_attention.json (one entry per invocation, appended).
"""
from __future__ import annotations

import argparse
import glob
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
KERNELS = ("sdpa", "eager")


def sft_timing(cfg_path: str, setting: str, steps: int, tmp: str,
               field: str = "model.train_attention") -> tuple[float, float]:
    """SFT with `field=setting` through the stage's own `train_sft`: (seconds from train start to step 10, where a
    compile lands; seconds per step over steps 10..steps)."""
    from transformers import AutoTokenizer, TrainerCallback

    from harness.config import load_config
    from harness.data.loaders import sft_rows
    from harness.stages.pipeline import Pipeline
    from harness.training.sft import train_sft
    from harness.training.sft_tokens import pretokenize
    cfg = load_config(cfg_path, [f"run_dir={tmp}", "device=cpu", f"{field}={setting}",
                                 f"sft.max_steps={steps}"])
    pipe = Pipeline(cfg)
    rows = pretokenize(sft_rows(pipe.split("train"), cfg.data.prompt_template), AutoTokenizer.from_pretrained(pipe.base()))
    marks: dict[int, float] = {}

    class Clock(TrainerCallback):
        def on_train_begin(self, a, state, control, **kw):
            marks[0] = time.perf_counter()

        def on_step_end(self, a, state, control, **kw):
            if state.global_step in (10, steps):
                marks[state.global_step] = time.perf_counter()
    out = Path(tmp) / f"sft_{setting}"
    train_sft(pipe.sft_cfg, rows, pipe.base(), out / "model", out / "work", callbacks=[Clock()])
    shutil.rmtree(out, ignore_errors=True)
    return marks[10] - marks[0], (marks[steps] - marks[10]) / (steps - 10)


def dpo_seconds(cfg_path: str, run_dir: Path, setting: str, steps: int, tmp: str,
                field: str = "model.train_attention") -> float:
    """Wall seconds of a `dpo` recipe's training stage with `field=setting`, on the run's largest pair set."""
    from harness.config import load_config
    from harness.registry import get_recipe
    from harness.runtime.device import resolve_precision
    from harness.runtime.io import read_jsonl
    from harness.training.dpo import train_dpo
    cfg = resolve_precision(load_config(cfg_path, ["device=cpu", f"{field}={setting}", f"dpo.max_steps={steps}"]))
    pairs = max(glob.glob(str(run_dir / "pairs-*" / "pairs.jsonl")), key=os.path.getsize)
    out = Path(tmp) / f"dpo_{setting}"
    t0 = time.perf_counter()
    train_dpo(cfg, read_jsonl(pairs), sft_model(run_dir), out / "model", out / "work", get_recipe("dpo"))
    shutil.rmtree(out, ignore_errors=True)
    return time.perf_counter() - t0


def decode_seconds(cfg_path: str, run_dir: Path, kernel: str, n: int) -> tuple[float, str]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.config import load_config
    from harness.models.sampling import generate_samples
    from harness.runtime.io import read_jsonl
    cfg = load_config(cfg_path, ["device=cpu"])
    problems = read_jsonl(glob.glob(str(run_dir / "data-*" / "test.jsonl"))[0])[:n]
    tok = AutoTokenizer.from_pretrained(sft_model(run_dir), padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(sft_model(run_dir), dtype=torch.bfloat16,
                                                 attn_implementation=kernel).eval()
    t0 = time.perf_counter()
    out = generate_samples(model, tok, problems, cfg.data.prompt_template, cfg.sampling, 0, "cpu", True)
    return time.perf_counter() - t0, json.dumps(out, sort_keys=True)


def append_entry(name: str, entry: dict) -> Path:
    """Append `entry` to the JSON list benchmarks/results/<name>; returns its path."""
    dest = ROOT / "benchmarks" / "results" / name
    old = json.loads(dest.read_text()) if dest.exists() else []
    dest.write_text(json.dumps([*old, entry], indent=2) + "\n")
    return dest


def sft_model(run_dir: Path) -> str:
    return sorted(glob.glob(str(run_dir / "sft-*" / "model")))[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="tiny-planted")
    ap.add_argument("--run-dir", default=None, help="a finished `harness compare` run directory (DPO and decoding A/B)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sft-steps", type=int, default=70)
    ap.add_argument("--dpo-steps", type=int, default=40)
    ap.add_argument("--n-gen", type=int, default=200)
    ap.add_argument("--label", default="")
    args = ap.parse_args()

    import torch

    from harness.runtime.device import set_threads
    tmp = tempfile.mkdtemp(prefix="train_attention_")
    times: dict[str, dict[str, list[float]]] = {"sft_s_per_step": {}, "dpo_stage_s": {}, "decode_s": {}}
    same_greedy = True
    for _ in range(args.rounds):
        os.environ.pop("OMP_NUM_THREADS", None)   # SFT: every core, as the main process
        for kernel in KERNELS:
            set_threads()
            times["sft_s_per_step"].setdefault(kernel, []).append(
                sft_timing(args.config, kernel, args.sft_steps, tmp)[1])
        if args.run_dir:
            os.environ["OMP_NUM_THREADS"] = "1"   # what a --jobs auto worker gets (harness/stages/parallel.py)
            torch.set_num_threads(1)
            texts = []
            for kernel in KERNELS:
                times["dpo_stage_s"].setdefault(kernel, []).append(
                    dpo_seconds(args.config, Path(args.run_dir), kernel, args.dpo_steps, tmp))
                secs, text = decode_seconds(args.config, Path(args.run_dir), kernel, args.n_gen)
                times["decode_s"].setdefault(kernel, []).append(secs)
                texts.append(text)
            same_greedy &= texts[0] == texts[1]
    shutil.rmtree(tmp, ignore_errors=True)
    summary = {what: {k: round(statistics.median(v), 4) for k, v in by.items()} for what, by in times.items() if by}
    entry = {"benchmark": "train_attention", "label": args.label, "config": Path(args.config).name,
             "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cores": os.cpu_count(), "rounds": args.rounds,
             "sft_steps": args.sft_steps, "dpo_steps": args.dpo_steps, "n_gen": args.n_gen,
             "median": summary, "all": times, "eager_over_sdpa": {
                 what: round(v["eager"] / v["sdpa"], 3) for what, v in summary.items()},
             "greedy_text_identical": same_greedy if args.run_dir else None}
    dest = append_entry("train_attention.json", entry)
    print(f"{'measure':16s} {'sdpa':>9s} {'eager':>9s} {'eager/sdpa':>11s}")
    for what, v in summary.items():
        print(f"{what:16s} {v['sdpa']:9.3f} {v['eager']:9.3f} {entry['eager_over_sdpa'][what]:11.3f}")
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
