"""The data stage: train/validation/test problems from `data.*` (synthetic, MetaMathQA or GSM8K train), split by the
config's seed so every run seed is evaluated on the same problems."""
from __future__ import annotations

from pathlib import Path

from harness.stages.kind import StageKind, register


def produce(ctx, out: Path) -> dict:
    from harness.data.loaders import build_splits, write_jsonl
    splits = build_splits(ctx.cfg.data, ctx.cfg.seed)
    for name, rows in splits.items():
        write_jsonl(out / f"{name}.jsonl", rows)
    return {"counts": {k: len(v) for k, v in splits.items()}}


KIND = register(StageKind(name="data", produce=produce, reads=("data.*",), seed="data",
                          code=("harness.data.loaders", "harness.data.synthetic", "harness.data.planted",
                                "harness.data.metamath_format")))
