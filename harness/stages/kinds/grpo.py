"""Online RL: TRL's GRPOTrainer from the SFT checkpoint on the training split's prompts, scored by the recipe's
reward (harness/training/grpo.py, harness/rewards/). Trains recipes of trainer 'grpo'; the meta's log_history holds
the mean reward of every logged step (`reward`, `reward_std`, `rewards/<reward>/mean`), its `cost` the run's tokens
and FLOPs (harness/runtime/cost.py)."""
from __future__ import annotations

from pathlib import Path

from harness.stages.kind import StageKind, register
from harness.stages.kinds.sft import TRAINED_MODEL

OWN = ("max_steps", "prompts_per_step", "num_generations", "learning_rate", "warmup_steps", "scheduler",
       "weight_decay", "loss_type", "beta", "temperature", "top_p", "max_completion_length", "n_problems",
       "gradient_checkpointing", "use_vllm")
"""The `grpo` fields every run's result depends on. prompts_per_step x num_generations is the global batch (whole
groups, whatever the processes); grad_accum only splits it (REPORTING_ONLY), logging_steps and report_to change
nothing; the reward's shaping constants are read only by the rewards that use them (the reward's `reads`)."""


def reads(pipe, node) -> tuple:
    from harness.registry import get_reward
    reward = get_reward(pipe.recipe(node).reward)
    return tuple(f"grpo.{f}" for f in OWN) + ("data.prompt_template",) + TRAINED_MODEL + reward.reads


def produce(ctx, out: Path) -> dict:
    from harness.runtime.cost import model_shape, training_cost
    from harness.training.common import drop_checkpoints
    from harness.training.grpo import train_grpo
    log = train_grpo(ctx.cfg, ctx.split("train"), ctx.model("sft"), out / "model", out / "work",
                     ctx.pipe.recipe(ctx.node))
    drop_checkpoints(out / "work")
    # generated, prompt (prefill), forward-only and trained tokens, one reward call per completion
    return {"log_history": list(log), "cost": ctx.cost(training_cost(model_shape(ctx.model("sft")), log.tokens))}


KIND = register(StageKind(
    name="grpo", produce=produce, trainer="grpo", resumable=True, seed="run", reads=reads,
    upstream=lambda pipe, node: {"sft": node.at("sft"), "data": node.at("data")},
    inputs=lambda pipe, node: {"reward": pipe.recipe(node).reward, "overrides": pipe.recipe(node).overrides},
    label=lambda node: f"train:{node.p('recipe')}",
    code=("harness.training.grpo", "harness.training.common", "harness.rewards", "harness.models.sampling",
          "verifier")))
