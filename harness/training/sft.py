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

def sft_trainer(cfg: ExperimentConfig, section: TrainConfig, model, tok, dataset, work: Path,
                callbacks: list | None = None, device: str | None = None, **arg_overrides):
    """The SFTTrainer every SFT run uses (the stage, the GPU benchmark): args from `section`, then overrides."""
    from trl import SFTConfig, SFTTrainer
    args = {**common_args(section, cfg, work, save_steps=max(50, section.max_steps // 4), device=device), **arg_overrides}
    with tracker_dir(work):
        return quiet(SFTTrainer(model=unwrap_trained_forward(model),
                                args=SFTConfig(**args, completion_only_loss=True, dataset_num_proc=None),
                                train_dataset=dataset, processing_class=tok,
                                callbacks=[*(callbacks or []), skip_final_checkpoint()]))


def train_sft(cfg: ExperimentConfig, rows: list[dict], init_dir: str, out: Path, work: Path,
              overrides: dict | None = None, callbacks: list | None = None) -> list[dict]:
    """SFT on prompt/completion rows; returns the trainer's log history."""
    from datasets import Dataset

    set_threads()
    section = with_overrides(cfg.sft, overrides)
    model, tok = load_policy(init_dir, cfg)
    bar = TrainProgress("sft", section.max_steps)
    trainer = sft_trainer(cfg, section, model, tok, Dataset.from_list(rows), work, [bar, *(callbacks or [])])
    with bar:
        trainer.train(resume_from_checkpoint=last_checkpoint(work))
    save_final(trainer, tok, out)
    log = trainer.state.log_history
    del trainer, model
    release_accelerator_memory()
    return log


