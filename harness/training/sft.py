"""SFT on TRL's SFTTrainer (DPO: harness/training/dpo.py; shared pieces: harness/training/common.py).

Each writes checkpoints under `work/` while it runs, so a killed stage resumes from its last
checkpoint; the finished model is saved as an ordinary HF checkpoint in `out/`.

Precision (see harness/runtime/device.py): the policy handed to a trainer always has fp32 parameters; with bf16
on, the trainer's `bf16=True` runs the forward/backward under bf16 autocast. The final model is written
in bf16 then (it is only sampled, evaluated or used as the next stage's starting point; resumption
checkpoints in `work/` keep fp32 weights and optimizer state).
"""
from __future__ import annotations

from pathlib import Path

from harness.config import ExperimentConfig, TrainConfig
from harness.runtime.device import release_accelerator_memory, set_threads
from harness.training.progress import TrainProgress
from harness.training.common import (common_args, last_checkpoint, load_policy, quiet, save_final, skip_final_checkpoint,
                                     tracker_dir, unwrap_trained_forward, with_overrides)

def counting_sft_trainer():
    """TRL's SFTTrainer that counts the tokens it trains on (`token_counter`, name 'trained': each training batch's
    sequences at their real length, prompt and completion, as they run forward and backward; padding never counts)."""
    from trl import SFTTrainer

    from harness.runtime.cost import TokenCounter
    from harness.training.counting import row_lengths

    class CountingSFTTrainer(SFTTrainer):
        def __init__(self, *args, **kwargs):
            self.token_counter = TokenCounter()
            super().__init__(*args, **kwargs)

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if self.model.training:
                self.token_counter.add("trained", row_lengths(inputs))
            return super().compute_loss(model, inputs, return_outputs=return_outputs,
                                        num_items_in_batch=num_items_in_batch)
    return CountingSFTTrainer


def sft_trainer(cfg: ExperimentConfig, section: TrainConfig, model, tok, dataset, work: Path,
                callbacks: list | None = None, device: str | None = None, **arg_overrides):
    """The SFTTrainer every SFT run uses (the stage, the GPU benchmark): args from `section`, then overrides; it counts
    its trained tokens (`counting_sft_trainer`)."""
    from trl import SFTConfig
    args = {**common_args(section, cfg, work, save_steps=max(50, section.max_steps // 4), device=device), **arg_overrides}
    with tracker_dir(work):
        return quiet(counting_sft_trainer()(model=unwrap_trained_forward(model),
                                args=SFTConfig(**args, completion_only_loss=True, dataset_num_proc=None),
                                train_dataset=dataset, processing_class=tok,
                                callbacks=[*(callbacks or []), skip_final_checkpoint()]))


def train_sft(cfg: ExperimentConfig, rows: list[dict], init_dir: str, out: Path, work: Path,
              overrides: dict | None = None, callbacks: list | None = None) -> list[dict]:
    """SFT on prompt/completion rows; returns the trainer's log history, a `TrainLog` whose `tokens` are
    {"trained": {"sequences", "tokens", "attended"}} (harness/runtime/cost.py `training_cost`), summed over ranks and,
    for a resumed run, over the steps before its checkpoint."""
    from datasets import Dataset

    from harness.training.counting import TrainLog, checkpoint_counts, reduce_counts, resume_counts
    set_threads()
    section = with_overrides(cfg.sft, overrides)
    model, tok = load_policy(init_dir, cfg)
    bar = TrainProgress("sft", section.max_steps)
    trainer = sft_trainer(cfg, section, model, tok, Dataset.from_list(rows), work, [bar, *(callbacks or [])])
    trainer.add_callback(checkpoint_counts(trainer.token_counter))
    resume = last_checkpoint(work)
    resume_counts(trainer.token_counter, resume, ("trained",))
    with bar:
        trainer.train(resume_from_checkpoint=resume)
    save_final(trainer, tok, out)
    log = TrainLog(trainer.state.log_history, reduce_counts(trainer.token_counter, ("trained",), trainer.accelerator))
    del trainer, model
    release_accelerator_memory()
    return log


