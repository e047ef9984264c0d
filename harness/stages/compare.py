"""`harness compare`: train every requested recipe for every seed, evaluate each through lm-eval, report.

    harness compare --recipes all                       # one seed (cfg.seed)
    harness compare --recipes all --seeds 0,1,2         # post-SFT stages per seed, one shared SFT
    harness compare --recipes all --seeds 0,1,2 --sft-seeds   # SFT repeated per seed too
    harness compare --recipes all --jobs auto           # CPU: recipes after SFT in one-thread workers (parallel.py)

Returns results.json's content (rank 0; {} elsewhere); `harness compare` (harness/cli.py) then builds the report
(harness/reporting/). Stages are cached per seed, so adding a seed to a finished run trains only the new seed. results.json
covers every (recipe, seed) evaluated in the run directory (harness/reporting/results.py).
"""
from __future__ import annotations

import time
from pathlib import Path

from harness.config import ExperimentConfig
from harness.runtime.dist import is_main_process
from harness.runtime.manifest import build_manifest
from harness.pairs import NoPairs
from harness.stages.pipeline import Pipeline
from harness.runtime.io import write_json_atomic
from harness.runtime.progress import RecipeClock, console
from harness.registry import resolve


def parse_seeds(spec: str | None, default: int) -> list[int]:
    from harness.config import ConfigError
    if not spec:
        return [default]
    try:
        seeds = [int(s) for s in spec.split(",") if s.strip()]
    except ValueError:
        raise ConfigError(f"--seeds {spec!r}: expected comma-separated integers, e.g. --seeds 0,1,2") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds {spec!r}: expected distinct integers, e.g. --seeds 0,1,2")
    return sorted(seeds, key=lambda s: (s != default, s))  # the primary seed first: it selects the slice


def _context(pipe: Pipeline) -> dict:
    """Pool, pair and slice summaries of the primary seed, for the report."""
    out = {}
    for st, meta in pipe.completed():
        if st.name == "pool" and "pool" not in out and meta.get("summary"):
            out["pool"] = {k: meta[k] for k in ("summary", "sampling")}
        if st.name == "slice":
            import json
            frozen = json.loads((st.dir / "near_miss_ids.json").read_text())
            out["slice"] = {"n_problems": meta["n_problems"], "of": meta["of"], "summary": meta["summary"],
                            **{k: frozen[k] for k in ("version", "slice_hash", "model_hash", "settings_hash")}}
    return out


def compare(cfg: ExperimentConfig, recipes: str, seeds: list[int] | None = None, sft_seeds: bool = False,
            argv: list[str] | None = None, jobs: int | str = 1) -> dict:
    from harness.reporting.results import assemble, record_run, write_results
    t0 = time.time()
    chosen = resolve(recipes)
    seeds = seeds or [cfg.seed]
    shared: dict = {}
    run_dir = Path(cfg.run_dir)
    pairs_stats: dict = {}
    skipped: list[dict] = []
    _refuse_mixing(cfg, chosen, seeds, sft_seeds, shared)  # reads only the run's index: first, and one line alone
    from harness.stages.kinds.eval import benchmark_plan
    benchmark_plan(Pipeline(cfg, shared=shared))  # before any stage: a required benchmark without data stops here
    clock = RecipeClock(len(chosen) * len(seeds))
    from harness.stages.parallel import resolve_jobs, run_recipes
    jobs = resolve_jobs(cfg, jobs)
    worker_timings: dict = {}
    parallel = jobs > 1
    if parallel:  # train and evaluate in worker processes; the loop below then reads every stage from the cache
        worker_timings = run_recipes(cfg, chosen, seeds, sft_seeds, jobs, shared, clock)
    for seed in seeds:
        pipe = Pipeline(cfg, seed=seed, sft_seed=seed if sft_seeds else cfg.seed, shared=shared)
        for r in chosen:
            if not parallel:
                console.rule(f"[bold]recipe {clock.done + 1}/{clock.total} {r.name}[/]{f' · seed {seed}' if len(seeds) > 1 else ''}"
                         f" · {clock.line()}", align="left")
                clock.start()
            n_stages = len(pipe.timings)
            try:
                ev_stage, ev_meta = pipe.evaluate(r)
            except NoPairs as e:  # one recipe without data must not sink the other recipes of a long run
                console.log(f"[yellow]skipping recipe {r.name} (seed {seed}): {e}")
                skipped.append({"recipe": r.name, "seed": seed, "reason": str(e)})
                if not parallel:
                    clock.finish(computed=False)
                continue
            if not parallel:
                clock.finish(computed=any(not v["cached"] for v in list(pipe.timings.values())[n_stages:]))
            model_dir, meta, _ = pipe.train(r)
            extras = {}
            if r.pairs:
                extras["pairs"] = pipe.pairs(r.pairs, r.weights)[1]["stats"]
                if pipe.seed == cfg.seed:
                    pairs_stats[f"{r.pairs}/{r.weights}"] = extras["pairs"]
            extras["upstream"] = upstream_keys(pipe, r)
            extras["cost"] = _costs(pipe, r)
            extras["settings"] = cfg.to_dict()
            if is_main_process():
                record_run(run_dir, r, pipe.seed, pipe.sft_seed,
                           {"model_dir": model_dir, "stage": Path(model_dir).parent.name, "seconds": meta.get("seconds"),
                            "log_history": meta.get("log_history", [])}, ev_stage, ev_meta, extras)
    primary = Pipeline(cfg, shared=shared)
    primary.timings.update(worker_timings)  # the stages the workers computed, which this process found cached
    manifest = build_manifest(cfg, primary.timings, argv)
    manifest.update(wall_seconds=round(time.time() - t0, 1), seeds=seeds, sft_seeds=sft_seeds, jobs=jobs,
                    replicate=replicate_plan(cfg, seeds, sft_seeds))
    context = _context(primary)
    context["skipped"] = skipped
    if pairs_stats:
        context["pairs"] = pairs_stats
    if not is_main_process():
        return {}
    from harness.runtime.cache import run_lock
    with run_lock(run_dir):  # a concurrent run on this run_dir ends under the same lock (harness/reporting/build.py)
        write_json_atomic(run_dir / "manifest.json", manifest)
        results = assemble(run_dir, cfg, manifest, context)
        write_results(run_dir, results)
    return results


