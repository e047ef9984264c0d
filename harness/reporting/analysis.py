"""From per-problem rows to the report's numbers: accuracies, paired comparisons, movement, error profiles, slice.

Nothing here reads an aggregate: every figure is recomputed from the `samples_<task>.jsonl` rows that
results.json points at (harness/reporting/results.py), with the tests of harness/reporting/stats.py.

Pairing: recipe R's run at (seed s, SFT seed t) is paired with the baseline's run at the same (s, t),
problem by problem. Inference is over problems: a problem's units are averaged (within each SFT seed) before
anything is resampled or tested, and with several SFT seeds the SFT seed is resampled too (stats.py).
Holm's correction runs over every comparison of one table (one task: vs sft and vs control together, each
recipe pair once), for the sign test and the permutation test alike; `families` names each family and its size.
The sft row is the SFT draw(s) the recipes start from: an SFT draw trained only for the slice's placebo is its
own row of `sft_seed_spread`, never averaged into the checkpoint the differences are paired with. Runs built on
different shared upstream stages are refused (results.check_compatible).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from verifier import DIMENSIONS

from harness.reporting.movement import answers, movement
from harness.reporting.results import check_compatible, load_rows, near_correct_error
from harness.reporting.slice_stats import TASK as SLICE_TASK
from harness.reporting.slice_stats import slice_view, source_task
from harness.reporting.stats import accuracy_interval, holm, paired_comparison, two_sample_difference


class RowCache:
    """Per-problem rows by (eval stage, task), read once. With `slice_ids` set (a re-derived slice), the near-miss
    task's rows are each run's source-task rows on those ids."""

    def __init__(self, run_dir: Path, source: str | None = None):
        self.run_dir = Path(run_dir)
        self.source = source
        self.slice_ids: list[str] | None = None
        self._rows: dict = {}

    def rows(self, run: dict, task: str) -> list[dict] | None:
        if task == SLICE_TASK and self.slice_ids is not None and self.source:
            src = self.rows(run, self.source)
            if src is None:
                return None
            keep = set(self.slice_ids)
            return [r for r in src if str(r.get("id") or r["doc_id"]) in keep]
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
    """-> (a, b, clusters, groups) over the (seed, sft_seed, problem) units both recipes were evaluated on;
    clusters name the problem, groups the SFT seed."""
    b_by = {(r["seed"], r["sft_seed"]): r for r in runs_b}
    a_all, b_all, cl, gr = [], [], [], []
    for ra in runs_a:
        rb = b_by.get((ra["seed"], ra["sft_seed"]))
        ca, cb = cache.correct(ra, task), (cache.correct(rb, task) if rb else None)
        if ca is None or cb is None:
            continue
        for pid in sorted(set(ca) & set(cb)):
            a_all.append(ca[pid])
            b_all.append(cb[pid])
            cl.append(pid)
            gr.append(ra["sft_seed"])
    return np.array(a_all), np.array(b_all), np.array(cl), np.array(gr)


def compare_pair(cache: RowCache, runs_a, runs_b, task: str, seed: int = 0) -> dict | None:
    a, b, cl, gr = paired_units(cache, runs_a, runs_b, task)
    if len(a) == 0:
        return None
    return paired_comparison(a, b, cl, gr, seed=seed)


def accuracy(cache: RowCache, runs: list[dict], task: str) -> dict | None:
    """Accuracy over problems (seed-averaged), one interval kind for every recipe; the seed spread beside it."""
    x, cl, gr, per_model = [], [], [], []
    for r in _unique_models(runs):
        c = cache.correct(r, task)
        if not c:
            continue
        per_model.append(float(np.mean(list(c.values()))))
        for pid, v in sorted(c.items()):
            x.append(v)
            cl.append(pid)
            gr.append(r["sft_seed"])
    if not x:
        return None
    out = accuracy_interval(np.array(x), np.array(cl), np.array(gr), per_model=per_model)
    return {**out, "per_model": per_model}


def sft_seed_spread(cache: RowCache, sft_runs: list[dict], task: str) -> dict | None:
    """SFT's accuracy per SFT seed (the spread a single-SFT study cannot see); None with one SFT seed."""
    by_seed = {}
    for r in _unique_models(sft_runs):
        c = cache.correct(r, task)
        if c:
            by_seed[r["sft_seed"]] = float(np.mean(list(c.values())))
    if len(by_seed) < 2:
        return None
    v = list(by_seed.values())
    return {"per_sft_seed": by_seed, "min": min(v), "max": max(v), "sd": float(np.std(v, ddof=1))}


