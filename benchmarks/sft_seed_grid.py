"""Seed x schedule table of the embedded default's SFT: is the base the recipes start from stable across seeds?

    python benchmarks/sft_seed_grid.py --config tiny-planted --seeds 0,1,2 \
        --schedule sft.learning_rate=1e-3,sft.max_steps=700 --schedule sft.learning_rate=5e-4,sft.max_steps=1000 \
        [--jobs 2] [--n-eval 500] [--label "..."]

An SFT seed draws the base model's initialisation and the SFT data order (the data split stays the config's, as
`harness compare --sft-seeds` does). Each cell is one SFT run of `benchmarks/sft_curve.py` (what `harness compare`
trains), scored greedy on the first --n-eval validation problems at its last step; cells run --jobs at a time with
one thread each, so their seconds are one-thread seconds. Schedules are chosen here, on validation only.
Writes benchmarks/results/sft_seed_grid.json (one entry per invocation, with the git revision) and prints the table:
accuracy per seed, mean, spread (max - min) and the mean one-thread training seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_cell(config: str, seed: int, schedule: list[str], n_eval: int, out: Path) -> dict:
    steps = next((int(o.split("=")[1]) for o in schedule if o.startswith("sft.max_steps=")), None)
    cmd = [sys.executable, str(ROOT / "benchmarks" / "sft_curve.py"), "--config", config, "--sft-seed", str(seed),
           "--n-test", str(n_eval), "--every", str(steps or 10 ** 9), "--out", str(out), *schedule]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"cell seed {seed} {schedule} failed:\n{proc.stderr[-3000:]}")
    last = json.loads(out.read_text())["curve"][-1]
    return {"seed": seed, "accuracy": last["accuracy"], "train_seconds": last["train_seconds"], "step": last["step"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="tiny-planted")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--schedule", action="append", required=True,
                    help="comma-separated config overrides of one schedule, e.g. sft.learning_rate=1e-3,sft.max_steps=700")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--n-eval", type=int, default=500)
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    from harness.runtime.manifest import git_revision

    seeds = [int(s) for s in args.seeds.split(",")]
    schedules = [s.split(",") for s in args.schedule]
    tmp = Path(tempfile.mkdtemp(prefix="sft_grid_"))
    t0 = time.time()
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = {(i, s): pool.submit(run_cell, args.config, s, sch, args.n_eval, tmp / f"cell-{i}-{s}.json")
                   for i, sch in enumerate(schedules) for s in seeds}
        cells = {k: f.result() for k, f in futures.items()}
    rows = []
    for i, sch in enumerate(schedules):
        accs = [cells[(i, s)]["accuracy"] for s in seeds]
        rows.append({"schedule": sch, "accuracy_by_seed": dict(zip(map(str, seeds), accs)),
                     "mean": round(sum(accs) / len(accs), 4), "spread": round(max(accs) - min(accs), 4),
                     "train_seconds_1thread": round(sum(cells[(i, s)]["train_seconds"] for s in seeds) / len(seeds), 1)})
    entry = {"benchmark": "sft_seed_grid", "label": args.label, "config": args.config, "split": "validation",
             "n_eval": args.n_eval, "seeds": seeds, "jobs": args.jobs, "git_revision": git_revision(),
             "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "wall_seconds": round(time.time() - t0, 1), "rows": rows}
    dest = ROOT / "benchmarks" / "results" / "sft_seed_grid.json"
    old = json.loads(dest.read_text()) if dest.exists() else []
    dest.write_text(json.dumps([*old, entry], indent=2) + "\n")
    print(f"| schedule | {' | '.join(f'seed {s}' for s in seeds)} | mean | spread | s (1 thread) |")
    print(f"|---|{'---|' * len(seeds)}---|---|---|")
    for r in rows:
        accs = " | ".join(f"{100 * a:.1f}" for a in r["accuracy_by_seed"].values())
        print(f"| {' '.join(r['schedule'])} | {accs} | {100 * r['mean']:.1f} | {100 * r['spread']:.1f} | "
              f"{r['train_seconds_1thread']:.0f} |")


if __name__ == "__main__":
    main()
