"""Worst-case verifier cost on hostile model-written solutions: the per-solution budget the unit tests only bound.

    python benchmarks/verifier_hostile.py [--rounds 5]

Every input of tests/hostile_inputs.py (towers of powers, 10,000-digit numbers, nested \\boxed, a megabyte of
text, ...) is verified against each reference answer there (numeric, symbolic, LaTeX sets/tuples/fractions), on
one core with the verifier warm and its caches cleared before each call. A call's figure is its median CPU time
over `--rounds` rounds (CPU time, so other processes on the core do not count). Prints the slowest cases and
writes benchmarks/results/verifier_hostile.json. Target: the worst case under 50 ms per solution.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 50.0
QUESTIONS = ("Tom has 12 apples and gets 5 more. How many?",
             "Tom has 12 apples and gets 5 more. What is the value of unknown variable x?")


def cpu_ms(fn) -> float:
    from verifier.batch import clear_caches
    clear_caches()
    t0 = time.thread_time()
    fn()
    return (time.thread_time() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds per case; a case's figure is its median")
    args = ap.parse_args()
    if args.rounds < 1:
        sys.exit("error: --rounds must be >= 1")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    import logging

    from tests.hostile_inputs import HOSTILE, REFERENCES
    from verifier import MathVerifier
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    v = MathVerifier()
    cases = [(q, text, ref) for text in HOSTILE for q in QUESTIONS for ref in REFERENCES]
    times: list[list[float]] = [[] for _ in cases]
    for _ in range(args.rounds):  # rounds outermost, so a change in the machine's speed hits every case alike
        for i, (q, text, ref) in enumerate(cases):
            times[i].append(cpu_ms(lambda: v.verify(q, text, reference_answer=ref)))
    rows = sorted(({"solution": text[:60], "solution_chars": len(text), "question": q[-20:], "reference": ref,
                    "median_ms": round(statistics.median(t), 2), "max_ms": round(max(t), 2)}
                   for (q, text, ref), t in zip(cases, times)), key=lambda r: -r["median_ms"])
    medians = [r["median_ms"] for r in rows]
    out = {"benchmark": "verifier_hostile", "cases": len(cases), "inputs": len(HOSTILE), "references": len(REFERENCES),
           "rounds": args.rounds, "cores": 1, "target_ms": TARGET_MS, "worst_median_ms": medians[0],
           "p50_ms": round(statistics.median(medians), 2), "meets_target": medians[0] < TARGET_MS,
           "python": sys.version.split()[0], "platform": platform.platform(),
           "load_avg_1min": round(os.getloadavg()[0], 2), "slowest": rows[:10]}
    print(f"{'median ms':>9s} {'max ms':>8s}  {'reference':24s} solution")
    for r in rows[:10]:
        print(f"{r['median_ms']:9.2f} {r['max_ms']:8.2f}  {r['reference'][:24]:24s} {r['solution'][:40]!r}")
    print(f"{len(cases)} cases ({len(HOSTILE)} inputs x {len(QUESTIONS)} questions x {len(REFERENCES)} references), "
          f"{args.rounds} rounds, one core: median case {out['p50_ms']} ms, worst {out['worst_median_ms']} ms; "
          f"target < {TARGET_MS:.0f} ms: {'met' if out['meets_target'] else 'MISSED'}")
    dest = ROOT / "benchmarks" / "results"
    dest.mkdir(exist_ok=True)
    (dest / "verifier_hostile.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