def profile(cache: RowCache, runs: list[dict], task: str) -> dict | None:
    """Error profile of the greedy solutions, pooled over the recipe's distinct models. near_miss = the slice's
    predicate (results.near_correct_error), so "near miss" means one thing in the slice, the task and here."""
    rows = [row for r in _unique_models(runs) for row in (cache.rows(r, task) or [])]
    if not rows:
        return None
    vs = [row["verdict"] for row in rows]
    ok = np.array([float(row["equiv"] or 0) for row in rows])
    broken = np.array([v["arithmetic"] > 0 or v["consistency"] > 0 for v in vs])
    out = {
        "n": len(rows), "exact_match": float(np.mean([float(row["exact_match"] or 0) for row in rows])),
        "equiv": float(ok.mean()), "near_miss": float(np.mean([near_correct_error(row) for row in rows])),
        "flawed_correct": float(np.mean((ok == 1) & broken)),
        "wrongness": float(np.mean([v["wrongness"] for v in vs])), "absurdity": float(np.mean([v["absurdity"] for v in vs])),
    }
    out["nonzero"] = {k: float(np.mean([v[k] > 0 for v in vs])) for k in DIMENSIONS}
    return out


def table_family(comparisons: list[tuple[str, dict]]) -> dict:
    """Holm-adjust one table's comparisons in place, as one family: [(label, comparison)] -> {size, members}.

    Each comparison gets p_holm (from its sign-test p) and p_perm_holm (from p_perm, where present), both adjusted
    over the same family of size len(comparisons)."""
    for key, out in (("p", "p_holm"), ("p_perm", "p_perm_holm")):
        idx = [i for i, (_, c) in enumerate(comparisons) if c.get(key) is not None]
        for i, p in zip(idx, holm([comparisons[i][1][key] for i in idx])):
            comparisons[i][1][out] = p
    return {"size": len(comparisons), "members": [label for label, _ in comparisons]}


def _task_family(rows: list[dict], control: str | None) -> dict:
    """The paired table of one task as one Holm family: every recipe's Δ sft and Δ control."""
    comps = [(f"{r['recipe']} vs {base}", r[key]) for key, base in (("vs_sft", "sft"), ("vs_control", control))
             for r in rows if r.get(key)]
    return {"name": "every comparison of this table (vs sft and vs control)", **table_family(comps)}


def recipe_draws(recipes: dict) -> list:
    """The SFT draws (sft_seed values) the non-SFT recipes start from; with no other recipe, every SFT draw."""
    draws = {r["sft_seed"] for name, rec in recipes.items() if name != "sft" for r in rec["runs"]}
    return sorted(draws or {r["sft_seed"] for r in (recipes.get("sft") or {}).get("runs", [])})


def _primary_sft(results: dict, recipes: dict) -> list[dict]:
    runs = recipes["sft"]["runs"] if "sft" in recipes else []
    return [r for r in runs if r["sft_seed"] == results["primary_seed"]][:1]


def analyze(results: dict, run_dir: Path) -> dict:
    """-> {tasks: {task: [row per recipe]}, profiles, slice, placebo, sft_seed_spread, baselines}."""
    check_compatible(results["recipes"])
    cache = RowCache(run_dir, source_task(results))
    recipes = {r["name"]: r for r in results["recipes"]}
    control = results.get("control")
    sft_runs = recipes["sft"]["runs"] if "sft" in recipes else []
    primary = _primary_sft(results, recipes)
    sl = slice_view(results, run_dir, cache.rows(primary[0], cache.source) if primary and cache.source else None)
    if sl and sl.get("rederived"):
        cache.slice_ids = sl["ids"]
    draws = recipe_draws(recipes)
    out: dict = {"tasks": {}, "profiles": {}, "slice": sl, "sft_seed_spread": {}, "families": {},
                 "baselines": {"sft": "sft" in recipes, "control": control if control in recipes else None},
                 "draws": {"recipes": draws, "sft_only": sorted({r["sft_seed"] for r in sft_runs} - set(draws))}}
    # the sft row is the checkpoint(s) the recipes start from, not an average with a placebo-only SFT draw
    row_runs = {name: [x for x in r["runs"] if name != "sft" or x["sft_seed"] in draws] for name, r in recipes.items()}
    for task in results["tasks"]:
        rows = []
        for name, r in recipes.items():
            acc = accuracy(cache, row_runs[name], task)
            if acc is None:
                continue
            row = {"recipe": name, "accuracy": acc, "runs": len(row_runs[name]), "movement": None}
            if name != "sft" and sft_runs:
                row["vs_sft"] = compare_pair(cache, r["runs"], sft_runs, task)
                row["movement"] = movement(r["runs"], sft_runs, lambda x, t=task: answers(cache.rows(x, t)))
            if control in recipes and name not in (control, "sft"):
                row["vs_control"] = compare_pair(cache, r["runs"], recipes[control]["runs"], task)
            rows.append(row)
        out["families"][task] = _task_family(rows, control)
        out["tasks"][task] = rows
        out["sft_seed_spread"][task] = sft_seed_spread(cache, sft_runs, task)
        out["profiles"][task] = {name: p for name in recipes if (p := profile(cache, row_runs[name], task))}
    out["replicates"] = replicate_scope(recipes)
    out["placebo"] = placebo(cache, results, recipes)
    out["slice_control"] = slice_control(cache, results, recipes, sl)
    return out


