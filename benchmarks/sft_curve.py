"""Greedy accuracy of the embedded default during SFT, against wall-clock time (2 CPU cores target: 40-75% in 5 min).

    python benchmarks/sft_curve.py [--config tiny] [--every 150] [--split validation] [--sft-seed N]
                                   [key=value ...]

Schedules are chosen on the validation split (the default); `--split test` exists only to check a chosen one.

Trains exactly what `harness compare` trains (same data, tokenizer, model, SFTTrainer settings) in a scratch
run directory, evaluating greedy accuracy on the synthetic test split every N steps with the project's
answer checker; the evaluation time is excluded from the clock. Prints a table, writes
benchmarks/results/sft_curve.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="tiny")
    ap.add_argument("--every", type=int, default=150)
    ap.add_argument("--n-test", type=int, default=500, help="problems of --split to evaluate")
    ap.add_argument("--split", default="validation", choices=("validation", "test"))
    ap.add_argument("--label", default="", help="a note for this entry")
    ap.add_argument("--sft-seed", type=int, default=None,
                    help="seed of the base model and SFT (default: the config's); the data split stays the config's, "
                         "as `harness compare --sft-seeds` does")
    ap.add_argument("--out", default=None,
                    help="write this run's entry alone to this file (default: append to benchmarks/results/sft_curve.json)")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()

    import torch
    from transformers import AutoTokenizer, TrainerCallback

    from harness.config import load_config
    from harness.data.loaders import sft_rows
    from harness.stages.pipeline import Pipeline
    from harness.training.sft import train_sft
    from harness.training.sft_tokens import pretokenize
    from verifier import MathVerifier

    tmp = tempfile.mkdtemp(prefix="sft_curve_")
    cfg = load_config(args.config, [*args.overrides, f"run_dir={tmp}", "device=cpu"])
    pipe = Pipeline(cfg, sft_seed=args.sft_seed)
    base = pipe.base()
    test = pipe.split(args.split)[: args.n_test]
    tok = AutoTokenizer.from_pretrained(base, padding_side="left")
    prompts = [cfg.data.prompt_template.format(question=p["question"]) for p in test]
    verifier = MathVerifier(cfg.verifier)
    curve = []

    def evaluate(model):
        model.eval()
        outs = []
        with torch.no_grad():
            for i in range(0, len(prompts), 100):
                enc = tok(prompts[i:i + 100], return_tensors="pt", padding=True)
                ids = model.generate(**enc, max_new_tokens=cfg.sampling.max_new_tokens, do_sample=False,
                                     pad_token_id=tok.pad_token_id)
                outs += tok.batch_decode(ids[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
        model.train()
        vs = [verifier.verify(p["question"], o.split("\nQuestion:")[0], reference_answer=p["answer"]) for p, o in zip(test, outs)]
        return sum(v.correct for v in vs) / len(vs), sum(v.hard_negative for v in vs) / len(vs)

    class Curve(TrainerCallback):
        def __init__(self):
            self.t0, self.paused = None, 0.0

        def on_train_begin(self, a, state, control, **kw):
            self.t0 = time.time()

        def on_step_end(self, a, state, control, model=None, **kw):
            if state.global_step % args.every == 0 or state.global_step == state.max_steps:
                t = time.time()
                train_s = t - self.t0 - self.paused
                acc, hn = evaluate(model)
                self.paused += time.time() - t
                curve.append({"step": state.global_step, "train_seconds": round(train_s, 1),
                              "accuracy": round(acc, 4), "hard_negative_rate": round(hn, 4)})
                print(f"step {state.global_step:5d}  train {curve[-1]['train_seconds']:6.0f}s  greedy acc {100 * acc:5.1f}%  "
                      f"hard negatives {100 * hn:5.1f}%", flush=True)

    rows = pretokenize(sft_rows(pipe.split("train"), cfg.data.prompt_template), tok)  # as the SFT stage does
    train_sft(pipe.sft_cfg, rows, base, Path(tmp) / "model", Path(tmp) / "work", callbacks=[Curve()])
    import os

    from harness.runtime.device import use_bf16
    out = {"benchmark": "sft_curve", "label": args.label, "config": Path(args.config).name, "overrides": args.overrides,
           "split": args.split, "sft_seed": pipe.sft_seed, "n_eval": len(test), "bf16": use_bf16("cpu", cfg.model.dtype),
           "torch_threads": torch.get_num_threads(), "load_average_end": round(os.getloadavg()[0], 2),
           "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "curve": curve}
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=2))
    else:
        dest = ROOT / "benchmarks" / "results" / "sft_curve.json"
        dest.parent.mkdir(exist_ok=True)
        old = json.loads(dest.read_text()) if dest.exists() else []
        history = old if isinstance(old, list) else [old]  # one entry per run: schedules are compared side by side
        dest.write_text(json.dumps([*history, out], indent=2))
    print(f"{'step':>6s} {'train s':>8s} {'acc %':>6s} {'HN %':>6s}")
    for c in curve:
        print(f"{c['step']:6d} {c['train_seconds']:8.0f} {100 * c['accuracy']:6.1f} {100 * c['hard_negative_rate']:6.1f}")


if __name__ == "__main__":
    main()
