"""`harness sweep`: choose recipe settings on the validation split, never on test.

    harness sweep --config configs/tiny-study.yaml --recipes step_w_rpo,rft \
        --grid dpo.learning_rate=1e-6,5e-6 --grid dpo.beta=0.1,1.0 [--seeds 0] [key=value ...]

Every grid point (the cartesian product of the --grid lists; any config key) is a config; each recipe is trained
under it through the ordinary cached stages (harness/pipeline.py) and evaluated greedily on *all* of
`data.n_val` validation problems (`validation.jsonl`, disjoint from train and test by construction:
harness/synthetic.py assigns a problem to one split by its id). The validation evaluation is its own cached stage
(`valeval-<key>`); nothing here builds the near-miss slice or reads the test split. `sft` is always added: every
row is paired with SFT on the same problems and seed (paired bootstrap interval, exact McNemar p).

Writes `<run_dir>/sweep/sweep.{md,json}`: every (recipe, setting) with validation accuracy, the paired difference
to SFT, and the chosen log-ratio against the reference at the end of training (below zero is the displacement
sign, harness/train_signs.py); then the best setting per recipe, the best setting shared by all swept recipes
(highest mean validation accuracy: a config has one dpo section), and a plain sentence when no setting beats SFT on
validation. Put the chosen settings into the study config (a recipe's `overrides`, or the config's dpo section) with
a comment pointing at this table.
"""
from __future__ import annotations

import dataclasses
import itertools
import os
from pathlib import Path

import numpy as np

from .config import ConfigError, load_config
from .registry import get_recipe, resolve

TASK = "hardneg_synth"


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
        section = "sft" if r.trainer in ("sft", "sft_more") else "dpo"
        for key in {k for s in settings for k in s}:
            sec, _, field = key.partition(".")
            if sec == section and field in (r.overrides or {}):
                raise ConfigError(f"--grid {key}: recipe {r.name} sets {field} itself (overrides), so the sweep "
                                  "cannot vary it; drop the recipe or the grid key")


def _label(setting: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in setting.items()) or "(config)"


def val_eval(pipe, recipe) -> tuple[dict, dict]:
    """(train meta, validation eval meta) for one recipe in one pipeline; the eval is a cached stage."""
    from .evaluate import run_lm_eval, task_metadata
    from .pipeline import tasks_fingerprint, verifier_fingerprint
    model_dir, tmeta, train_key = pipe.train(recipe)
    cfg = pipe.cfg
    ecfg = dataclasses.replace(cfg, eval=dataclasses.replace(cfg.eval, limit=None, task_limits={}))
    val_path = str(pipe.data().dir / "validation.jsonl")
    metadata = task_metadata(ecfg, val_path, None)

    def fn(out: Path) -> dict:
        scores, throughput = run_lm_eval(model_dir, ecfg, [TASK], metadata, out)
        return {"scores": scores, "throughput": throughput, "split": "validation"}
    portable = {k: v for k, v in metadata.items() if k != "synth_path"}
    payload = {"model": train_key, "eval": dataclasses.asdict(ecfg.eval), "metadata": portable, "split": "validation",
               "data": pipe.data().key, "tasks_fingerprint": tasks_fingerprint(), "verifier_code": verifier_fingerprint()}
    st, meta = pipe._run(pipe.tag(f"val:{recipe.name}@{train_key}"), "valeval", payload, fn)
    return tmeta, {**meta, "dir": str(st.dir)}


def _correct(eval_dir: str) -> dict[str, float]:
    from .data import read_jsonl
    return {str(r.get("id") or r["doc_id"]): float(r["equiv"] or 0) for r in read_jsonl(Path(eval_dir) / f"samples_{TASK}.jsonl")}


def _chosen_sign(log: list[dict] | None, beta: float) -> dict | None:
    """The displacement sign of harness/train_signs.py, rounded for the table."""
    from .train_signs import chosen_trend
    t = chosen_trend(log, beta)
    return None if t is None else {k: (round(v, 4) if isinstance(v, float) else v) for k, v in t.items()}


def sweep(config: str, overrides: list[str], recipes: str, grid: list[str], seeds: list[int] | None = None) -> dict:
    from .pipeline import Pipeline
    from .stats import mcnemar_exact, paired_difference
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
                             "eval_stage": Path(emeta["dir"]).name, "chosen": _chosen_sign(tmeta.get("log_history"),
                                                                (r.overrides or {}).get("beta", cfg.dpo.beta))})
    table = []
    for r in chosen:
        for setting in ([{}] if r.name == "sft" else settings):  # SFT does not depend on the grid's dpo keys
            mine = [x for x in runs if x["recipe"] == r.name and (r.name == "sft" or x["setting"] == setting)]
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
            table.append({"recipe": r.name, "setting": _label(setting), "grid": setting, "accuracy": round(float(np.mean(a)), 4),
                          "n": len(a), "vs_sft": {k: round(d[k], 4) for k in ("diff", "low", "high")}, "p": m["p"],
                          "chosen": [x["chosen"] for x in by_seed.values()],
                          "eval_stages": sorted({x["eval_stage"] for x in mine})})
    best = {}
    for row in table:
        if row["recipe"] != "sft" and (row["recipe"] not in best or row["accuracy"] > best[row["recipe"]]["accuracy"]):
            best[row["recipe"]] = row
    shared_best = _best_shared(table, settings)
    beats = [r for r in best.values() if r["vs_sft"]["diff"] > 0 and r["vs_sft"]["low"] > 0]
    verdict = ("settings whose validation accuracy beats SFT with a paired interval above 0: "
               + ", ".join(f"{r['recipe']} ({r['setting']})" for r in beats)) if beats else \
        "no recipe setting beats SFT on validation (no paired 95% interval lies above 0)."
    out = {"split": "validation", "n_val": base.data.n_val, "seeds": seeds, "grid": grid, "rows": table,
           "best": {k: {"setting": v["grid"], "accuracy": v["accuracy"], "vs_sft": v["vs_sft"], "p": v["p"]}
                    for k, v in best.items()}, "best_shared": shared_best, "verdict": verdict}
    _write(Path(base.run_dir) / "sweep", out)
    out["table"] = str(Path(base.run_dir) / "sweep" / "sweep.md")
    return out


def _best_shared(table: list[dict], settings: list[dict]) -> dict | None:
    """The one grid setting for every swept recipe: highest validation accuracy averaged over the recipes (a config
    has one `dpo` section; the controls must share the preference recipes' settings)."""
    rows = [r for r in table if r["recipe"] != "sft"]
    if not rows:
        return None
    means = [(float(np.mean([r["accuracy"] for r in rows if r["grid"] == s])), i) for i, s in enumerate(settings)]
    acc, i = max(means)  # ties: the later setting in grid order
    return {"setting": settings[i], "mean_accuracy": round(acc, 4)}


def _write(folder: Path, out: dict) -> None:
    from .cache import write_json_atomic
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
                  "(harness/train_signs.py); below zero = the displacement sign.", "", out["verdict"], ""]
    tmp = folder / f"sweep.md.{os.getpid()}.tmp"
    tmp.write_text("\n".join(lines))
    os.replace(tmp, folder / "sweep.md")
    write_json_atomic(folder / "sweep.json", out)
