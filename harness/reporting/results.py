"""results.json (schema 2): every (recipe, seed) evaluated in a run directory, pointing at its per-problem rows.

`harness compare` records each evaluated (recipe, seed, sft_seed) as one small file under
`<run_dir>/index/`; `assemble` merges all of them, so a later `harness compare --recipes dpo` adds to or
replaces the dpo rows and keeps every other recipe's. Aggregates are kept for reading convenience only:
every statistic in the report is recomputed from the per-problem files (`samples_<task>.jsonl` inside the
evaluation stage directory) that each run entry names, relative to the run directory.
"""
from __future__ import annotations

import json
from pathlib import Path

from harness.runtime.cache import write_json_atomic

RESULTS_SCHEMA_VERSION = 2
INDEX = "index"
SHARED_UPSTREAM = ("data", "base", "sft", "slice")
"""Upstream stages every recipe of one (seed, SFT seed) must share: a model is paired only with models built on
the same data split, base model, SFT checkpoint and slice (the pool and pairs may differ by recipe design)."""


def entry_name(recipe: str, seed: int, sft_seed: int) -> str:
    return f"{recipe}@seed{seed}-sft{sft_seed}.json"


def record_run(run_dir: Path, recipe, seed: int, sft_seed: int, train: dict, eval_stage, eval_meta: dict,
               extras: dict) -> dict:
    """Write one index entry for an evaluated (recipe, seed) and return it.

    `extras` may carry `upstream` ({stage name: stage key} of every stage the model depends on), `settings`
    (the flattened config): `check_compatible` refuses to pair entries whose shared upstream stages differ, and
    `cost` ({stage label: {"key": stage key, **cost record}} of every stage after SFT the model needs and of its
    evaluation, 'eval'; harness/runtime/cost.py, harness/reporting/costs.py)."""
    run_dir = Path(run_dir)
    entry = {
        "recipe": recipe.name, "seed": seed, "sft_seed": sft_seed,
        "model_dir": _relative(train["model_dir"], run_dir),
        "train_stage": train["stage"], "train": {"seconds": train["seconds"], "log_history": train["log_history"]},
        "eval_stage": eval_stage.dir.name, "scores": eval_meta["scores"], "throughput": eval_meta.get("throughput"),
        **({"generation": eval_meta["generation"]} if eval_meta.get("generation") else {}),
        "samples": {t: f"{eval_stage.dir.name}/samples_{t}.jsonl" for t in eval_meta["scores"]}, **extras,
    }
    (run_dir / INDEX).mkdir(exist_ok=True)
    write_json_atomic(run_dir / INDEX / entry_name(recipe.name, seed, sft_seed), entry)
    return entry


def _relative(path: str, run_dir: Path) -> str:
    """Paths under the run directory are stored relative to it, so a copied run directory still reports."""
    try:
        return str(Path(path).resolve().relative_to(run_dir.resolve()))
    except ValueError:
        return str(path)  # a hub id or an outside directory


STAGE_SECTIONS = {"data": ("data", "seed"), "base": ("model", "data", "seed"), "sft": ("sft", "model", "data", "seed"),
                  "slice": ("eval", "verifier", "sft", "model", "data", "seed")}
"""The config sections a shared stage depends on: named first when that stage differs."""


