"""Token counts of a training run, for its cost (harness/runtime/cost.py): what the trainers run through the model.

A trainer owns a `TokenCounter` (`trainer.token_counter`) and adds the real (unpadded) length of every sequence it runs
(`row_lengths` of the batch); `checkpoint_counts()` is a callback that writes the counts beside each checkpoint, so a
killed and resumed run still reports the whole training (`resume_counts`); `reduce_counts` sums the ranks of a
distributed run. The trainers return them as `TrainLog.tokens` (harness/training/sft.py, dpo.py). `device_label` names
the device a stage ran on, for its cost record.
"""
from __future__ import annotations

from pathlib import Path

from harness.runtime.cost import TokenCounter, add_counts


class TrainLog(list):
    """A trainer's log history (a list, as before), plus `tokens`: {"trained": counts, "reference": counts, ...}
    (harness/runtime/cost.py `training_cost` reads it)."""

    def __init__(self, log, tokens: dict):
        super().__init__(log)
        self.tokens = tokens


def row_lengths(inputs: dict) -> list[int]:
    """The real length of each sequence of a collated batch: its attention mask's row sums; a padding-free batch (one
    row of packed sequences, no mask) by where its position ids restart at 0; else every row whole."""
    mask = inputs.get("attention_mask")
    if mask is not None and mask.dim() == 2:
        return [int(n) for n in mask.sum(dim=1).tolist()]
    pos = inputs.get("position_ids")
    if pos is not None:
        lengths = []
        for row in pos.tolist():
            for p in row:
                if p == 0:
                    lengths.append(0)
                lengths[-1] += 1
        return lengths
    ids = inputs["input_ids"]
    return [int(ids.shape[1])] * int(ids.shape[0])


def _file(rank: int) -> str:
    return TokenCounter.FILE if rank == 0 else f"token_counts.rank{rank}.json"


def checkpoint_counts(counter: TokenCounter):
    """A TrainerCallback that writes `counter` into each checkpoint folder the trainer saves (one file per rank)."""
    from transformers import TrainerCallback
    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

    from harness.runtime.dist import rank

    class CheckpointCounts(TrainerCallback):
        def on_save(self, args, state, control, **kw):
            folder = Path(args.output_dir) / f"{PREFIX_CHECKPOINT_DIR}-{state.global_step}"
            if folder.is_dir():
                (folder / _file(rank())).write_text(__import__("json").dumps(counter.state(), sort_keys=True))
            return control
    return CheckpointCounts()


def resume_counts(counter: TokenCounter, checkpoint: str | None, names: tuple[str, ...]) -> dict:
    """Add the counts of `names` saved in `checkpoint` (this rank's file) to `counter`: the steps the resumed run does
    not run again. Returns everything that checkpoint held ({} for a fresh run)."""
    import json

    from harness.runtime.dist import rank
    if not checkpoint:
        return {}
    path = Path(checkpoint) / _file(rank())
    if not path.is_file():
        return {}
    saved = json.loads(path.read_text())
    for name in names:
        if name in saved:
            counter.counts[name] = add_counts(counter.counts.get(name), saved[name])
    return saved


def reduce_counts(counter: TokenCounter, names: tuple[str, ...], accelerator=None) -> dict[str, dict]:
    """{name: counts} summed over the ranks of a distributed run (every rank calls it with the same names)."""
    out = {n: counter.get(n) for n in names}
    from harness.runtime.dist import is_distributed
    if not is_distributed() or accelerator is None:
        return out
    import torch
    keys = ("sequences", "tokens", "attended")
    t = torch.tensor([[out[n][k] for k in keys] for n in names], dtype=torch.int64, device=accelerator.device)
    t = accelerator.reduce(t, reduction="sum")
    return {n: {k: int(v) for k, v in zip(keys, row)} for n, row in zip(names, t.tolist())}


def device_label(device: str, world_size: int = 1) -> str:
    """What a stage's seconds were measured on, for its cost record (harness/runtime/cost.py `finish`):
    'cpu (2 threads)', 'cuda: NVIDIA H100 80GB HBM3 x1'."""
    import torch
    if device == "cuda" and torch.cuda.is_available():
        return f"cuda: {torch.cuda.get_device_name(0)} x{world_size}"
    if device == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)" + (f" x{world_size}" if world_size > 1 else "")
    return f"{device} x{world_size}" if world_size > 1 else device


def counting_grpo_trainer():
    """TRL's GRPOTrainer that counts what each training generation and step runs (`token_counter`):

    - 'prompt', 'generated': every completion's prompt (prefill) and generated tokens, from the generation batch's
      prompt and completion masks (`_generate_and_score_completions`), so a step of P prompts x G generations counts
      P x G sequences; the reward is called once per completion (`grpo_tokens`' verifier_calls);
    - 'reference': forward-only scoring of prompt + completion: the reference model's log-probs when beta != 0, the
      old policy's when TRL computes them (generation misaligned with the optimizer step, or vLLM's importance
      sampling correction);
    - 'trained': prompt + completion of each micro-batch the loss runs forward and backward (`compute_loss`), once per
      iteration when `num_iterations` > 1.
    Evaluation-mode generations are not counted."""
    from trl import GRPOTrainer

    from harness.runtime.cost import count_generation

    class CountingGRPOTrainer(GRPOTrainer):
        def __init__(self, *args, **kwargs):
            self.token_counter = TokenCounter()
            super().__init__(*args, **kwargs)

        def _generate_and_score_completions(self, inputs):
            out = super()._generate_and_score_completions(inputs)
            if self.model.training:
                p = [int(n) for n in out["prompt_mask"].sum(dim=1).tolist()]
                g = [int(n) for n in out["completion_mask"].sum(dim=1).tolist()]
                gen = count_generation(p, g)
                self.token_counter.add_counted("prompt", gen["prompt"])
                self.token_counter.add_counted("generated", gen["generated"])
                for key in ("old_per_token_logps", "ref_per_token_logps"):
                    if out.get(key) is not None:
                        self.token_counter.add("reference", [a + b for a, b in zip(p, g)])
            return out

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if self.model.training:
                lengths = inputs["prompt_mask"].sum(dim=1) + inputs["completion_mask"].sum(dim=1)
                self.token_counter.add("trained", [int(n) for n in lengths.tolist()])
            return super().compute_loss(model, inputs, return_outputs=return_outputs,
                                        num_items_in_batch=num_items_in_batch)
    return CountingGRPOTrainer


GRPO_COUNTS = ("prompt", "generated", "reference", "trained")


def grpo_tokens(counter: TokenCounter, accelerator=None) -> dict:
    """The `tokens` of a GRPO run (harness/runtime/cost.py `training_cost`): {"prompt", "generated", "reference",
    "trained"} counts summed over ranks, and `verifier_calls`: one reward call per generated completion."""
    c = reduce_counts(counter, GRPO_COUNTS, accelerator)
    return {**c, "verifier_calls": c["generated"]["sequences"]}
