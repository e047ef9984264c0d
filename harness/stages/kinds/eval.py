"""Greedy evaluation of one trained model through lm-evaluation-harness (harness/stages/evaluate.py, the tasks in
harness/tasks/): the synthetic test split, the near-miss slice, and the real benchmarks whose data loads. Greedy, so
no seed: a checkpoint shared by several seeds (the SFT) is evaluated once."""
from __future__ import annotations

from pathlib import Path

from harness.stages.kind import StageKind, register
from harness.stages.kinds.pool import RUN_MODEL

READS = ("eval.batch_size", "eval.max_gen_toks", "eval.cache", "data.prompt_template", "data.source", "verifier.*") \
    + RUN_MODEL
"""What every evaluated task reads; the task list, each task's limit and a benchmark's data path are inputs."""
EVAL_READS = READS + ("eval.slice_from_synth",)
"""An evaluation also reads whether it scores the slice from the synthetic rows (the same completions by design;
keyed all the same, since it decides which rows are generated)."""


def benchmark_plan(pipe) -> dict[str, str | None]:
    """harness/data/benchmarks.py `plan_benchmarks`, once per config and process (`harness compare` calls it before
    SFT, so a required benchmark without data has already stopped the run); each skip line is printed once."""
    from harness.data.benchmarks import plan_benchmarks
    from harness.runtime.progress import console, in_worker
    plans = pipe._shared.setdefault("benchmark_plans", {})
    key = (pipe.cfg.eval.gsm8k_path, pipe.cfg.eval.math500_path, tuple(pipe.cfg.eval.tasks),
           tuple(pipe.cfg.eval.optional_tasks), pipe.cfg.data.source)
    if key not in plans:
        plans[key] = plan_benchmarks(pipe.cfg)
        for line in filter(None, plans[key].values()):
            if not in_worker():
                console.log(f"[yellow]{line}")
    return plans[key]


def evaluated_tasks(pipe, recipe) -> list[str]:
    """The tasks this recipe's model is evaluated on: eval.tasks and the optional tasks whose data loads, less the
    synthetic split on real data and, with eval.real_benchmarks_for=sft, the real benchmarks for other recipes."""
    from harness.tasks import task
    cfg = pipe.cfg
    plan = benchmark_plan(pipe)
    tasks = [t for t in dict.fromkeys((*cfg.eval.tasks, *cfg.eval.optional_tasks)) if plan.get(t) is None]
    if cfg.data.source != "synthetic":
        tasks = [t for t in tasks if task(t).data != "synth"]
    if cfg.eval.real_benchmarks_for == "sft" and recipe.trainer != "sft":
        tasks = [t for t in tasks if not task(t).benchmark]
    return tasks


def task_inputs(cfg, tasks: list[str], metadata: dict) -> dict:
    """What the evaluated tasks add to a key: the list, each one's limit, generation budget and code fingerprint,
    and the metadata that scores them, less the paths under the run directory and the data paths of tasks not run."""
    from harness.stages.evaluate import generation_settings
    from harness.tasks import task, task_fingerprint
    used = {f"{task(t).data}_path" for t in tasks}
    portable = {k: v for k, v in metadata.items()
                if k not in ("synth_path", "near_miss_path") and (not k.endswith("_path") or k in used)}
    return {"tasks": tasks, "limits": {t: cfg.eval.task_limits.get(t, cfg.eval.limit) for t in tasks},
            "generation": generation_settings(cfg, tasks), "metadata": portable,
            "tasks_fingerprint": task_fingerprint(tasks)}


def _metadata(pipe, synth: str | None, near: str | None) -> dict:
    from harness.stages.evaluate import task_metadata
    return task_metadata(pipe.cfg, synth, near)


def upstream(pipe, node) -> dict:
    recipe = pipe.recipe(node)
    up = {"model": pipe.train_node(recipe), "data": node.at("data")}
    if "hardneg_near_miss" in evaluated_tasks(pipe, recipe):
        up["slice"] = pipe.primary_node("slice")
    return up


def inputs(pipe, node) -> dict:
    return task_inputs(pipe.cfg, evaluated_tasks(pipe, pipe.recipe(node)), _metadata(pipe, None, None))


def produce(ctx, out: Path) -> dict:
    from harness.data.loaders import read_jsonl
    from harness.data.planted import label_eval_rows
    from harness.runtime.progress import console
    from harness.stages.evaluate import generation_settings, run_lm_eval, subset_task
    pipe, cfg, recipe = ctx.pipe, ctx.cfg, ctx.pipe.recipe(ctx.node)
    tasks = evaluated_tasks(pipe, recipe)
    synth = str(ctx.up("data").dir / "test.jsonl") if cfg.data.source == "synthetic" else None
    near, slice_meta = None, {}
    if "hardneg_near_miss" in tasks:
        slice_stage, slice_meta = ctx.up("slice"), ctx.up_meta("slice")
        near = str(slice_stage.dir / "near_miss.jsonl")
        if slice_meta["n_problems"] == 0:
            console.log("[yellow]near-miss slice is empty (the SFT policy made no hard negatives on test); skipping it")
            tasks.remove("hardneg_near_miss")
    metadata = _metadata(pipe, synth, near)
    whole_synth = (cfg.eval.slice_from_synth and "hardneg_synth" in tasks
                   and cfg.eval.task_limits.get("hardneg_synth", cfg.eval.limit) is None)
    derive = whole_synth and "hardneg_near_miss" in tasks
    # the slice stage already ran the primary SFT greedily on the whole synthetic test split, with these settings
    reuse = (whole_synth and slice_meta.get("source") == "hardneg_synth" and pipe.is_primary
             and recipe.trainer == "sft" and not recipe.overrides)
    run_tasks = [t for t in tasks if not (derive and t == "hardneg_near_miss") and not (reuse and t == "hardneg_synth")]
    scores, throughput = {}, {}
    if run_tasks:
        with console.status(f"lm-eval: {recipe.name} on {', '.join(run_tasks)}"):
            scores, throughput = run_lm_eval(ctx.model("model"), cfg, run_tasks, metadata, out)
    if reuse:
        subset_task(out, "hardneg_synth", "hardneg_synth", None, scores, ctx.up("slice").dir)
        throughput = {**throughput, "hardneg_synth_from": "slice"}
    label_eval_rows(out, ctx.split("test"))  # planted-flaw world: labels on every eval row
    if derive:
        subset_task(out, "hardneg_synth", "hardneg_near_miss", [r["id"] for r in read_jsonl(near)], scores)
    from harness.runtime.cost import generation_cost, model_shape
    cost = generation_cost(model_shape(ctx.model("model")), throughput, throughput.get("verifier_calls", 0))
    return {"scores": scores, "throughput": throughput, "tasks": tasks,
            "generation": generation_settings(cfg, tasks), "cost": ctx.cost(cost)}


KIND = register(StageKind(
    name="eval", produce=produce, data_parallel=True, seed=None, reads=EVAL_READS, upstream=upstream, inputs=inputs,
    label=lambda node: f"eval:{node.p('recipe')}",
    code=("harness.stages.evaluate", "harness.models.decode", "verifier", "harness.data.planted")))
