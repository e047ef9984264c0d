"""Which real-benchmark tasks a config can evaluate, decided once before any stage runs (before SFT).

    from harness.data.benchmarks import plan_benchmarks
    plan = plan_benchmarks(cfg)      # raises DataError (one line, exit 2) for a required task without data
    # -> {"hardneg_gsm8k_cot": None, "hardneg_math500": "skipping hardneg_math500: MATH-500: cannot reach ...; set ..."}
    run = [t for t in (*cfg.eval.tasks, *cfg.eval.optional_tasks) if plan.get(t) is None]   # None: its data loads

A task in `eval.tasks` is required: without its data the run must not start. A task only in `eval.optional_tasks`
is skipped, and its value in the plan is the one line to print (it names the setting to set). Tasks that read no
external data (the synthetic ones) are not in the plan. The near-miss slice of a run on real training data is drawn
from GSM8K test, so `hardneg_near_miss` needs GSM8K then.

Cheap on purpose: a local copy is checked by the files existing (the evaluation parses them once, later); the hub
by resolving the dataset's builder (metadata, or the local `datasets` cache when offline), not by loading rows.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from harness.config import DATA_DIR_ENV, ExperimentConfig
from harness.runtime.io import DataError

REAL_BENCHMARKS = ("hardneg_gsm8k_cot", "hardneg_math500")
"""The lm-eval tasks that read a real benchmark (hub or local copy)."""

# task -> (what, hub dataset, hub config, config key, file expected under a local folder, its HARDNEG_DATA_DIR path)
_GSM8K = ("GSM8K", "openai/gsm8k", "main", "eval.gsm8k_path", "test.jsonl", "gsm8k/test.jsonl")
_MATH500 = ("MATH-500", "HuggingFaceH4/MATH-500", None, "eval.math500_path", None, "math/math500_test.jsonl")


def _source(task: str, cfg: ExperimentConfig) -> tuple[tuple, str | None] | None:
    """(the data a task reads, its configured local path), or None for a task that reads no external data."""
    if task == "hardneg_gsm8k_cot" or (task == "hardneg_near_miss" and cfg.data.source != "synthetic"):
        return _GSM8K, cfg.eval.gsm8k_path
    if task == "hardneg_math500":
        return _MATH500, cfg.eval.math500_path
    return None


def _local_problem(path: str, inner: str | None) -> str | None:
    """None if the local copy is there (a folder holding `inner`, or a file), else what is wrong with it."""
    p = Path(path)
    if p.is_dir() and inner:
        return None if (p / inner).is_file() else f"'{p}' holds no {inner}"
    return None if p.is_file() else f"'{p}' not found"


@lru_cache(maxsize=None)
def _hub_problem(name: str, config: str | None) -> str | None:
    """None if the hub (or, offline, the local `datasets` cache) resolves the dataset, else why not; once a process."""
    try:
        from datasets import load_dataset_builder
        load_dataset_builder(name, config)
    except Exception as e:  # offline, no network, missing dataset, auth: all end the same way for the user
        return f"cannot reach '{name}' on the Hugging Face hub ({type(e).__name__})"
    return None


def data_problem(task: str, cfg: ExperimentConfig) -> str | None:
    """None if `task`'s data loads under `cfg` (or it needs none), else one line: what is missing, what to set."""
    src = _source(task, cfg)
    if src is None:
        return None
    (what, hub, hub_config, key, inner, rel), path = src
    if path:
        problem = _local_problem(path, inner)
        hint = f"set {key} to a local {'folder with ' + inner if inner else 'jsonl file'}"
    else:
        problem = _hub_problem(hub, hub_config)
        hint = f"set {key} to a local copy, or {DATA_DIR_ENV} to a folder with {rel}"
    return None if problem is None else f"{what}: {problem}; {hint}"


def plan_benchmarks(cfg: ExperimentConfig) -> dict[str, str | None]:
    """Each task of `eval.tasks` and `eval.optional_tasks` that reads external data -> None when its data loads,
    else the one line saying what is missing and which setting to set. A required task (in `eval.tasks`) without
    its data raises DataError with that line instead: call this before any stage runs."""
    plan: dict[str, str | None] = {}
    for task in dict.fromkeys((*cfg.eval.tasks, *cfg.eval.optional_tasks)):
        if _source(task, cfg) is None:
            continue
        problem = data_problem(task, cfg)
        if problem and task in cfg.eval.tasks:
            raise DataError(f"{task} (eval.tasks) cannot run: {problem}; or move it to eval.optional_tasks to skip it")
        plan[task] = problem and f"skipping {task}: {problem}"
    return plan
