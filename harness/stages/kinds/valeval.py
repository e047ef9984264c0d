"""The sweep's evaluation (harness/stages/sweep.py): one trained model, greedy, on every validation problem of the
synthetic task; never the test split, never the slice."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from harness.stages.kind import StageKind, register
from harness.stages.kinds.eval import READS, task_inputs

TASK = "hardneg_synth"


def _cfg(cfg):
    """The evaluation settings with no limit: the whole validation split."""
    return dataclasses.replace(cfg, eval=dataclasses.replace(cfg.eval, limit=None, task_limits={}))


def inputs(pipe, node) -> dict:
    from harness.stages.evaluate import task_metadata
    cfg = _cfg(pipe.cfg)
    return {"split": "validation", **task_inputs(cfg, [TASK], task_metadata(cfg, None, None))}


def produce(ctx, out: Path) -> dict:
    from harness.stages.evaluate import run_lm_eval, task_metadata
    cfg = _cfg(ctx.cfg)
    metadata = task_metadata(cfg, str(ctx.up("data").dir / "validation.jsonl"), None)
    scores, throughput = run_lm_eval(ctx.model("model"), cfg, [TASK], metadata, out)
    from harness.runtime.cost import generation_cost, model_shape
    cost = generation_cost(model_shape(ctx.model("model")), throughput, throughput.get("verifier_calls", 0))
    return {"scores": scores, "throughput": throughput, "split": "validation", "cost": ctx.cost(cost)}


KIND = register(StageKind(
    name="valeval", produce=produce, data_parallel=True, seed=None, reads=READS, inputs=inputs,
    upstream=lambda pipe, node: {"model": pipe.train_node(pipe.recipe(node)), "data": node.at("data")},
    label=lambda node: f"val:{node.p('recipe')}",
    code=("harness.stages.evaluate", "harness.models.decode", "verifier")))
