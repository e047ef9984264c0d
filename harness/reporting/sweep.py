"""The sweep's table: every (recipe, setting) paired with SFT on the validation problems, the best setting per
recipe and shared, written to <run_dir>/sweep/sweep.{md,json}. Input: the runs of harness/stages/sweep.py."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.reporting.signs import chosen_trend
from harness.reporting.stats import mcnemar_exact, paired_difference
from harness.runtime.io import read_jsonl, write_json_atomic, write_text_atomic

TASK = "hardneg_synth"


def _label(setting: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in setting.items()) or "(config)"


def _correct(eval_dir: str) -> dict[str, float]:
    return {str(r.get("id") or r["doc_id"]): float(r["equiv"] or 0) for r in read_jsonl(Path(eval_dir) / f"samples_{TASK}.jsonl")}


def chosen_sign(log: list[dict] | None, beta: float) -> dict | None:
    """The displacement sign of harness/reporting/signs.py, rounded for the table."""
    t = chosen_trend(log, beta)
    return None if t is None else {k: (round(v, 4) if isinstance(v, float) else v) for k, v in t.items()}


def summarize(sweep_out: dict) -> dict:
    """-> the sweep table and verdict (also written to <run_dir>/sweep/); `sweep_out` is what stages.sweep returns."""
    runs, seeds, grid, settings = sweep_out["runs"], sweep_out["seeds"], sweep_out["grid"], sweep_out["settings"]
    for x in runs:
        x.setdefault("chosen", chosen_sign(x.pop("log_history", None), x.pop("beta", 1.0)))
    table = []
    for name in sweep_out["recipes"]:
        for setting in ([{}] if name == "sft" else settings):  # SFT does not depend on the grid's dpo keys
            mine = [x for x in runs if x["recipe"] == name and (name == "sft" or x["setting"] == setting)]
            by_seed = {x["seed"]: x for x in mine}
            a, b, cl = [], [], []
            for seed, x in sorted(by_seed.items()):
                ref = next(y for y in runs if y["recipe"] == "sft" and y["seed"] == seed and y["setting"] == x["setting"])
                ca, cb = _correct(x["eval_dir"]), _correct(ref["eval_dir"])
                for pid in sorted(set(ca) & set(cb)):
                    a.append(ca[pid])
                    b.append(cb[pid])
                    cl.append(pid)
            d = paired_difference(np.array(a), np.array(b), np.array(cl))
            m = mcnemar_exact(a, b)
            table.append({"recipe": name, "setting": _label(setting), "grid": setting, "accuracy": round(float(np.mean(a)), 4),
                          "n": len(a), "vs_sft": {k: round(d[k], 4) for k in ("diff", "low", "high")}, "p": m["p"],
                          "chosen": [x["chosen"] for x in by_seed.values()],
                          "eval_stages": sorted({x["eval_stage"] for x in mine})})
    best = {}
    for row in table:
        if row["recipe"] != "sft" and (row["recipe"] not in best or row["accuracy"] > best[row["recipe"]]["accuracy"]):
            best[row["recipe"]] = row
    shared_best = best_shared(table, settings)
    beats = [r for r in best.values() if r["vs_sft"]["diff"] > 0 and r["vs_sft"]["low"] > 0]
    verdict = ("settings whose validation accuracy beats SFT with a paired interval above 0: "
               + ", ".join(f"{r['recipe']} ({r['setting']})" for r in beats)) if beats else \
        "no recipe setting beats SFT on validation (no paired 95% interval lies above 0)."
    out = {"split": "validation", "n_val": sweep_out["n_val"], "seeds": seeds, "grid": grid, "rows": table,
           "best": {k: {"setting": v["grid"], "accuracy": v["accuracy"], "vs_sft": v["vs_sft"], "p": v["p"]}
                    for k, v in best.items()}, "best_shared": shared_best, "verdict": verdict}
    _write(Path(sweep_out["run_dir"]) / "sweep", out)
    out["table"] = str(Path(sweep_out["run_dir"]) / "sweep" / "sweep.md")
    return out


def best_shared(table: list[dict], settings: list[dict]) -> dict | None:
    """The one grid setting for every swept recipe: highest validation accuracy averaged over the recipes (a config
    has one `dpo` section; the controls must share the preference recipes' settings)."""
    rows = [r for r in table if r["recipe"] != "sft"]
    if not rows:
        return None
    means = [(float(np.mean([r["accuracy"] for r in rows if r["grid"] == s])), i) for i, s in enumerate(settings)]
    acc, i = max(means)  # ties: the later setting in grid order
    return {"setting": settings[i], "mean_accuracy": round(acc, 4)}


def _write(folder: Path, out: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"# Sweep on the validation split ({out['n_val']} problems, seeds {', '.join(map(str, out['seeds']))})", "",
             "| recipe | setting | val acc | vs SFT [95% paired CI] | McNemar p | chosen log-ratio at end (nats) |",
             "|---|---|---:|---:|---:|---|"]
    for r in out["rows"]:
        v = r["vs_sft"]
        trend = "; ".join(f"{t['chosen_logratio_end']:+.3f}{' (fell)' if t['fell'] else ''}" for t in r["chosen"]
                          if t and t["chosen_logratio_end"] is not None) or "-"
        lines.append(f"| {r['recipe']} | {r['setting']} | {100 * r['accuracy']:.1f}% | {100 * v['diff']:+.1f} "
                     f"[{100 * v['low']:+.1f}, {100 * v['high']:+.1f}] | {r['p']:.3g} | {trend} |")
    lines += ["", "Best setting per recipe (highest validation accuracy):", ""]
    lines += [f"- {k}: {_label(v['setting'])} -> {100 * v['accuracy']:.1f}%" for k, v in out["best"].items()]
    if out.get("best_shared"):
        b = out["best_shared"]
        lines += ["", f"Best shared setting (highest validation accuracy averaged over the swept recipes): "
                      f"{_label(b['setting'])} -> {100 * b['mean_accuracy']:.1f}%"]
    lines += ["", "chosen log-ratio: log pi(y_w) - log pi_ref(y_w) over the last quarter of the training log "
                  "(harness/reporting/signs.py); below zero = the displacement sign.", "", out["verdict"], ""]
    write_text_atomic(folder / "sweep.md", "\n".join(lines))
    write_json_atomic(folder / "sweep.json", out)
