"""Time `make demo`'s stages: a cold `harness compare --config tiny-planted --recipes offline` (the demo's
config; the earlier entries used tiny, the same settings without planted flaws) in a fresh run directory,
then the same command again (served from the stage cache), with the machine's load and SFT steps/s beside them.
The cold run starts with an empty torch.compile cache (TORCHINDUCTOR_CACHE_DIR beside the run directory), so a config
with `model.train_compile: layers` pays its compile as a fresh machine would.

    python benchmarks/demo_stages.py [--run-dir /tmp/demo_bench] [--jobs auto] [--timeout 3600] [--label quiet-1] [key=value ...]

Per stage: its label (`train:sft`, `eval:dpo`, ...), the seconds its meta.json records and whether it was cached;
per run: wall time, the load average sampled every 15 s while it ran, the cores, and the SFT trainer's steps/s,
so a reader can scale the figures to another machine (a stage's time is roughly its work over that rate). A run that
passes --timeout is stopped and recorded with the stages it finished (`"complete": false`). Each invocation appends
one entry to benchmarks/results/demo_stages.json; run it twice for the two cold figures the README quotes.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "demo_stages.json"
# a progress line of harness/stages/pipeline.py: "[12:00:01] train:dpo 33s dpo-0123456789ab   pipeline.py:101"
STAGE_LINE = re.compile(r"(?:^|\s)(\S+) (?:\d+h\d+m|(?:\d+m)?\d+s) ([a-z]+-[0-9a-f]{12})\b")


def _load_sampler(samples: list[float], stop: threading.Event) -> None:
    while not stop.is_set():
        samples.append(os.getloadavg()[0])
        stop.wait(15)


def run_once(cmd: list[str], env: dict, timeout: float, log: Path) -> dict:
    samples: list[float] = []
    stop = threading.Event()
    sampler = threading.Thread(target=_load_sampler, args=(samples, stop), daemon=True)
    sampler.start()
    t0 = time.time()
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            rc = proc.wait()
            rc = None
    wall = time.time() - t0
    stop.set()
    return {"wall_seconds": round(wall, 1), "returncode": rc, "complete": rc == 0,
            "load_average": {"mean": round(sum(samples) / max(1, len(samples)), 2),
                             "max": round(max(samples, default=0.0), 2), "samples": len(samples)}}


def stage_table(run_dir: Path, log: Path) -> list[dict]:
    """Every stage the log announced as finished, with the seconds and the cached flag its meta.json records."""
    out, seen = [], set()
    for line in log.read_text(errors="replace").splitlines():
        m = STAGE_LINE.search(line)
        if not m or m.group(2) in seen:
            continue
        meta_path = run_dir / m.group(2) / "meta.json"
        if not meta_path.is_file():
            continue
        seen.add(m.group(2))
        meta = json.loads(meta_path.read_text())
        out.append({"stage": m.group(1), "dir": m.group(2), "seconds": meta.get("seconds")})
    return out


def sft_rate(run_dir: Path) -> dict | None:
    """The SFT trainer's own steps/s and samples/s (its train_runtime, without loading and saving)."""
    for meta_path in run_dir.glob("sft-*/meta.json"):
        log = json.loads(meta_path.read_text()).get("log_history") or []
        end = next((h for h in reversed(log) if "train_runtime" in h), None)
        if end:
            return {"steps_per_s": end.get("train_steps_per_second"), "samples_per_s": end.get("train_samples_per_second"),
                    "train_runtime_s": end.get("train_runtime"), "steps": end.get("step")}
    return None


def summarize(stages: list[dict]) -> dict:
    """Totals by kind: SFT, slice, pool, pairs, per-recipe training and evaluation (min/max/sum)."""
    groups: dict[str, list[float]] = {}
    for s in stages:
        label = s["stage"].split("@")[0]
        kind = "sft" if label == "train:sft" else label.split(":")[0]
        groups.setdefault(kind, []).append(s["seconds"] or 0.0)
    return {k: {"n": len(v), "sum": round(sum(v), 1), "min": round(min(v), 1), "max": round(max(v), 1)}
            for k, v in groups.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="tiny-planted")
    ap.add_argument("--run-dir", default="/tmp/hardneg_demo_bench")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds before the cold run is stopped")
    ap.add_argument("--label", default="", help="a note for this entry, e.g. 'quiet machine, run 1'")
    ap.add_argument("--keep", action="store_true", help="keep the run directory")
    ap.add_argument("--out", default=str(RESULTS), help="the JSON history to append to")
    ap.add_argument("--recipes", default="offline", help="harness compare --recipes (make demo: offline)")
    ap.add_argument("--jobs", default="auto", help="harness compare --jobs (make demo: auto); stage seconds then overlap")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()

    run_dir = Path(args.run_dir)
    if run_dir.exists():
        shutil.rmtree(run_dir)
    inductor = Path(f"{run_dir}.inductor")  # model.train_compile: an empty compile cache, as on a fresh machine
    shutil.rmtree(inductor, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "COLUMNS": "200", "TORCHINDUCTOR_CACHE_DIR": str(inductor)}
    cmd = [sys.executable, "-m", "harness.cli", "compare", "--config", args.config, "--recipes", args.recipes,
           "--jobs", args.jobs, f"run_dir={run_dir}", *args.overrides]
    cold_log, warm_log = Path(f"{run_dir}.cold.log"), Path(f"{run_dir}.warm.log")
    cold = run_once(cmd, env, args.timeout, cold_log)
    stages = stage_table(run_dir, cold_log)
    entry = {"benchmark": "demo_stages", "label": args.label, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
             "command": " ".join(cmd[1:]), "cores": len(os.sched_getaffinity(0)), "cold": cold,
             "sft_rate": sft_rate(run_dir), "stages": stages, "by_kind": summarize(stages)}
    if cold["complete"]:
        entry["warm"] = run_once(cmd, env, 600, warm_log)
        entry["warm"]["stages_recomputed"] = len(stage_table(run_dir, warm_log))
    out = Path(args.out)
    history = json.loads(out.read_text()) if out.is_file() else []
    history.append(entry)
    out.write_text(json.dumps(history, indent=2) + "\n")
    print(f"cold {cold['wall_seconds']:.0f}s ({'complete' if cold['complete'] else 'stopped'}), "
          f"load {cold['load_average']['mean']} on {entry['cores']} cores; SFT {entry['sft_rate']}")
    for k, v in entry["by_kind"].items():
        print(f"  {k:8s} n={v['n']:2d}  sum {v['sum']:7.1f}s  [{v['min']:.1f}, {v['max']:.1f}]")
    if "warm" in entry:
        print(f"warm (cached) {entry['warm']['wall_seconds']:.0f}s, stages recomputed: {entry['warm']['stages_recomputed']}")
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
        shutil.rmtree(inductor, ignore_errors=True)


if __name__ == "__main__":
    main()
