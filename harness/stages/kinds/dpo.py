"""Weighted DPO (harness/training/dpo.py: our WeightedDPOTrainer, a TRL DPOTrainer subclass) from the SFT checkpoint
on one pair set. Trains recipes of trainer 'dpo': plain/weighted DPO, RPO (loss sigmoid + sft) and `rft` (the NLL on
the chosen alone, loss sft)."""
from __future__ import annotations

from pathlib import Path

from harness.stages.kind import StageKind, register
from harness.stages.kinds.rounds import policy, round_inputs, round_label, same_round
from harness.stages.kinds.sft import TRAIN_FIELDS, TRAINED_MODEL


def reads(pipe, node) -> tuple:
    """beta shapes every preference loss; rpo_alpha weights the NLL term (loss 'sft'): each is read only where the
    recipe's loss uses it, so a beta sweep reuses `rft`'s training."""
    loss = pipe.recipe(node).loss_type
    own = [*TRAIN_FIELDS, "precompute_ref_log_probs"]
    if any(t != "sft" for t in loss):
        own.append("beta")
    if "sft" in loss:
        own.append("rpo_alpha")
    return tuple(f"dpo.{f}" for f in own) + TRAINED_MODEL


def upstream(pipe, node) -> dict:
    """The policy it starts from (and keeps as its reference): the SFT, or in round r the recipe's round r-1."""
    r = pipe.recipe(node)
    return {"policy": policy(node), "pairs": same_round(node, "pairs", builder=r.pairs, scheme=r.weights)}


def serial(pipe, node):
    """Recipes on one builder's rows share the reference log-probs, cached by content (harness/training/dpo.py):
    under `--jobs` the first computes them and the others wait for it rather than compute them at once."""
    r = pipe.recipe(node)
    return ("ref", pipe.key(same_round(node, "pairrows", builder=r.pairs))) if "sigmoid" in r.loss_type else None


def produce(ctx, out: Path) -> dict:
    from harness.data.loaders import read_jsonl
    from harness.training.common import drop_checkpoints
    from harness.training.dpo import train_dpo
    rows = read_jsonl(ctx.up("pairs").dir / "pairs.jsonl")
    from harness.runtime.cost import model_shape, training_cost
    log = train_dpo(ctx.cfg, rows, ctx.model("policy"), out / "model", out / "work", ctx.pipe.recipe(ctx.node),
                    ref_cache=ctx.pipe.run_dir / "cache" / "ref_logps")
    drop_checkpoints(out / "work")
    return {"log_history": list(log), "cost": ctx.cost(training_cost(model_shape(ctx.model("policy")), log.tokens))}


KIND = register(StageKind(
    name="dpo", produce=produce, trainer="dpo", resumable=True, seed="run", reads=reads, upstream=upstream,
    inputs=lambda pipe, node: {"overrides": pipe.recipe(node).overrides, "loss_type": list(pipe.recipe(node).loss_type),
                               **round_inputs(node)},
    recipe_params=lambda recipe: {"recipe": recipe.name, "round": recipe.rounds if recipe.rounds > 1 else None},
    serial=serial, label=lambda node: round_label(node, f"train:{node.p('recipe')}"),
    code=("harness.training.dpo", "harness.training.common")))
