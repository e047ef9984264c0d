"""The sweep's table: every (recipe, setting) paired with SFT on the validation problems, the best setting per
recipe and shared, written to <run_dir>/sweep/sweep.{md,json}. Input: the runs of harness/stages/sweep.py."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.reporting.signs import chosen_trend
from harness.reporting.movement import answers, movement
from harness.reporting.stats import holm, paired_comparison
from harness.runtime.io import read_jsonl, write_json_atomic, write_text_atomic

TASK = "hardneg_synth"


def _label(setting: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in setting.items()) or "(config)"


def _correct(eval_dir: str) -> dict[str, float]:
    return {str(r.get("id") or r["doc_id"]): float(r["equiv"] or 0) for r in read_jsonl(Path(eval_dir) / f"samples_{TASK}.jsonl")}


def _answers(eval_dir: str) -> dict[str, str]:
    return answers(read_jsonl(Path(eval_dir) / f"samples_{TASK}.jsonl"))


def chosen_sign(log: list[dict] | None, beta: float) -> dict | None:
    """The displacement sign of harness/reporting/signs.py, rounded for the table."""
    t = chosen_trend(log, beta)
    return None if t is None else {k: (round(v, 4) if isinstance(v, float) else v) for k, v in t.items()}


def _sweep_row(name: str, setting: dict, mine: list[dict], runs: list[dict]) -> dict:
    """One (recipe, setting) paired with SFT over the validation problems of every seed: the report's statistics
    (harness/reporting/stats.py: problem-level sign test, bootstrap over problems, MDE) and its movement."""
    a, b, cl, ans, sft_ans = [], [], [], {}, {}
    for x in sorted(mine, key=lambda x: x["seed"]):
        ref = next(y for y in runs if y["recipe"] == "sft" and y["seed"] == x["seed"] and y["setting"] == x["setting"])
        ca, cb = _correct(x["eval_dir"]), _correct(ref["eval_dir"])
        ans[x["eval_stage"]], sft_ans[ref["eval_stage"]] = _answers(x["eval_dir"]), _answers(ref["eval_dir"])
        for pid in sorted(set(ca) & set(cb)):
            a.append(ca[pid])
            b.append(cb[pid])
            cl.append(pid)
    c = paired_comparison(np.array(a), np.array(b), np.array(cl))
    move = None
    if name != "sft":
        as_runs = [{"seed": x["seed"], "sft_seed": 0, "eval_stage": x["eval_stage"]} for x in mine]
        sft_runs = [{"seed": y["seed"], "sft_seed": 0, "eval_stage": y["eval_stage"]} for y in runs
                    if y["recipe"] == "sft" and y["setting"] == mine[0]["setting"]]
        both = {**ans, **sft_ans}
        move = movement(as_runs, sft_runs, lambda r: both.get(r["eval_stage"]))
    rnd = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in c.items()}
    return {"recipe": name, "setting": _label(setting), "grid": setting,
            "accuracy": round(float(np.mean([np.mean(list(_correct(x["eval_dir"]).values())) for x in mine])), 4),
            "n": c["n_problems"], "n_units": c["n_units"],
            "vs_sft": {k: rnd[k] for k in ("diff", "low", "high", "se", "mde", "b10", "b01", "test")},
            "p": c["p"], "movement": move, "chosen": [x["chosen"] for x in sorted(mine, key=lambda x: x["seed"])],
            "eval_stages": sorted({x["eval_stage"] for x in mine})}


def summarize(sweep_out: dict) -> dict:
    """-> the sweep table and verdict (also written to <run_dir>/sweep/); `sweep_out` is what stages.sweep returns.
    Holm's correction runs over every non-SFT row of the table (one family: the settings tried)."""
    runs, seeds, grid, settings = sweep_out["runs"], sweep_out["seeds"], sweep_out["grid"], sweep_out["settings"]
    for x in runs:
        x.setdefault("chosen", chosen_sign(x.pop("log_history", None), x.pop("beta", 1.0)))
    table = []
    for name in sweep_out["recipes"]:
        for setting in ([{}] if name == "sft" else settings):  # SFT does not depend on the grid's dpo keys
            mine = [x for x in runs if x["recipe"] == name and (name == "sft" or x["setting"] == setting)]
            if name == "sft":  # one SFT row: the first setting's SFT runs (the grid's dpo keys do not touch it)
                mine = [x for x in mine if x["setting"] == mine[0]["setting"]]
            table.append(_sweep_row(name, setting, mine, runs))
    family = [r for r in table if r["recipe"] != "sft"]
    for r, p in zip(family, holm([r["p"] for r in family])):
        r["p_holm"] = p
    best = {}
    for row in table:
        if row["recipe"] != "sft" and (row["recipe"] not in best or row["accuracy"] > best[row["recipe"]]["accuracy"]):
            best[row["recipe"]] = row
    shared_best = best_shared(table, settings)
    beats = [r for r in best.values() if r["vs_sft"]["diff"] > 0 and r["vs_sft"]["low"] > 0]
    holm_beats = [r for r in family if r["vs_sft"]["diff"] > 0 and r["p_holm"] < 0.05]
    verdict = ("Settings whose validation accuracy beats SFT with a paired interval above 0: "
               + ", ".join(f"{r['recipe']} ({r['setting']})" for r in beats) + ".") if beats else \
        "No recipe setting beats SFT on validation (no paired 95% interval lies above 0)."
    verdict += (" After Holm over the table's settings, p < 0.05 for: " + ", ".join(
        f"{r['recipe']} ({r['setting']})" for r in holm_beats) + ".") if holm_beats else \
        f" No setting beats SFT after Holm over the table's {len(family)} settings."
    out = {"split": "validation", "n_val": sweep_out["n_val"], "seeds": seeds, "grid": grid, "rows": table,
           "best": {k: {"setting": v["grid"], "accuracy": v["accuracy"], "vs_sft": v["vs_sft"], "p": v["p"],
                        "p_holm": v.get("p_holm")}
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


def _moved(m: dict | None) -> str:
    if not m:
        return "-"
    floor = "-" if m["floor"] is None else f"{100 * m['floor']:.1f}%"
    return f"{100 * m['vs_sft']:.1f}% ({floor})" + (" at noise floor" if m["at_floor"] else "")


def _write(folder: Path, out: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    first = next((r for r in out["rows"] if r["recipe"] != "sft"), out["rows"][0])
    lines = [f"# Sweep on the validation split ({out['n_val']} problems, seeds {', '.join(map(str, out['seeds']))})", "",
             f"Statistics as in the report (harness/reporting/stats.py): n = {first['n']} problems per row "
             f"({first['n_units']} problem-seed units); b10/b01 count problems; p = {first['vs_sft']['test']}, Holm over "
             "the table's settings; the interval bounds the effect, the MDE (2.80 x clustered SE; `–` without a "
             "discordant problem) is what the design could detect; moved = greedy answers changed vs SFT (seed floor).", "",
             "| recipe | setting | val acc | vs SFT [95% paired CI] | b10/b01 | p (Holm) | MDE | moved (floor) | "
             "chosen log-ratio at end (nats) |", "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in out["rows"]:
        v, m = r["vs_sft"], r.get("movement")
        trend = "; ".join(f"{t['chosen_logratio_end']:+.3f}{' (fell)' if t['fell'] else ''}" for t in r["chosen"]
                          if t and t["chosen_logratio_end"] is not None) or "-"
        mde = "–" if v.get("mde") is None else f"{100 * v['mde']:.1f}"
        moved = _moved(m)
        p = "-" if r["recipe"] == "sft" else f"{r.get('p_holm', r['p']):.3g}"
        lines.append(f"| {r['recipe']} | {r['setting']} | {100 * r['accuracy']:.1f}% | {100 * v['diff']:+.1f} "
                     f"[{100 * v['low']:+.1f}, {100 * v['high']:+.1f}] | {v['b10']}/{v['b01']} | {p} | {mde} | {moved} | "
                     f"{trend} |")
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
