"""From per-problem rows to the report's numbers: accuracies, paired comparisons, error profiles, placebo.

Nothing here reads an aggregate: every figure is recomputed from the `samples_<task>.jsonl` rows that
results.json points at (harness/reporting/results.py), with the tests of harness/reporting/stats.py.

Pairing: recipe R's run at (seed s, SFT seed t) is paired with the baseline's run at the same (s, t),
problem by problem; units pool problems x seeds and the bootstrap resamples problems (clusters).
Holm's correction runs over the recipes of one table (one task, one baseline).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from verifier import DIMENSIONS

from harness.reporting.results import load_rows
from harness.reporting.stats import accuracy_interval, holm, mcnemar_exact, mcnemar_mde, paired_difference

PROFILE_KEYS = ("exact_match", "equiv", "near_miss", "flawed_correct", "wrongness", "absurdity")
STACK_KEYS = ("near_miss", "arithmetic", "consistency", "form")  # the stacked error-profile bars


class RowCache:
    """Per-problem rows by (eval stage, task), read once."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self._rows: dict = {}

    def rows(self, run: dict, task: str) -> list[dict] | None:
        if task not in run["samples"]:
            return None
        key = (run["eval_stage"], task)
        if key not in self._rows:
            self._rows[key] = load_rows(self.run_dir, run, task)
        return self._rows[key]

    def correct(self, run: dict, task: str) -> dict[str, float] | None:
        rows = self.rows(run, task)
        return None if rows is None else {str(r.get("id") or r["doc_id"]): float(r["equiv"] or 0) for r in rows}


def _unique_models(runs: list[dict]) -> list[dict]:
    """Runs that share an evaluation (one SFT checkpoint reused by several seeds) count once."""
    seen, out = set(), []
    for r in runs:
        if r["eval_stage"] not in seen:
            seen.add(r["eval_stage"])
            out.append(r)
    return out


def paired_units(cache: RowCache, runs_a: list[dict], runs_b: list[dict], task: str):
    """-> (a, b, clusters) over the (seed, sft_seed, problem) units both recipes were evaluated on."""
    b_by = {(r["seed"], r["sft_seed"]): r for r in runs_b}
    a_all, b_all, cl = [], [], []
    for ra in runs_a:
        rb = b_by.get((ra["seed"], ra["sft_seed"]))
        ca, cb = cache.correct(ra, task), (cache.correct(rb, task) if rb else None)
        if ca is None or cb is None:
            continue
        for pid in sorted(set(ca) & set(cb)):
            a_all.append(ca[pid])
            b_all.append(cb[pid])
            cl.append(pid)
    return np.array(a_all), np.array(b_all), np.array(cl)


def compare_pair(cache: RowCache, runs_a, runs_b, task: str, seed: int = 0) -> dict | None:
    a, b, cl = paired_units(cache, runs_a, runs_b, task)
    if len(a) == 0:
        return None
    d = paired_difference(a, b, cl, seed=seed)
    m = mcnemar_exact(a, b)
    return {**d, **m, "mde": mcnemar_mde(len(a), m["discordance"])}


def accuracy(cache: RowCache, runs: list[dict], task: str) -> dict | None:
    per_model = []
    n = 0
    for r in _unique_models(runs):
        c = cache.correct(r, task)
        if c:
            per_model.append(float(np.mean(list(c.values()))))
            n = len(c)
    if not per_model:
        return None
    return {**accuracy_interval(per_model, n), "per_model": per_model, "n": n}


