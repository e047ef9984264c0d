"""`sft_more`: the SFT checkpoint trained further on reference solutions, at the DPO recipes' budget.

It answers "is a DPO gain just more training?" (the equal-compute control). What it trains on: the training
split's reference solutions again, reshuffled with the run's seed. These are solutions SFT has already seen (SFT
runs over the same split), so `sft_more` is "more of the same data", not new data. It is *not* the near-miss
slice's placebo: it starts from the selecting SFT, so its errors are not independent of the ones that chose the
slice. The placebo is an SFT trained with another seed (`harness compare --sft-seeds`).

Budget: the DPO section's steps, batch size and gradient accumulation, constant learning rate, no warmup.
Learning rate: `sft.learning_rate * LR_SCALE` unless the recipe overrides it; 0.05 is where SFT's cosine
schedule stands at ~93% of training, i.e. "SFT continued a little", large enough to move the model's
greedy answers (the DPO learning rates are far too small for a plain NLL step to change anything).
"""
from __future__ import annotations

import dataclasses
import random

from harness.config import ExperimentConfig, TrainConfig
from harness.data.loaders import sft_rows

LR_SCALE = 0.05


def continuation_section(cfg: ExperimentConfig, overrides: dict | None = None) -> TrainConfig:
    base = {f.name: getattr(cfg.sft, f.name) for f in dataclasses.fields(TrainConfig)}
    base.update(max_steps=cfg.dpo.max_steps, batch_size=cfg.dpo.batch_size, grad_accum=cfg.dpo.grad_accum,
                warmup_steps=0, scheduler="constant", learning_rate=cfg.sft.learning_rate * LR_SCALE,
                logging_steps=cfg.dpo.logging_steps)
    section = TrainConfig(**base)
    if overrides:
        from harness.training.common import with_overrides
        section = with_overrides(section, overrides)
    return section


def continuation_rows(problems: list[dict], cfg: ExperimentConfig) -> list[dict]:
    """Reference solutions of the training split (the ones SFT trained on), in a seed-dependent order; the trainer
    takes what its steps need."""
    rows = sft_rows(problems, cfg.data.prompt_template)
    random.Random(cfg.seed).shuffle(rows)
    return rows


def train_sft_more(cfg: ExperimentConfig, problems: list[dict], sft_dir: str, out, work, section: TrainConfig) -> dict:
    """-> the stage meta: {"log_history", "rows", "tokens"} (`tokens`: harness/training/sft.py `train_sft`'s counts)."""
    from harness.training.sft import train_sft
    rows = continuation_rows(problems, cfg)
    log = train_sft(dataclasses.replace(cfg, sft=section), rows, sft_dir, out, work)
    return {"log_history": log, "rows": len(rows), "tokens": log.tokens}
