"""A pair set: one builder's rows weighted by one scheme (harness/pairs/weights.py `weigh`)."""
from __future__ import annotations

from pathlib import Path

from harness.stages.kind import StageKind, register
from harness.stages.kinds.rounds import round_label, same_round

WEIGHTS = tuple(f"pairs.{f}" for f in ("alpha", "gamma", "structure_bonus", "clip_min", "clip_max", "logic_bonus",
                                        "slip_factor"))
"""Every weight field: what a scheme not listed in SCHEME_READS is keyed on."""
SCHEME_READS = {
    "uniform": (),
    "verifier": tuple(f"pairs.{f}" for f in ("alpha", "gamma", "structure_bonus", "clip_min", "clip_max")),
    "structural": tuple(f"pairs.{f}" for f in ("alpha", "gamma", "logic_bonus", "slip_factor", "clip_min", "clip_max")),
}
"""The fields each scheme's formula reads (harness/pairs/weights.py), so a uniform pair set, and what trains on it,
keeps its key when a weight setting changes."""


def produce(ctx, out: Path) -> dict:
    from harness.data.loaders import read_jsonl, write_jsonl
    from harness.pairs import weigh
    rows_stage, rows_meta = ctx.up("rows"), ctx.up_meta("rows")
    rows, stats = weigh(read_jsonl(rows_stage.dir / "pairs.jsonl"), rows_meta["stats"], ctx.node.p("scheme"),
                        ctx.cfg.pairs)
    write_jsonl(out / "pairs.jsonl", rows)
    from harness.runtime.cost import empty
    return {"stats": stats, "cost": ctx.cost(empty())}  # arithmetic on saved verdicts: no model, no verifier


KIND = register(StageKind(
    name="pairs", produce=produce, seed="pool", reads=lambda pipe, node: SCHEME_READS.get(node.p("scheme"), WEIGHTS),
    upstream=lambda pipe, node: {"rows": same_round(node, "pairrows", builder=node.p("builder"))},
    inputs=lambda pipe, node: {"scheme": node.p("scheme")},
    label=lambda node: round_label(node, f"pairs:{node.p('builder')}/{node.p('scheme')}"),
    code=("harness.pairs.weights", "harness.pairs.build", "harness.pairs.planted")))