def profile(cache: RowCache, runs: list[dict], task: str, near_distance: float) -> dict | None:
    """Error profile of the greedy solutions, pooled over the recipe's distinct models."""
    rows = [row for r in _unique_models(runs) for row in (cache.rows(r, task) or [])]
    if not rows:
        return None
    vs = [row["verdict"] for row in rows]
    ok = np.array([float(row["equiv"] or 0) for row in rows])
    dist = np.array([v["distance"] for v in vs])
    broken = np.array([v["arithmetic"] > 0 or v["consistency"] > 0 for v in vs])
    out = {
        "n": len(rows), "exact_match": float(np.mean([float(row["exact_match"] or 0) for row in rows])),
        "equiv": float(ok.mean()), "near_miss": float(np.mean((ok == 0) & (dist <= near_distance))),
        "flawed_correct": float(np.mean((ok == 1) & broken)),
        "wrongness": float(np.mean([v["wrongness"] for v in vs])), "absurdity": float(np.mean([v["absurdity"] for v in vs])),
    }
    out["nonzero"] = {k: float(np.mean([v[k] > 0 for v in vs])) for k in DIMENSIONS}
    return out


def _family(rows: list[dict], key: str) -> None:
    """Holm-adjust the p-values of one comparison family in place."""
    idx = [i for i, r in enumerate(rows) if r.get(key)]
    adj = holm([rows[i][key]["p"] for i in idx])
    for i, p in zip(idx, adj):
        rows[i][key]["p_holm"] = p


def analyze(results: dict, run_dir: Path) -> dict:
    """-> {tasks: {task: [row per recipe]}, profiles: {task: {recipe: profile}}, placebo: {...} | None}."""
    cache = RowCache(run_dir)
    recipes = {r["name"]: r for r in results["recipes"]}
    control = results.get("control")
    sft_runs = recipes["sft"]["runs"] if "sft" in recipes else []
    out: dict = {"tasks": {}, "profiles": {}, "baselines": {"sft": "sft" in recipes,
                                                            "control": control if control in recipes else None}}
    for task in results["tasks"]:
        rows = []
        for name, r in recipes.items():
            acc = accuracy(cache, r["runs"], task)
            if acc is None:
                continue
            row = {"recipe": name, "accuracy": acc, "runs": len(r["runs"])}
            if name != "sft" and sft_runs:
                row["vs_sft"] = compare_pair(cache, r["runs"], sft_runs, task)
            if control in recipes and name not in (control, "sft"):
                row["vs_control"] = compare_pair(cache, r["runs"], recipes[control]["runs"], task)
            rows.append(row)
        _family(rows, "vs_sft")
        _family(rows, "vs_control")
        out["tasks"][task] = rows
        out["profiles"][task] = {name: p for name, r in recipes.items()
                                 if (p := profile(cache, r["runs"], task, results["near_distance"]))}
    out["placebo"] = placebo(cache, results, recipes)
    return out


def placebo(cache: RowCache, results: dict, recipes: dict) -> dict | None:
    """The slice's selection effect: SFT-equivalent models with noise independent of the selection, vs the
    selecting SFT, on the slice. Other SFT seeds when the run has them, else `sft_more`."""
    task = "hardneg_near_miss"
    if task not in results["tasks"] or "sft" not in recipes:
        return None
    primary = [r for r in recipes["sft"]["runs"] if r["sft_seed"] == results["primary_seed"]][:1]
    others = _unique_models([r for r in recipes["sft"]["runs"] if r["sft_seed"] != results["primary_seed"]])
    if others:
        kind, runs = "other SFT seeds", others
        # pair each other-seed SFT with the selecting SFT on the same problems
        runs_b = [{**primary[0], "seed": r["seed"], "sft_seed": r["sft_seed"]} for r in others] if primary else []
    elif "sft_more" in recipes:
        kind, runs = "sft_more", recipes["sft_more"]["runs"]
        runs_b = [{**primary[0], "seed": r["seed"], "sft_seed": r["sft_seed"]} for r in runs] if primary else []
    else:
        return None
    if not primary:
        return None
    cmp = compare_pair(cache, runs, runs_b, task)
    return {"kind": kind, "task": task, "sft_accuracy": accuracy(cache, primary, task),
            "placebo_accuracy": accuracy(cache, runs, task), "vs_selecting_sft": cmp}
