"""The sample pool's summary (accuracy, hard negatives, each dimension, per-problem pass rates) and its terminal table."""
from __future__ import annotations

from statistics import mean

from rich.table import Table

from verifier import DIMENSIONS

from harness.pairs.planted import verifier_on_planted


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def pool_summary(samples: list[dict], n_problems: int) -> dict:
    """Sample accuracy, hard-negative share, each dimension's distribution and per-problem pass rates."""
    if not samples:
        return {"samples": 0}
    vs = [s["verdict"] for s in samples]
    per: dict[str, list[bool]] = {}
    for s in samples:
        per.setdefault(s["problem_id"], []).append(s["verdict"]["correct"])
    rates = [mean(x) for x in per.values()]
    planted = verifier_on_planted(samples)
    return {
        "samples": len(vs), "problems": n_problems, "accuracy": round(mean(v["correct"] for v in vs), 4),
        "hard_negative_share": round(mean(v["hard_negative"] for v in vs), 4),
        "truncated_share": round(mean(s.get("truncated", False) for s in samples), 4),
        "dimensions": {k: {"mean": round(mean(v[k] for v in vs), 4), "nonzero": round(mean(v[k] > 0 for v in vs), 4)}
                       for k in (*DIMENSIONS, "wrongness", "absurdity")},
        "pass_rate": {"mean": round(mean(rates), 4), "all_wrong": sum(r == 0 for r in rates),
                      "all_right": sum(r == 1 for r in rates), "mixed": sum(0 < r < 1 for r in rates)},
        **({"planted": planted} if planted else {}),
    }


def pool_table(summary: dict, sampling: dict) -> Table:
    """The verification stage's summary: accuracy, hard negatives, each dimension, per-problem pass rate."""
    pr = summary["pass_rate"]
    t = Table(title=f"sample pool: {summary['samples']} unique samples, {summary['problems']} problems, "
                    f"{sampling['tokens_per_s']:.0f} tok/s")
    t.add_column("measure")
    t.add_column("mean", justify="right")
    t.add_column("share > 0", justify="right")
    t.add_row("accuracy", _pct(summary["accuracy"]), "")
    t.add_row("hard negatives", _pct(summary["hard_negative_share"]), "")
    for k, d in summary["dimensions"].items():
        t.add_row(k, f"{d['mean']:.3f}", _pct(d["nonzero"]))
    t.add_row("problems all wrong / mixed / all right", f"{pr['all_wrong']} / {pr['mixed']} / {pr['all_right']}",
              f"pass {_pct(pr['mean'])}")
    return t