SCOPE_STAGES = ("data", "base", "sft", "pool", "pairs", "train")


def replicate_scope(recipes: dict) -> dict | None:
    """What a recipe's replicates vary, read from the stage keys its runs were built on (results.json `upstream`),
    not from the flags that asked for them: {runs, stages: {stage: distinct keys}} over the recipes other than sft
    with several runs (a stage's count is the smallest over those recipes, so "varies" holds for each of them);
    None when no recipe has two runs."""
    multi = {n: r["runs"] for n, r in recipes.items() if n != "sft" and len(r["runs"]) > 1
             and all(x.get("upstream") for x in r["runs"])}
    if not multi:
        return None
    stages = {}
    for st in SCOPE_STAGES:
        counts = [len({x["upstream"][st] for x in runs}) for runs in multi.values()
                  if all(st in x["upstream"] for x in runs)]
        if counts:
            stages[st] = min(counts)
    return {"runs": min(len(v) for v in multi.values()), "recipes": len(multi), "stages": stages}


def fix_shares(correct: dict[str, float], slice_ids: list[str], other_ids: list[str], seed: int = 0) -> dict:
    """Within-model slice control for one model: the share of the slice's problems it solves minus the share of
    SFT's *other* errors it solves, with a stratified bootstrap over problems (stats.two_sample_difference).

    correct: problem id -> seed-averaged correctness on the source task. Both sets are SFT's greedy failures, so
    regression to the mean lifts both; a gain specific to near misses is the excess on the slice.
    Returns {diff, low, high, x (slice share), y (other-error share), n_x, n_y}."""
    x = [correct[i] for i in slice_ids if i in correct]
    y = [correct[i] for i in other_ids if i in correct]
    return two_sample_difference(x, y, seed)


def _seed_averaged(cache: RowCache, runs: list[dict], task: str) -> dict[str, float]:
    per: dict[str, list[float]] = {}
    for r in _unique_models(runs):
        for pid, v in (cache.correct(r, task) or {}).items():
            per.setdefault(pid, []).append(v)
    return {k: float(np.mean(v)) for k, v in per.items()}


def slice_control(cache: RowCache, results: dict, recipes: dict, sl: dict | None) -> dict | None:
    """{source, n_slice, n_other_errors, rows: {model: fix_shares}}: for every recipe on the selecting SFT draw and
    the placebo SFT draws, what share of the slice it fixes vs what share of SFT's other greedy errors it fixes,
    both on the source task's rows. None without a slice, a source task or the selecting SFT's rows."""
    primary = _primary_sft(results, recipes)
    if not sl or not sl.get("ids") or not primary or not cache.source:
        return None
    sft = cache.correct(primary[0], cache.source)
    if not sft:
        return None
    ids = [str(i) for i in sl["ids"]]
    inside = set(ids)
    other = sorted(k for k, v in sft.items() if v < 0.5 and k not in inside)
    rows = {}
    for name, r in recipes.items():
        runs = [x for x in r["runs"] if x["sft_seed"] == results["primary_seed"]]
        if name == "sft":  # the selecting SFT fixes none of either set; the other SFT draws are the placebo
            runs, name = [x for x in r["runs"] if x["sft_seed"] != results["primary_seed"]], "placebo (other SFT draws)"
        correct = _seed_averaged(cache, runs, cache.source)
        if correct:
            rows[name] = fix_shares(correct, ids, other)
    return {"source": cache.source, "n_slice": len(ids), "n_other_errors": len(other), "rows": rows}


def placebo(cache: RowCache, results: dict, recipes: dict) -> dict | None:
    """The slice's selection effect: SFT models trained with other seeds (`--sft-seeds`), whose noise is
    independent of the selection, vs the selecting SFT, on the slice. `sft_more` is no placebo: it starts from
    the selecting SFT and keeps most of its answers. None without other SFT seeds."""
    if SLICE_TASK not in results["tasks"] or "sft" not in recipes:
        return None
    primary = _primary_sft(results, recipes)
    others = _unique_models([r for r in recipes["sft"]["runs"] if r["sft_seed"] != results["primary_seed"]])
    if not primary or not others:
        return None
    # pair each other-seed SFT with the selecting SFT on the same problems
    runs_b = [{**primary[0], "seed": r["seed"], "sft_seed": r["sft_seed"]} for r in others]
    return {"kind": "other SFT seeds", "task": SLICE_TASK, "sft_accuracy": accuracy(cache, primary, SLICE_TASK),
            "placebo_accuracy": accuracy(cache, others, SLICE_TASK),
            "vs_selecting_sft": compare_pair(cache, others, runs_b, SLICE_TASK)}
