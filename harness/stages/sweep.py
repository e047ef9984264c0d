"""`harness sweep`: choose recipe settings on the validation split, never on test.

    harness sweep --config tiny-study --recipes step_w_rpo,rft \
        --grid dpo.learning_rate=1e-6,5e-6 --grid dpo.beta=0.1,1.0 [--seeds 0] [key=value ...]

Every grid point (the cartesian product of the --grid lists; any config key) is a config; each recipe is trained
under it through the ordinary cached stages (harness/stages/pipeline.py) and evaluated greedily on *all* of
`data.n_val` validation problems (`validation.jsonl`, disjoint from train and test by construction:
harness/data/synthetic.py assigns a problem to one split by its id). The validation evaluation is its own cached stage
(`valeval-<key>`); nothing here builds the near-miss slice or reads the test split. `sft` is always added: every
row is paired with SFT on the same problems and seed (paired bootstrap interval, exact McNemar p).

Writes `<run_dir>/sweep/sweep.{md,json}`: every (recipe, setting) with validation accuracy, the paired difference
to SFT, and the chosen log-ratio against the reference at the end of training (below zero is the displacement
sign, harness/reporting/signs.py); then the best setting per recipe, the best setting shared by all swept recipes
(highest mean validation accuracy: a config has one dpo section), and a plain sentence when no setting beats SFT on
validation. Put the chosen settings into the study config (a recipe's `overrides`, or the config's dpo section) with
a comment pointing at this table.
"""
from __future__ import annotations

import itertools
from pathlib import Path

from harness.config import ConfigError, load_config
from harness.registry import get_recipe, resolve



def parse_grid(specs: list[str]) -> list[dict]:
    """['dpo.beta=0.1,1.0', 'dpo.learning_rate=1e-6'] -> the cartesian product as override dicts (raw strings)."""
    axes = []
    for spec in specs or []:
        key, sep, values = spec.partition("=")
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not key.strip() or not vals:
            raise ConfigError(f"--grid {spec!r}: expected key=v1,v2,..., e.g. --grid dpo.learning_rate=1e-6,5e-6")
        axes.append([(key.strip(), v) for v in vals])
    keys = [a[0][0] for a in axes]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"--grid: a key appears twice ({', '.join(keys)})")
    return [dict(combo) for combo in itertools.product(*axes)] if axes else [{}]


def _check_shadowing(recipes, settings: list[dict]) -> None:
    """A recipe's own override of a swept field would silently win over the grid: refuse instead."""
    for r in recipes:
        from harness.registry import TRAINERS
        section = TRAINERS[r.trainer].section
        for key in {k for s in settings for k in s}:
            sec, _, field = key.partition(".")
            if sec == section and field in (r.overrides or {}):
                raise ConfigError(f"--grid {key}: recipe {r.name} sets {field} itself (overrides), so the sweep "
                                  "cannot vary it; drop the recipe or the grid key")


def val_eval(pipe, recipe) -> tuple[dict, dict]:
    """(train meta, validation eval meta) for one recipe in one pipeline; the eval is a cached stage
    (harness/stages/kinds/valeval.py)."""
    _, tmeta, _ = pipe.train(recipe)
    st, meta = pipe.run(pipe.node("valeval", recipe=recipe.name))
    return tmeta, {**meta, "dir": str(st.dir)}


def sweep(config: str, overrides: list[str], recipes: str, grid: list[str], seeds: list[int] | None = None) -> dict:
    """Train and evaluate every (recipe, setting, seed) on validation; -> the runs, for harness/reporting/sweep.py."""
    from harness.stages.pipeline import Pipeline
    base = load_config(config, overrides)
    if base.data.n_val <= 0:
        raise ConfigError("data.n_val=0: the sweep evaluates on the validation split; set data.n_val > 0")
    chosen = [get_recipe("sft")] + [r for r in resolve(recipes) if r.name != "sft"]
    settings = parse_grid(grid)
    _check_shadowing(chosen, settings)
    # every grid point must load before any training starts: a bad value fails in one line, nothing half-written
    cfgs = [load_config(config, [*overrides, *(f"{k}={v}" for k, v in s.items())]) for s in settings]
    if len({c.run_dir for c in cfgs}) != 1:
        raise ConfigError("--grid: run_dir cannot be swept")
    seeds = seeds or [base.seed]
    shared: dict = {}
    runs = []
    for setting, cfg in zip(settings, cfgs):
        for seed in seeds:
            pipe = Pipeline(cfg, seed=seed, shared=shared)
            for r in chosen:
                tmeta, emeta = val_eval(pipe, r)
                runs.append({"recipe": r.name, "setting": setting, "seed": seed, "eval_dir": emeta["dir"],
                             "eval_stage": Path(emeta["dir"]).name, "log_history": tmeta.get("log_history"),
                             "beta": (r.overrides or {}).get("beta", cfg.dpo.beta)})
    return {"split": "validation", "n_val": base.data.n_val, "seeds": seeds, "grid": grid, "settings": settings,
            "recipes": [r.name for r in chosen], "runs": runs, "run_dir": base.run_dir}