def flat_settings(d: dict, prefix: str = "") -> dict:
    """{'sft': {'max_steps': 500}} -> {'sft.max_steps': 500}, to name a differing setting."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v and all(isinstance(x, str) for x in v):
            out.update(flat_settings(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def check_compatible(recipes: list[dict]) -> None:
    """Refuse (ConfigError, one line) when two models of one (seed, SFT seed) were built on different shared upstream
    stages, e.g. after `harness compare --recipes sft sft.max_steps=500` in a run directory whose DPO models were
    trained from the old SFT: the line names the differing setting. Entries without `upstream` (written before
    the index carried it) are not checked."""
    from harness.config import ConfigError
    first: dict = {}
    for r in recipes:
        for e in r["runs"]:
            up = e.get("upstream")
            if not up:
                continue
            ref = first.setdefault((e["seed"], e["sft_seed"]), e)
            for stage in SHARED_UPSTREAM:
                if stage in up and stage in ref["upstream"] and up[stage] != ref["upstream"][stage]:
                    a, b = flat_settings(ref.get("settings") or {}), flat_settings(e.get("settings") or {})
                    diff = sorted((k for k in set(a) | set(b) if a.get(k) != b.get(k) and k != "run_dir"),
                                  key=lambda k: (k.split(".")[0] not in STAGE_SECTIONS[stage], k))
                    named = "; ".join(f"{k}: {a.get(k)!r} vs {b.get(k)!r}" for k in diff[:3]) or "(settings not recorded)"
                    raise ConfigError(
                        f"{ref['recipe']} and {e['recipe']} (seed {e['seed']}, SFT seed {e['sft_seed']}) were built on "
                        f"different {stage} stages ({ref['upstream'][stage]} vs {up[stage]}): {named}; rerun every "
                        f"recipe with one setting or use another run_dir")


def load_entries(run_dir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((Path(run_dir) / INDEX).glob("*.json"))]


def assemble(run_dir: Path, cfg, manifest: dict, context: dict) -> dict:
    """results.json from every index entry of the run directory (recipes in registry order)."""
    from harness.registry import all_recipes
    entries = load_entries(run_dir)
    order = {r.name: (r.order, r.name) for r in all_recipes()}
    known = {r.name: r for r in all_recipes()}
    by_recipe: dict[str, list[dict]] = {}
    for e in entries:
        by_recipe.setdefault(e["recipe"], []).append(e)
    from harness.reporting.costs import recipe_cost, run_cost
    recipes = []
    for name in sorted(by_recipe, key=lambda n: order.get(n, (10_000, n))):
        r = known.get(name)
        runs = sorted(by_recipe[name], key=lambda e: (e["sft_seed"], e["seed"]))
        recipes.append({
            "name": name, "description": r.description if r else "(no longer registered)",
            "trainer": r.trainer if r else None, "pairs": r.pairs if r else None,
            "weights": r.weights if r and r.trainer == "dpo" else None,
            "loss_type": list(r.loss_type) if r and r.trainer == "dpo" else None, "runs": runs})
        cost = recipe_cost(runs, entries)  # from the entries' `cost` (harness/reporting/costs.py); none before costs
        if cost:
            recipes[-1]["cost"] = cost
    check_compatible(recipes)
    total_cost = run_cost(entries)
    all_tasks = [*cfg.eval.tasks, *cfg.eval.optional_tasks]
    tasks = sorted({t for e in entries for t in e["scores"]}, key=lambda t: all_tasks.index(t) if t in all_tasks else 99)
    return {
        "schema_version": RESULTS_SCHEMA_VERSION, "experiment": cfg.name, "tasks": tasks,
        "primary_seed": cfg.seed, "seeds": sorted({e["seed"] for e in entries}),
        "sft_seeds": sorted({e["sft_seed"] for e in entries}), "control": cfg.report.control,
        "near_distance": cfg.verifier.near_distance,
        "selection": f"all {len(recipes)} recipes evaluated in this run directory ({len(entries)} recipe-seed runs)",
        "recipes": recipes, **({"cost": total_cost} if total_cost else {}), **context, "manifest": manifest,
    }


def write_results(run_dir: Path, results: dict) -> None:
    write_json_atomic(Path(run_dir) / "results.json", results)


def read_results(run_dir: Path) -> dict:
    from harness.config import ConfigError
    p = Path(run_dir) / "results.json"
    if not p.is_file():
        raise ConfigError(f"{p} not found: run `harness compare` with run_dir={run_dir} first")
    res = json.loads(p.read_text())
    if res.get("schema_version") != RESULTS_SCHEMA_VERSION:
        raise ConfigError(f"{p} has schema version {res.get('schema_version')}, this harness reads "
                          f"{RESULTS_SCHEMA_VERSION}: rerun `harness compare` (stages stay cached)")
    return res


def sample_path(run_dir: Path, rel: str) -> Path:
    """Where a run's per-problem rows are: `<rel>` in a run directory, `<rel>.gz` in an archive (harness/reporting/archive.py)."""
    path = Path(run_dir) / rel
    if not path.is_file() and Path(str(path) + ".gz").is_file():
        return Path(str(path) + ".gz")
    if not path.is_file():
        from harness.config import ConfigError
        raise ConfigError(f"{path} is missing: the run directory lost an evaluation stage; rerun `harness compare`")
    return path


def load_rows(run_dir: Path, run: dict, task: str) -> list[dict]:
    """The per-problem rows of one run on one task (doc order)."""
    path = sample_path(run_dir, run["samples"][task])
    if path.suffix == ".gz":
        import gzip
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    from harness.runtime.io import read_jsonl
    return read_jsonl(path)


# ---- the near-correct-error slice: one predicate over a greedy per-problem row ------------------------------------
SLICE_VERSION = 2
"""v1: most *sampled* solutions wrong within verifier.near_distance (log10 scale, ~100% relative) behind a flaw;
v2: the predicate below on the SFT policy's *greedy* solution."""
NEAR_REL = 0.05
NEAR_ABS_INTEGER = 1
SLICE_RULE = (f"the SFT policy's greedy answer is wrong, numeric and close (|answer - gold| <= max({NEAR_REL:g} x |gold|, "
              f"{NEAR_ABS_INTEGER}) for an integer gold, <= {NEAR_REL:g} x max(|gold|, 1) otherwise), and the verifier "
              "finds a structural flaw (arithmetic or consistency > 0)")


def answer_close(gold, pred) -> bool:
    """The slice's closeness: within one unit or 5% of an integer gold answer, 5% of any other (non-numeric: never).

    Why this tolerance: the synthetic answers are small integers (median 9, 90% <= 22 on the test split), where one
    unit is the smallest possible miss (a slipped carry, an off-by-one step) and a purely relative rule is either
    empty or loose; above 20, 5% takes over. The previous rule (log10(1 + relative error) <= 0.3) admitted answers
    up to ~100% off, i.e. nearly any wrong answer when answers are <= 30."""
    from verifier.answers import to_number
    g, p = to_number(None if gold is None else str(gold)), to_number(None if pred is None else str(pred))
    if g is None or p is None or g == p:
        return False
    tol = max(NEAR_REL * abs(g), NEAR_ABS_INTEGER) if g.denominator == 1 else NEAR_REL * max(abs(g), 1)
    return abs(p - g) <= tol


def near_correct_error(row: dict) -> bool:
    """The one near-correct-error predicate (slice, task, report, docs): `row` is a greedy per-problem row
    (`samples_<task>.jsonl`: answer, equiv, verdict); see SLICE_RULE."""
    v = row["verdict"]
    wrong = not float(row.get("equiv") or 0) and not v.get("correct")
    return bool(wrong and (v["arithmetic"] > 0 or v["consistency"] > 0) and answer_close(row["answer"], v.get("pred_answer")))
