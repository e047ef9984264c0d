"""SFT: TRL's SFTTrainer on the training split's reference solutions (harness/training/sft.py), from the base model.
Trains recipes of trainer 'sft'; a recipe's overrides of the `sft` section make their own stage."""
from __future__ import annotations

import json
from pathlib import Path

from harness.stages.kind import StageKind, register

TRAIN_FIELDS = ("max_steps", "global_batch", "learning_rate", "warmup_steps", "scheduler", "weight_decay", "max_length",
                "gradient_checkpointing", "liger_kernel")
"""What a training section's optimizer reads (TrainConfig). The batch enters as the global batch (batch_size x
grad_accum x world size): how it is split over processes and accumulation steps changes memory, not the experiment,
so a 1-GPU and an 8-GPU run of the same global batch share their stages. logging_steps and report_to change nothing."""
TRAINED_MODEL = ("model.dtype", "model.train_attention", "model.train_compile", "launch.device")
"""How a model being trained runs: precision, attention kernel, compilation, device (resolved, never 'auto')."""


def produce(ctx, out: Path) -> dict:
    from transformers import AutoTokenizer

    from harness.data.loaders import sft_rows
    from harness.training.common import drop_checkpoints
    from harness.training.sft import train_sft
    from harness.training.sft_tokens import pretokenize
    base = ctx.path("base")
    rows = sft_rows(ctx.split("train"), ctx.cfg.data.prompt_template)
    rows = pretokenize(rows, AutoTokenizer.from_pretrained(base))  # one batched call, TRL's result
    overrides = json.loads(ctx.node.p("overrides")) if ctx.node.p("overrides") else None
    from harness.runtime.cost import model_shape, training_cost
    log = train_sft(ctx.cfg, rows, base, out / "model", out / "work", overrides)
    drop_checkpoints(out / "work")
    # sized from the model it starts from (same shape): every rank of a launch runs this, only rank 0 saves `out`
    return {"log_history": list(log), "cost": ctx.cost(training_cost(model_shape(base), log.tokens))}


KIND = register(StageKind(
    name="sft", produce=produce, trainer="sft", resumable=True, seed="sft",
    reads=tuple(f"sft.{f}" for f in TRAIN_FIELDS) + ("data.prompt_template",) + TRAINED_MODEL,
    upstream=lambda pipe, node: {"data": node.at("data"), "base": node.at("base")},
    inputs=lambda pipe, node: {"overrides": json.loads(node.p("overrides") or "{}")},
    recipe_params=lambda recipe: {"overrides": recipe.overrides or None},
    label=lambda node: "train:sft",
    code=("harness.training.sft", "harness.training.common", "harness.training.sft_tokens", "harness.data.loaders")))
