"""Training stages on real TRL trainers: SFT (SFTTrainer) and DPO (our WeightedDPOTrainer).

Each writes checkpoints under `work/` while it runs, so a killed stage resumes from its last
checkpoint; the finished model is saved as an ordinary HF checkpoint in `out/`.
"""
from __future__ import annotations

from pathlib import Path

from .config import ExperimentConfig, TrainConfig
from .device import resolve_device, set_threads, use_bf16
from .progress import TrainProgress


def _common_args(section: TrainConfig, cfg: ExperimentConfig, work: Path, save_steps: int) -> dict:
    device = resolve_device(cfg.device)
    gc = section.gradient_checkpointing if section.gradient_checkpointing is not None else device == "cuda"
    return dict(
        output_dir=str(work), max_steps=section.max_steps, per_device_train_batch_size=section.batch_size,
        gradient_accumulation_steps=section.grad_accum, learning_rate=section.learning_rate,
        warmup_steps=section.warmup_steps, lr_scheduler_type=section.scheduler, weight_decay=section.weight_decay,
        logging_steps=section.logging_steps, save_strategy="steps", save_steps=save_steps, save_total_limit=1,
        report_to=[], seed=cfg.seed, data_seed=cfg.seed, bf16=use_bf16(device, cfg.model.dtype),
        gradient_checkpointing=gc, use_cpu=device == "cpu", disable_tqdm=True, dataloader_num_workers=0,
        max_length=section.max_length,
    )


def _last_checkpoint(work: Path) -> str | None:
    """The newest checkpoint of a killed run of this stage, announced so the user sees the resumption."""
    from .progress import console
    ckpts = sorted(work.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    if not ckpts:
        return None
    console.log(f"resuming training from {ckpts[-1]}")
    return str(ckpts[-1])


def quiet(trainer):
    """Our rich bar replaces HF's per-log prints (disable_tqdm swaps the bar for a printer)."""
    from transformers.trainer_callback import PrinterCallback
    trainer.remove_callback(PrinterCallback)
    return trainer


def load_policy(path: str, cfg: ExperimentConfig):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    device = resolve_device(cfg.device)
    dtype = torch.bfloat16 if use_bf16(device, cfg.model.dtype) else torch.float32
    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    return model, tok


def train_sft(cfg: ExperimentConfig, rows: list[dict], init_dir: str, out: Path, work: Path,
              overrides: dict | None = None, callbacks: list | None = None) -> list[dict]:
    """SFT on prompt/completion rows; returns the trainer's log history."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    set_threads()
    section = _with_overrides(cfg.sft, overrides)
    model, tok = load_policy(init_dir, cfg)
    args = SFTConfig(**_common_args(section, cfg, work, save_steps=max(50, section.max_steps // 4)),
                     completion_only_loss=True, dataset_num_proc=None)
    bar = TrainProgress("sft", section.max_steps)
    trainer = quiet(SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok,
                               callbacks=[bar, *(callbacks or [])]))
    with bar:
        trainer.train(resume_from_checkpoint=_last_checkpoint(work))
    trainer.save_model(str(out))
    tok.save_pretrained(str(out))
    return trainer.state.log_history


def _with_overrides(section, overrides: dict | None):
    import dataclasses
    if not overrides:
        return section
    names = {f.name for f in dataclasses.fields(section)}
    bad = set(overrides) - names
    if bad:
        from .config import ConfigError
        raise ConfigError(f"recipe overrides {sorted(bad)} are not fields of {type(section).__name__}: {', '.join(sorted(names))}")
    return dataclasses.replace(section, **overrides)
