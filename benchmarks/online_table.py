"""The compute-matched comparison of online, iterated and offline recipes, from a finished run's saved files.

    python benchmarks/online_table.py reports/tiny-planted-online [--out benchmarks/results/online_planted.json]

Per recipe: synthetic-test accuracy with its 95% interval, Δ vs sft / rft / dpo (paired over problems: bootstrap
interval, exact sign test, Holm over every comparison of the table), the planted-flaw rate by ground truth (where
the world plants one) with Δ vs rft, and the cost from SFT's end (training FLOPs as a multiple of `hn_w_dpo`'s,
seconds on the device the run recorded). Prints a Markdown table; --out also writes the numbers as JSON with the git
revision of the run and of this script.
"""
from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from harness.reporting.analysis import RowCache, accuracy, compare_pair
from harness.reporting.planted import recipe_table
from harness.reporting.stats import holm

BASES = ("sft", "rft", "dpo")
UNIT = "hn_w_dpo"  # the paper's method: the compute unit of the "x" column


def _ci(d: dict | None, scale: float = 100) -> str:
    return "-" if not d else f"{d['diff'] * scale:+.1f} [{d['low'] * scale:+.1f}, {d['high'] * scale:+.1f}]"


def table(run_dir: Path) -> dict:
    results = json.loads((run_dir / "results.json").read_text())
    planted = recipe_table(results, run_dir)  # empty in the clean world
    cache, task = RowCache(run_dir), "hardneg_synth"
    runs = {r["name"]: r["runs"] for r in results["recipes"]}
    costs = {r["name"]: r.get("cost") for r in results["recipes"]}
    unit = ((costs.get(UNIT) or {}).get("training") or {}).get("flops")
    rows = []
    for r in results["recipes"]:
        name, p = r["name"], planted.get(r["name"], {})
        c = (costs.get(name) or {}).get("training") or {}
        acc = accuracy(cache, runs[name], task)
        vs = {}
        for b in BASES:
            d = compare_pair(cache, runs[name], runs[b], task) if b in runs and b != name else None
            vs[b] = None if d is None else {"diff": d["diff"], "low": d["low"], "high": d["high"], "p": d["p"]}
        rows.append({"recipe": name, "accuracy": acc and acc["mean"], "accuracy_ci": acc and [acc["low"], acc["high"]],
                     "trigger_accuracy": p.get("trigger_accuracy"), "planted_rate": p.get("planted_rate"), "vs": vs,
                     "flaw_vs_rft": (p.get("vs") or {}).get("rft", {}).get("planted_rate"),
                     "trigger_vs_rft": (p.get("vs") or {}).get("rft", {}).get("trigger_accuracy"),
                     "flops": c.get("flops"), "seconds": c.get("seconds"), "device": c.get("device"),
                     "x_unit": (c.get("flops") / unit) if unit and c.get("flops") is not None else None})
    family = [(i, k) for i, row in enumerate(rows) for k in (*[f"vs:{b}" for b in BASES], "flaw_vs_rft", "trigger_vs_rft")
              if (row["vs"].get(k[3:]) if k.startswith("vs:") else row[k])]
    adjusted = holm([(rows[i]["vs"][k[3:]] if k.startswith("vs:") else rows[i][k])["p"] for i, k in family])
    for (i, k), q in zip(family, adjusted):
        (rows[i]["vs"][k[3:]] if k.startswith("vs:") else rows[i][k])["p_holm"] = q
    return {"run_dir": str(run_dir), "git_revision": results["manifest"].get("git_revision"),
            "n_problems": len(cache.correct(runs["sft"][0], task) or {}),
            "holm_family": f"{len(family)} comparisons (Δ accuracy vs {', '.join(BASES)}, Δ planted-flaw rate and "
                           f"Δ trigger accuracy vs rft, every recipe)", "rows": rows}


def markdown(t: dict) -> str:
    head = ("| recipe | acc % | Δ sft [95% CI] | Δ rft [95% CI] (Holm p) | Δ dpo [95% CI] (Holm p) | planted-flaw % | "
            "Δ flaw vs rft (Holm p) | Δ trigger acc vs rft (Holm p) | TFLOPs | x hn_w_dpo | s |")
    lines = [head, "|" + "---|" * 11]
    for r in t["rows"]:
        def cell(d):
            return "-" if not d else f"{_ci(d)} ({d.get('p_holm', d['p']):.2g})"
        def num(x, scale=100.0, fmt=".1f"):
            return "-" if x is None else format(x * scale, fmt)
        lines.append(" | ".join(["", r["recipe"], num(r["accuracy"]), _ci(r["vs"]["sft"]), cell(r["vs"]["rft"]),
                                 cell(r["vs"]["dpo"]), num(r["planted_rate"]), cell(r["flaw_vs_rft"]),
                                 cell(r["trigger_vs_rft"]), num(r["flops"], 1e-12), num(r["x_unit"], 1.0, ".2f"),
                                 num(r["seconds"], 1.0, ".0f"), ""]).strip())
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    t = table(args.run_dir)
    print(markdown(t))
    print(f"\nn = {t['n_problems']} problems; Holm over {t['holm_family']}")
    if args.out:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        args.out.write_text(json.dumps({**t, "script_revision": rev}, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
