"""One pair builder's rows over the pool, before any weight scheme (harness/pairs/): built once however many schemes
use them (step pairs resample a chosen for every flawed step from the SFT policy: the costly part)."""
from __future__ import annotations

from pathlib import Path

from harness.stages.kind import StageKind, register
from harness.stages.kinds.pool import RUN_MODEL, SAMPLING
from harness.stages.kinds.rounds import policy, round_inputs, round_label, same_round

MINING = tuple(f"pairs.{f}" for f in ("max_per_problem", "chosen_max_coverage", "continuation", "step_chosen",
                                       "step_resample_k"))
"""The pairs fields a builder reads; the weight fields (alpha, gamma, ...) are the `pairs` stage's."""


def produce(ctx, out: Path) -> dict:
    from harness.data.loaders import read_jsonl, write_jsonl
    from harness.pairs import build_pairs
    from harness.pairs.step import PolicyContext
    builder = ctx.node.p("builder")
    samples = read_jsonl(ctx.up("pool").dir / "samples.jsonl")
    problems = ctx.split("train")[: ctx.cfg.sampling.n_problems]
    from harness.runtime.cost import combine, generation_cost, model_shape
    policy = PolicyContext.of(ctx.cfg, ctx.model("policy"))
    rows, stats = build_pairs(builder, "uniform", problems, samples, ctx.cfg.pairs, ctx.cfg.data.prompt_template,
                              ctx.cfg.seed, policy)
    write_jsonl(out / "pairs.jsonl", rows)
    shape = model_shape(policy.model_dir)  # mining reads the pool's verdicts; step builders also sample and verify
    cost = combine(*(generation_cost(shape, s, verifier_calls=s["n"]) for s in policy.sampled)) if policy.sampled \
        else generation_cost(shape, {})
    return {"stats": stats, "cost": ctx.cost(cost)}


KIND = register(StageKind(
    name="pairrows", produce=produce, data_parallel=True, seed="pool",
    reads=MINING + SAMPLING + ("verifier.*", "data.prompt_template") + RUN_MODEL,
    upstream=lambda pipe, node: {"pool": same_round(node, "pool"), "policy": policy(node), "data": node.at("data")},
    inputs=lambda pipe, node: {"builder": node.p("builder"), **round_inputs(node)},
    label=lambda node: round_label(node, f"pairs:{node.p('builder')}"),
    code=("harness.pairs", "harness.models.sampling", "harness.models.sampling_child", "harness.models.decode",
          "verifier")))
