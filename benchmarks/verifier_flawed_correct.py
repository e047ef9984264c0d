"""Are the verifier's flags on correct-answer samples false alarms? An oracle check on a synthetic pool.

The planted report's "correct left clean" (harness/pairs/planted.py) counts a correct-answer sample with any process
flag as not clean. On the synthetic world every step the generator writes is `a op b = c` with exact integer results,
so a regex and exact fractions are an oracle for the arithmetic dimension, independent of the verifier's code. This
script splits the flagged correct samples into "a false equation is really there" (right answer by compensating or
copied errors: a true flag) and "flagged without a false equation", and gives the arithmetic flag's agreement with the
oracle over all samples.

    python benchmarks/verifier_flawed_correct.py runs/tiny-study          # the run's pool (one pool-* folder)
    python benchmarks/verifier_flawed_correct.py path/to/samples.jsonl --label "..."

Train-split samples only (the pool samples training problems): nothing here is fitted; it measures.
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "verifier_flawed_correct.json"
_EQ = re.compile(r"(-?\d+(?:\.\d+)?)\s*([+\-*/])\s*(-?\d+(?:\.\d+)?)\s*=\s*(-?\d+(?:\.\d+)?)")
_PROCESS = ("arithmetic", "consistency", "coverage", "form")


def false_equation(text: str) -> bool:
    """True when some `a op b = c` in the text is false in exact arithmetic (no floor/ceil leeway)."""
    for a, op, b, c in _EQ.findall(text):
        a, b, c = Fraction(a), Fraction(b), Fraction(c)
        if op == "/" and b == 0:
            continue
        if {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[op] != c:
            return True
    return False


def _share(k: int, n: int) -> float | None:
    return round(k / n, 4) if n else None


def measure(samples: list[dict]) -> dict:
    right = [s for s in samples if s["verdict"]["correct"]]
    flagged = [s for s in right if any(s["verdict"][k] > 0 for k in _PROCESS)]
    real = [s for s in flagged if false_equation(s["solution"])]
    unexplained = [s for s in flagged if not false_equation(s["solution"])]
    reasons = collections.Counter(r.split(":")[0][:48] for s in unexplained for r in s["verdict"]["reasons"])
    oracle = [false_equation(s["solution"]) for s in samples]
    flag = [s["verdict"]["arithmetic"] > 0 for s in samples]
    tp = sum(o and f for o, f in zip(oracle, flag))
    return {
        "samples": len(samples), "correct_samples": len(right),
        "correct_left_clean": _share(len(right) - len(flagged), len(right)),
        "correct_flagged": len(flagged), "correct_flagged_with_false_equation": len(real),
        "correct_flagged_without_false_equation": len(unexplained),
        "false_alarm_share_of_correct": _share(len(unexplained), len(right)),
        "unexplained_reasons": dict(reasons.most_common(8)),
        "arithmetic_flag_vs_oracle": {"oracle_false": sum(oracle), "flagged": sum(flag), "both": tp,
                                      "precision": _share(tp, sum(flag)), "recall": _share(tp, sum(oracle))},
    }


def _pool_file(path: Path) -> Path:
    if path.is_file():
        return path
    pools = sorted(path.glob("pool-*/samples.jsonl"))
    if len(pools) != 1:
        sys.exit(f"error: {path} holds {len(pools)} pool-*/samples.jsonl; pass the samples.jsonl file itself")
    return pools[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path, help="a run directory with one pool-* stage, or a pool samples.jsonl")
    ap.add_argument("--label", default="")
    ap.add_argument("--no-write", action="store_true", help="print only; do not append to the results JSON")
    args = ap.parse_args()
    pool = _pool_file(args.path)
    samples = [json.loads(line) for line in pool.open() if line.strip()]
    out = {"benchmark": "verifier_flawed_correct", "label": args.label, "pool": str(pool),
           "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S%z"), **measure(samples)}
    a = out["arithmetic_flag_vs_oracle"]
    print(f"| measure | value |\n|---|---:|\n| pool samples | {out['samples']} |\n"
          f"| correct-answer samples | {out['correct_samples']} |\n"
          f"| ... left clean by the verifier | {out['correct_left_clean']:.1%} |\n"
          f"| ... flagged, a false equation is there (oracle) | {out['correct_flagged_with_false_equation']} |\n"
          f"| ... flagged, no false equation | {out['correct_flagged_without_false_equation']} "
          f"({out['false_alarm_share_of_correct']:.1%} of correct) |\n"
          f"| arithmetic flag vs oracle, all samples: precision / recall | {a['precision']:.1%} / {a['recall']:.1%} |")
    print("unexplained flags' reasons:", out["unexplained_reasons"])
    if not args.no_write:
        prior = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
        RESULTS.write_text(json.dumps(prior + [out], indent=1) + "\n")
        print(f"appended to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
