"""The pool: k samples per training problem from the policy (the SFT; in round r of an iterated recipe, round r-1's
training: kinds/rounds.py) through harness/models/sampling.py, each with its MathVerifier verdict and, in the planted
world, its ground-truth labels."""
from __future__ import annotations

from pathlib import Path

from harness.stages.kind import StageKind, register
from harness.stages.kinds.rounds import ROUND_SEED_STRIDE, policy, round_inputs, round_label, round_of

SAMPLING = tuple(f"sampling.{f}" for f in ("backend", "n_problems", "k", "temperature", "top_p", "max_new_tokens",
                                            "batch_size", "cache", "tensor_parallel_size", "gpu_memory_utilization",
                                            "include_greedy"))
"""Everything that shapes a sample (batching too: padding changes the rounding); sampling.seed enters as the seed."""
RUN_MODEL = ("model.dtype", "launch.device")
"""How a model that is only run (sampled, evaluated) computes."""


def sample_and_verify(ctx, out: Path, problems: list[dict], seed: int, include_greedy: bool = False):
    from verifier import MathVerifier

    from harness.data.loaders import write_jsonl
    from harness.data.planted import label_records
    from harness.models.sampling import sample
    from harness.runtime.device import use_bf16
    from harness.runtime.progress import console
    device = ctx.pipe.launch["device"]
    recs, stats = sample(ctx.model("policy"), problems, ctx.cfg.data.prompt_template, ctx.cfg.sampling, seed, device,
                         use_bf16(device, ctx.cfg.model.dtype), include_greedy=include_greedy)
    by_id = {p["id"]: p for p in problems}
    items = [{"question": by_id[r["problem_id"]]["question"], "solution": r["solution"],
              "reference_answer": by_id[r["problem_id"]]["answer"],
              "reference_solution": by_id[r["problem_id"]]["solution"], "truncated": r["truncated"]} for r in recs]
    with console.status(f"verifying {len(items)} samples"):
        verdicts = MathVerifier(ctx.cfg.verifier).verify_batch(items)
    for r, v in zip(recs, verdicts):
        r["verdict"] = v.to_dict()
    # planted-flaw world: ground truth on every sample
    label_records(recs, by_id, "problem_id", lambda r: r["verdict"]["pred_answer"], lambda r: r["solution"])
    write_jsonl(out / "samples.jsonl", recs)
    return recs, stats


def produce(ctx, out: Path) -> dict:
    from harness.pairs import pool_summary
    from harness.pairs.pool import pool_table
    from harness.runtime.progress import console
    problems = ctx.split("train")[: ctx.cfg.sampling.n_problems]
    seed = ctx.cfg.seed + ROUND_SEED_STRIDE * (round_of(ctx.node) - 1)
    recs, stats = sample_and_verify(ctx, out, problems, seed, ctx.cfg.sampling.include_greedy)
    from harness.runtime.cost import generation_cost, model_shape
    summary = pool_summary(recs, len(problems))
    console.print(pool_table(summary, stats))
    return {"sampling": stats, "summary": summary,
            "cost": ctx.cost(generation_cost(model_shape(ctx.model("policy")), stats, verifier_calls=len(recs)))}


KIND = register(StageKind(
    name="pool", produce=produce, data_parallel=True, seed="pool",
    reads=SAMPLING + ("verifier.*", "data.prompt_template") + RUN_MODEL,
    upstream=lambda pipe, node: {"policy": policy(node), "data": node.at("data")},
    inputs=lambda pipe, node: round_inputs(node), label=lambda node: round_label(node, "pool"),
    code=("harness.models.sampling", "harness.models.sampling_child", "harness.models.decode", "verifier",
          "harness.data.planted", "harness.pairs.pool")))
