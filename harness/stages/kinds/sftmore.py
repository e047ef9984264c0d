"""`sft_more`, the equal-compute control: SFT continued from the SFT checkpoint on the training split's reference
solutions, reshuffled (harness/training/sft_more.py), at the DPO recipes' steps and batch; the recipe's overrides set
its learning rate."""
from __future__ import annotations

from pathlib import Path

from harness.stages.kind import StageKind, register
from harness.stages.kinds.sft import TRAINED_MODEL


def _section(ctx):
    from harness.training.sft_more import continuation_section
    return continuation_section(ctx.cfg, ctx.pipe.recipe(ctx.node).overrides)


def produce(ctx, out: Path) -> dict:
    from harness.training.common import drop_checkpoints
    from harness.training.sft_more import train_sft_more
    from harness.runtime.cost import model_shape, training_cost
    meta = train_sft_more(ctx.cfg, ctx.split("train"), ctx.model("sft"), out / "model", out / "work", _section(ctx))
    drop_checkpoints(out / "work")
    tokens = meta.pop("tokens", {})
    return {**meta, "cost": ctx.cost(training_cost(model_shape(ctx.model("sft")), tokens))}


READS = ("dpo.max_steps", "dpo.global_batch", "sft.learning_rate",
         "sft.weight_decay", "sft.max_length", "sft.gradient_checkpointing", "sft.liger_kernel",
         "data.prompt_template") + TRAINED_MODEL

KIND = register(StageKind(
    name="sftmore", produce=produce, trainer="sft_more", resumable=True, seed="run", reads=READS,
    upstream=lambda pipe, node: {"sft": node.at("sft"), "data": node.at("data")},
    inputs=lambda pipe, node: {"overrides": pipe.recipe(node).overrides},
    label=lambda node: f"train:{node.p('recipe')}",
    code=("harness.training.sft_more", "harness.training.sft", "harness.training.common")))
