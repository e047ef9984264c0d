"""A pair set: one builder's rows weighted by one scheme (harness/stages/pair_sets.py `weigh`, harness/pairs/)."""
from __future__ import annotations

from pathlib import Path

from harness.stages.kind import StageKind, register

WEIGHTS = tuple(f"pairs.{f}" for f in ("alpha", "gamma", "structure_bonus", "clip_min", "clip_max", "logic_bonus",
                                        "slip_factor"))


def produce(ctx, out: Path) -> dict:
    from harness.data.loaders import read_jsonl, write_jsonl
    from harness.stages.pair_sets import weigh
    rows_stage, rows_meta = ctx.pipe.run(ctx.node.at("pairrows", builder=ctx.node.p("builder")))
    rows, stats = weigh(read_jsonl(rows_stage.dir / "pairs.jsonl"), rows_meta["stats"], ctx.node.p("scheme"),
                        ctx.cfg.pairs)
    write_jsonl(out / "pairs.jsonl", rows)
    return {"stats": stats}


KIND = register(StageKind(
    name="pairs", produce=produce, seed="pool", reads=WEIGHTS,
    upstream=lambda pipe, node: {"rows": node.at("pairrows", builder=node.p("builder"))},
    inputs=lambda pipe, node: {"scheme": node.p("scheme")},
    label=lambda node: f"pairs:{node.p('builder')}/{node.p('scheme')}",
    code=("harness.stages.pair_sets", "harness.pairs")))