def replicate_plan(cfg: ExperimentConfig, seeds: list[int], sft_seeds: bool) -> dict:
    """What one seed of this run varies, stage by stage, by the pipeline's seed rules (Pipeline.seed_of): the data
    split always comes from the config's seed; base model and SFT from the run's seed under --sft-seeds, else the
    config's; the pool and its pairs from `sampling.seed` when set, else the run's seed; training from the run's."""
    pool_fixed = cfg.sampling.seed is not None
    if sft_seeds:
        pool = "per seed (each seed's own SFT" + (f", sampled with the fixed sampling.seed {cfg.sampling.seed})"
                                                  if pool_fixed else " and sampling seed)")
    else:
        pool = f"shared (sampling.seed {cfg.sampling.seed})" if pool_fixed else "per seed"
    summary = ("a seed is a whole pipeline draw" if sft_seeds else
               "a seed varies the training only (order, and online RL's samples)" if pool_fixed else
               f"a seed varies the pool, its pairs and the training; the SFT (seed {cfg.seed}) is shared")
    return {"seeds": seeds, "data": f"shared (seed {cfg.seed})",
            "base_and_sft": "per seed" if sft_seeds else f"shared (seed {cfg.seed})", "pool_and_pairs": pool,
            "training": "per seed", "summary": summary if len(seeds) > 1 else "one seed: nothing is replicated"}


def upstream_keys(pipe: Pipeline, recipe) -> dict:
    """{stage: key} of every stage this evaluated model depends on, read off the graph (keys only: nothing runs), so
    the index can refuse to pair models built on different data, base, SFT, pool or slice (reporting/results.py)."""
    # the model's own lineage first: the evaluation also reaches the slice, selected by the primary draw's SFT, and
    # for a deep lineage (iterated rounds) a breadth-first walk from the evaluation meets that SFT and its base first
    up = {kind: pipe.key(node) for kind, node in pipe.closure(pipe.train_node(recipe)).items()}
    for kind, node in pipe.closure(pipe.eval_node(recipe)).items():
        up.setdefault(kind, pipe.key(node))
    return {**up, "train": pipe.key(pipe.train_node(recipe))}


def _costs(pipe: Pipeline, recipe) -> dict:
    """{stage label: its cost record with its key} of every stage after SFT that this evaluated model needed, the
    evaluation included (harness/reporting/costs.py adds them up: per recipe, and once per key for the run). Stages
    are all finished here: their metas are read from this run's memo or the cache."""
    from harness.runtime.cost import finish
    from harness.stages.kind import get_kind
    out: dict = {}
    todo, seen = [pipe.eval_node(recipe)], set()
    while todo:
        node = todo.pop()
        if node.kind in ("data", "base", "sft") or pipe.is_external(node) or node in seen:
            continue
        seen.add(node)
        st, meta = pipe.run(node)
        record = meta.get("cost")
        out[pipe.label(node)] = None if record is None else \
            {"key": st.key, **finish(record, meta.get("seconds"), record.get("device"))}
        todo.extend(get_kind(node.kind).upstream(pipe, node).values())
    return out


def _refuse_mixing(cfg: ExperimentConfig, chosen, seeds: list[int], sft_seeds: bool, shared: dict) -> None:
    """Before any training: refuse a run whose data, base model or SFT differ from those of the run directory's
    recorded models that this run keeps (recipes not being rerun), naming the differing setting (reporting/results.py
    checks the assembled index again)."""
    from harness.reporting.results import check_compatible, load_entries
    entries = [e for e in load_entries(Path(cfg.run_dir)) if e.get("upstream")] if (Path(cfg.run_dir) / "index").is_dir() else []
    rerun = {r.name for r in chosen}
    for seed in seeds:
        pipe = Pipeline(cfg, seed=seed, sft_seed=seed if sft_seeds else cfg.seed, shared=shared)
        kept = [e for e in entries if (e["seed"], e["sft_seed"]) == (pipe.seed, pipe.sft_seed) and e["recipe"] not in rerun]
        if not kept:
            continue
        planned = {"recipe": f"this run ({', '.join(sorted(rerun))})", "seed": pipe.seed, "sft_seed": pipe.sft_seed,
                   "upstream": {"data": pipe.key(pipe.node("data")), "base": pipe.base_key(), "sft": pipe.sft_key()},
                   "settings": cfg.to_dict()}
        check_compatible([{"runs": [planned]}, {"runs": kept}])
