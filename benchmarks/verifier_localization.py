"""Where does the MathVerifier put the first flawed step, and how often does it flag clean solutions?

    python benchmarks/verifier_localization.py [--out benchmarks/results/verifier_localization.json]

Three sources, all read from the local data folder HARDNEG_DATA_DIR (`make bench` sets ../shared/data):
  * MR-GSM8K (mr-gsm8k/labeled_errors.jsonl): model-written prose solutions with a human-labelled first error
    step, by question type (`original`, `reversed`; `POT` is Python code and skipped). Each item is verified with
    its reference answer and reference solution; steps are the item's steps one per line ("Step k: " dropped).
    Also run without the reference solution (answer-only mode) and with no reference at all, for comparison.
  * The perturbation suite (verifier/perturb.py) on GSM8K test references: recall and exact location per kind.
  * GSM8K train + test reference solutions: the false-flag rate on clean, human-written solutions.
Metrics: exact first flawed step, within +-1 step, too early / too late / none, and flaw recall (the verdict says
the solution is flawed: a wrong answer or a flagged step). Prints a rich table, writes JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("HARDNEG_DATA_DIR") or ".")  # local copies; no hub fallback for MR-GSM8K
sys.path.insert(0, str(ROOT))


def _rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _gold(answer: str) -> str:
    return answer.split("####")[-1].strip()


def mr_items() -> list[dict]:
    from verifier.answers import resolve_reference
    items = []
    for r in _rows(DATA / "mr-gsm8k" / "labeled_errors.jsonl"):
        if r["question_type"] == "POT":
            continue
        steps = [re.sub(r"^\s*Step \d+:\s*", "", s).strip() for s in r["model_output_steps"]]
        items.append({"type": r["question_type"], "question": r["question"], "solution": "\n".join(steps),
                      # 74 'reversed' rows carry "Let's think step by step." as their answer: the answer-only mode
                      # gets the reference solution's stated answer instead (the verifier does the same by itself
                      # when it has the solution: verifier.answers.resolve_reference)
                      "reference_answer": str(resolve_reference(r["ground_truth_answer"], r["ground_truth_solution"])),
                      "reference_solution": r["ground_truth_solution"],
                      "label": int(r["model_output_solution_first_error_step"]) - 1})
    return items


def _flawed(v) -> bool:
    return (not v.correct) or v.first_error_step is not None


def localization(verifier, items: list[dict], mode: str) -> dict:
    """Exact/within-1/early/late/none and recall per question type and over all prose items."""
    groups: dict[str, Counter] = defaultdict(Counter)
    for it in items:
        kw = {"reference_answer": it["reference_answer"] if mode != "free" else None,
              "reference_solution": it["reference_solution"] if mode == "reference" else None}
        v = verifier.verify(it["question"], it["solution"], **kw)
        pred, lab = v.first_error_step, it["label"]
        for g in (it["type"], "prose"):
            c = groups[g]
            c["n"] += 1
            c["flagged"] += _flawed(v)
            if pred is None:
                c["none"] += 1
            else:
                c["exact"] += pred == lab
                c["within1"] += abs(pred - lab) <= 1
                c["early"] += pred < lab
                c["late"] += pred > lab
    out = {}
    for g, c in groups.items():
        n = c["n"]
        out[g] = {"n": n, "exact": c["exact"] / n, "within1": c["within1"] / n, "recall": c["flagged"] / n,
                  "too_early": c["early"] / n, "too_late": c["late"] / n, "no_step": c["none"] / n}
    return out


def perturbation_suite(verifier) -> dict:
    from verifier import DIMENSIONS
    from verifier.perturb import KINDS, perturb
    rng = random.Random(0)
    stats = {k: Counter() for k in KINDS}
    for r in _rows(DATA / "gsm8k" / "test.jsonl"):
        gold = _gold(r["answer"])
        base = verifier.verify(r["question"], r["answer"], reference_answer=gold, reference_solution=r["answer"])
        if any(base.profile()[k] > 0 for k in DIMENSIONS):
            continue  # perturb only references the verifier considers clean (as tests/test_verifier_gsm8k.py does)
        for kind in KINDS:
            p = perturb(r["question"], r["answer"], kind, rng)
            if p is None:
                continue
            sol, target, step = p
            v = verifier.verify(r["question"], sol, reference_answer=gold, reference_solution=r["answer"])
            s = stats[kind]
            s["n"] += 1
            s["detected"] += any(v.profile()[k] > 0 for k in DIMENSIONS)
            s["located"] += v.first_error_step == step
            s["within1"] += v.first_error_step is not None and abs(v.first_error_step - step) <= 1
    return {k: {"n": s["n"], "recall": s["detected"] / s["n"], "exact": s["located"] / s["n"],
                "within1": s["within1"] / s["n"]} for k, s in stats.items()}


def references(verifier) -> dict:
    rows = _rows(DATA / "gsm8k" / "train.jsonl") + _rows(DATA / "gsm8k" / "test.jsonl")
    c = Counter()
    for r in rows:
        gold = _gold(r["answer"])
        v = verifier.verify(r["question"], r["answer"], reference_answer=gold)
        c["n"] += 1
        c["clean"] += v.wrongness <= 0.05
        c["no_arith"] += v.arithmetic == 0
        c["no_step"] += v.first_error_step is None
        c["zero"] += v.wrongness == 0 and v.absurdity == 0
        c["free_no_step"] += verifier.verify(r["question"], r["answer"]).first_error_step is None  # no reference
    n = c["n"]
    return {"n": n, "clean": c["clean"] / n, "no_arithmetic_flag": c["no_arith"] / n, "no_flagged_step": c["no_step"] / n, "all_zero": c["zero"] / n,
            "free_mode_no_flagged_step": c["free_no_step"] / n,
            "false_flag_rate": 1 - c["no_step"] / n}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "verifier_localization.json"))
    args = ap.parse_args()
    for need in (DATA / "mr-gsm8k" / "labeled_errors.jsonl", DATA / "gsm8k" / "test.jsonl"):
        if not need.is_file():
            sys.exit(f"error: {need} not found; set HARDNEG_DATA_DIR to a folder with mr-gsm8k/ and gsm8k/")
    from rich.console import Console
    from rich.table import Table

    from verifier import MathVerifier
    v = MathVerifier()
    t0 = time.perf_counter()
    items = mr_items()
    result = {"benchmark": "verifier_localization",
              "mr_gsm8k": {m: localization(v, items, m) for m in ("reference", "answer", "free")},
              "perturbation": perturbation_suite(v), "gsm8k_references": references(v)}
    result["seconds"] = round(time.perf_counter() - t0, 1)

    con = Console(width=120)
    t = Table(title="MR-GSM8K first flawed step (reference = answer + solution; answer = answer only; free = none)")
    for col in ("mode", "type", "n", "exact", "within ±1", "recall", "too early", "too late", "no step"):
        t.add_column(col, justify="right" if col not in ("mode", "type") else "left")
    for mode, groups in result["mr_gsm8k"].items():
        for g in ("prose", "original", "reversed"):
            s = groups[g]
            t.add_row(mode, g, str(s["n"]), *(f"{100 * s[k]:.1f}%" for k in
                                              ("exact", "within1", "recall", "too_early", "too_late", "no_step")))
    con.print(t)
    t = Table(title="Perturbation suite (GSM8K test references)")
    for col in ("kind", "n", "recall", "exact step", "within ±1"):
        t.add_column(col, justify="left" if col == "kind" else "right")
    for kind, s in result["perturbation"].items():
        t.add_row(kind, str(s["n"]), f"{100 * s['recall']:.1f}%", f"{100 * s['exact']:.1f}%", f"{100 * s['within1']:.1f}%")
    con.print(t)
    r = result["gsm8k_references"]
    t = Table(title=f"GSM8K reference solutions (train + test, n={r['n']})")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("clean (wrongness <= 0.05)", f"{100 * r['clean']:.2f}%")
    t.add_row("no arithmetic flag", f"{100 * r['no_arithmetic_flag']:.2f}%")
    t.add_row("no flagged step", f"{100 * r['no_flagged_step']:.2f}%")
    t.add_row("all scores zero", f"{100 * r['all_zero']:.2f}%")
    t.add_row("false-flag rate (a flagged step)", f"{100 * r['false_flag_rate']:.2f}%")
    t.add_row("no flagged step, reference-free mode", f"{100 * r['free_mode_no_flagged_step']:.2f}%")
    con.print(t)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    tmp.replace(out)
    con.print(f"wrote {out} ({result['seconds']} s)")


if __name__ == "__main__":
    main()
