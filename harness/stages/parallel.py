"""`harness compare --jobs N` on a CPU: the stages after SFT run in N worker processes of one thread each, instead of
one process with every core.

Why: the embedded default's matmuls are small (hidden 256, ~2k tokens a batch), so a second thread buys a process
only ~1.5x (3.5 vs 2.3 SFT steps/s on a 2-core machine), while two one-thread processes, sharing caches
and memory, got 1.4x more done than one over the demo's stages after SFT. Once SFT exists, the slice, the pool, each
pair builder's rows, each recipe's training and each evaluation are separate pieces of work whose only order is their
data flow.

What runs where: SFT (one per SFT seed) runs first in this process with every core. Then every later stage is one
task of a `concurrent.futures` process pool (the standard library's, spawn start), submitted as soon as the stages it
reads exist: the slice; the pool, then each pair builder's rows (step resampling included); each recipe's training
once its pair rows exist; each evaluation once its model and the slice exist. Ready tasks go out in that order of
kinds, trainings before evaluations, so the run ends on short evaluations rather than one long training with a core
idle. A task calls the same `Pipeline` method a one-process run calls, so stage keys, per-stage locks and results
are the same code; the caller then walks the recipes once more, reading every stage from the cache, to write the
index, results.json and the manifest exactly as before. CPU only: GPUs scale through `accelerate launch`.
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass

from harness.config import ConfigError, ExperimentConfig
from harness.pairs import NoPairs
from harness.registry import Recipe
from harness.runtime.progress import WORKER_ENV, RecipeClock, console, fmt_seconds
from harness.stages.kind import Node
from harness.stages.pipeline import Pipeline

MAX_AUTO_JOBS = 8  # `--jobs auto` on a many-core box: more one-thread workers than recipes left would sit idle


def resolve_jobs(cfg: ExperimentConfig, spec: str | int) -> int:
    """`--jobs` -> a number of worker processes: 'auto' is one per usable core on a CPU run of one process (the
    embedded default on a laptop), 1 on a GPU or under a distributed launcher; a number is taken as given."""
    from harness.runtime.device import resolve_device
    from harness.runtime.dist import is_distributed
    if str(spec).strip().lower() == "auto":
        if is_distributed() or resolve_device(cfg.device) != "cpu":
            return 1
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        # each worker holds torch, transformers, lm-eval and a model: ~2.5 GB on the embedded default
        memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 16
        return max(1, min(cores, MAX_AUTO_JOBS, int(memory_gb // 3)))
    try:
        jobs = int(spec)
    except ValueError:
        raise ConfigError(f"--jobs {spec!r}: expected a number of worker processes or 'auto', e.g. --jobs 2") from None
    check_jobs(cfg, jobs)
    return jobs


def check_jobs(cfg: ExperimentConfig, jobs: int) -> None:
    """Refuse `--jobs` where it cannot help, with the fix."""
    from harness.runtime.device import resolve_device
    from harness.runtime.dist import is_distributed
    if jobs < 1:
        raise ConfigError(f"--jobs {jobs}: expected a positive number of worker processes, e.g. --jobs 2")
    if jobs == 1:
        return
    if is_distributed():
        raise ConfigError("--jobs runs recipes in worker processes of one machine; under accelerate launch/torchrun "
                          "every rank already trains each recipe: drop --jobs")
    if resolve_device(cfg.device) != "cpu":
        raise ConfigError(f"--jobs {jobs} is for CPU runs (one thread per worker); on GPUs use accelerate launch "
                          "(harness/configs/accelerate/) or drop --jobs")


@dataclass(frozen=True)
class Task:
    """One stage of the graph, run by a worker: its node (harness/stages/kind.py)."""
    node: Node

    @property
    def kind(self) -> str:
        return self.node.kind

    @property
    def label(self) -> str:
        name = self.node.p("recipe") or self.node.p("builder") or ""
        return f"{self.kind}:{name}" if name else self.kind


def _order(kind: str) -> int:
    """Submission order among ready tasks: data work first, then trainings, then evaluations (short ones last)."""
    from harness.stages.kind import get_kind
    return 2 if kind in ("eval", "valeval") else 1 if get_kind(kind).trainer else 0


def plan(cfg: ExperimentConfig, chosen: list[Recipe], seeds: list[int], sft_seeds: bool,
         before: set[str] | None = None) -> tuple[dict[Task, list[Task]], dict[Task, int]]:
    """({task: the tasks it waits for}, {evaluation task: the (seed, recipe) runs it serves}): the upstream closure of
    every (seed, recipe) evaluation read off the declared stage kinds, one task per stage key, so a stage several
    seeds share (the SFT's evaluation, a pool shared through `sampling.seed`) is one task. `before`: the keys of the
    stages run ahead of the workers (data, base model and the SFTs). A kind's `serial` group makes its later members
    wait for the first (recipes on one builder's rows share the reference log-probs, harness/stages/kinds/dpo.py)."""
    from harness.stages.kind import get_kind
    before = before or set()
    pipes: dict[tuple[int, int], Pipeline] = {}
    graph: dict[Task, list[Task]] = {}
    by_key: dict[str, Task] = {}
    runs: dict[Task, int] = {}

    def pipe_of(node: Node) -> Pipeline:
        # a node's upstream is built from the pipeline it belongs to: under --sft-seeds one pipeline per draw, or
        # another draw's nodes would be keyed (and deduplicated) as the first draw's
        seeds_ = (node.seed, node.sft_seed)
        if seeds_ not in pipes:
            pipes[seeds_] = Pipeline(cfg, seed=node.seed, sft_seed=node.sft_seed)
        return pipes[seeds_]

    def visit(node: Node) -> Task | None:
        pipe = pipe_of(node)
        key = pipe.key(node)
        if node.kind in ("data", "base") or key in before:
            return None
        if key not in by_key:
            task = by_key[key] = Task(node)
            deps = [visit(up) for up in get_kind(node.kind).upstream(pipe, node).values()]
            graph[task] = [d for d in dict.fromkeys(deps) if d is not None]
        return by_key[key]

    for seed in seeds:
        run = Pipeline(cfg, seed=seed, sft_seed=seed if sft_seeds else cfg.seed)
        for r in chosen:
            t = visit(run.eval_node(r))
            runs[t] = runs.get(t, 0) + 1
    leads: dict = {}
    for task in list(graph):
        kind = get_kind(task.kind)
        group = kind.serial(pipe_of(task.node), task.node) if kind.serial else None
        lead = leads.setdefault(group, task) if group is not None else task
        if lead != task:
            graph[task].append(lead)
    return graph, runs


def _init_worker() -> None:
    import torch

    from harness.runtime.libraries import quiet_libraries
    torch.set_num_threads(1)
    quiet_libraries()


def _run_task(cfg: ExperimentConfig, task: Task, shared: dict | None = None) -> dict:
    """Run one task through the cache; -> its computed stage timings and seconds, or why it was skipped."""
    pipe = Pipeline(cfg, seed=task.node.seed, sft_seed=task.node.sft_seed, shared=shared)
    t0 = time.time()
    try:
        pipe.run(task.node)
    except NoPairs as e:
        return {"skipped": str(e), "seconds": time.time() - t0}
    return {"timings": {k: v for k, v in pipe.timings.items() if not v["cached"]}, "seconds": time.time() - t0}


@contextlib.contextmanager
def _worker_env(threads: int):
    """The environment the spawned workers inherit: one OpenMP thread each (harness/runtime/device.py set_threads
    honours it), quiet consoles."""
    keys = {"OMP_NUM_THREADS": str(threads), WORKER_ENV: "1", "TQDM_DISABLE": os.environ.get("TQDM_DISABLE", "1")}
    old = {k: os.environ.get(k) for k in keys}
    os.environ.update(keys)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_recipes(cfg: ExperimentConfig, chosen: list[Recipe], seeds: list[int], sft_seeds: bool, jobs: int,
                shared: dict, clock: RecipeClock) -> dict[str, dict]:
    """Every stage after SFT for every (seed, recipe), in `jobs` one-thread processes; -> the workers' computed stage
    timings by label (the caller's manifest keeps them; its own pass then finds those stages cached)."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    sft_first = sorted({*seeds, cfg.seed}) if sft_seeds else [cfg.seed]  # cfg.seed's SFT selects the slice
    before = set()
    for seed in sft_first:  # SFT with every core: nothing else can run before it
        st, _ = Pipeline(cfg, seed=seed, sft_seed=seed, shared=shared).sft()
        before.add(st.key)
    graph, runs = plan(cfg, chosen, seeds, sft_seeds, before)
    waiting = dict(graph)
    done: set[Task] = set()
    failed: set[Task] = set()
    costs: dict[str, list[float]] = {}
    timings: dict[str, dict] = {}
    many = len(seeds) > 1
    console.log(f"[bold]{len(graph)} stages of {clock.total} recipe runs in {jobs} worker processes[/] "
                f"(one thread each) · {clock.line()}")
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker)
    running: dict = {}  # future -> (task, start time)
    submitted = False  # a rerun served from the cache starts no worker and prints no stage lines
    try:
        with _worker_env(1):
            while waiting or running:
                progressed = _skip_failed(waiting, done, failed, clock, len(graph), many, runs)
                ready = sorted((t for t, deps in waiting.items() if all(d in done for d in deps)),
                               key=lambda t: _order(t.kind))
                for t in ready:
                    if len(running) >= jobs:
                        break
                    del waiting[t]
                    cached = _from_cache(cfg, t, shared)  # a rerun: nothing to hand out, no worker started
                    if cached is None:
                        running[pool.submit(_run_task, cfg, t)] = (t, time.time())
                        submitted = True
                    else:
                        (failed if "skipped" in cached else done).add(t)
                        clock.done += runs.get(t, 0)
                        progressed = True
                        if t.kind == "eval" and submitted:  # a stage shared by seeds, read in the middle of a run
                            _announce(t, {**cached, "timings": {}}, clock,
                                      f"{len(done) + len(failed)}/{len(graph)} stages", None, many)
                if progressed or not running:  # what the cache resolved may have made more tasks ready
                    continue
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    t, _ = running.pop(fut)
                    out = fut.result()  # a worker's exception (a ConfigError, a crash) ends the run: see below
                    timings.update(out.get("timings", {}))
                    costs.setdefault(t.kind, []).append(out["seconds"])
                    (failed if "skipped" in out else done).add(t)
                    if t.kind == "pairrows" and "skipped" in out:  # this process's own pass then skips, not rebuilds
                        Pipeline(cfg, seed=t.node.seed, sft_seed=t.node.sft_seed, shared=shared).mark_no_pairs(
                            t.node.p("builder"), NoPairs(out["skipped"]))
                    clock.done += runs.get(t, 0)
                    _announce(t, out, clock, f"{len(done) + len(failed)}/{len(graph)} stages",
                              _eta(waiting, running, costs, jobs), many)
    except BaseException as e:
        # say it now and stop the other workers, rather than wait for their trainings to end first
        console.log(f"[red]stopping the workers: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        if type(e).__name__ == "BrokenProcessPool":
            raise ConfigError("a --jobs worker process died (killed for memory?); rerun with fewer --jobs, or "
                              "without --jobs: finished stages are cached") from None
        raise
    pool.shutdown()
    return timings


def _skip_failed(waiting: dict, done: set, failed: set, clock: RecipeClock, n: int, many: bool, runs: dict) -> bool:
    """Drop the tasks downstream of a builder that found no pairs (the caller's pass records why); -> any dropped."""
    dropped = False
    while stuck := [t for t, deps in waiting.items() if any(d in failed for d in deps)]:
        for t in stuck:
            del waiting[t]
            failed.add(t)
            dropped = True
            if t.kind == "eval":
                clock.done += runs.get(t, 0)
                _announce(t, {"skipped": "its pair builder found no pairs"}, clock,
                          f"{len(done) + len(failed)}/{n} stages", None, many)
    return dropped


def _from_cache(cfg: ExperimentConfig, t: Task, shared: dict) -> dict | None:
    """The task's result when every stage it needs exists (read here, in this process), else None."""
    from harness.runtime.cache import NotCached, cache_only
    with cache_only():
        try:
            return _run_task(cfg, t, shared)
        except NotCached:
            return None


def _eta(waiting: dict, running: dict, costs: dict[str, list[float]], jobs: int) -> float | None:
    """Seconds left: the mean time of each kind of task so far, less what the running ones have already spent, over
    the tasks not finished, shared by the workers (tasks a rerun finds cached count too: an upper bound)."""
    if not costs:
        return None
    overall = sum(map(sum, costs.values())) / sum(map(len, costs.values()))
    mean = {k: sum(v) / len(v) for k, v in costs.items()}
    now = time.time()
    left = sum(mean.get(t.kind, overall) for t in waiting)
    left += sum(max(0.0, mean.get(t.kind, overall) - (now - start)) for t, start in running.values())
    return left / jobs


def _announce(t: Task, out: dict, clock: RecipeClock, count: str, eta: float | None, many_seeds: bool) -> None:
    """One line per stage a worker computed (the line a one-process run prints: label, time, folder), then where
    the run stands: stages done, the recipe counter when an evaluation ends, elapsed time and an ETA."""
    where = [count]
    if t.kind == "eval":
        where.append(f"recipe {clock.done}/{clock.total} {t.node.p('recipe')}"
                     + (f" seed {t.node.seed}" if many_seeds else ""))
    where.append(f"elapsed {fmt_seconds(time.time() - clock.t0)}")
    if eta:
        where.append(f"ETA ~{fmt_seconds(eta)}")
    if "skipped" in out:
        console.log(f"[yellow]{t.label} skipped: {out['skipped']}[/] · {' · '.join(where)}")
        return
    if not out.get("timings"):  # nothing computed: a stage another task or an earlier run made
        console.log(f"[bold cyan]{t.label}[/] cached · " + " · ".join(where))
        return
    for label, v in out["timings"].items():
        console.log(f"[bold cyan]{label}[/] {fmt_seconds(v.get('seconds'))} [dim]{v.get('dir', '')}[/] · "
                    + " · ".join(where))
