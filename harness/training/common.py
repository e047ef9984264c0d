"""What the SFT and DPO trainers share: TrainingArguments from a config section, checkpoint discovery (a killed
stage resumes), tracker folders, quiet trainers, loading a policy and saving the final model, recipe overrides."""
from __future__ import annotations

import contextlib
import importlib.util
import os
from pathlib import Path

from harness.config import ConfigError, ExperimentConfig, TrainConfig
from harness.runtime.device import param_dtype, resolve_device, train_attention, use_bf16

_TRACKER_PACKAGES = {"tensorboard": ("tensorboard", "tensorboardX"), "wandb": ("wandb",)}


def report_to(section: TrainConfig, label: str) -> list[str]:
    """The trainer's `report_to` list; a tracker whose package is missing is a config error, not a traceback
    from deep inside Trainer.__init__."""
    name = section.report_to
    if name == "none":
        return []
    if not any(importlib.util.find_spec(p) for p in _TRACKER_PACKAGES[name]):
        raise ConfigError(f"{label}.report_to={name}: the {name} package is not installed; "
                          f"pip install {_TRACKER_PACKAGES[name][-1]} or set {label}.report_to=none")
    return [name]


def common_args(section: TrainConfig, cfg: ExperimentConfig, work: Path, save_steps: int,
                 device: str | None = None, label: str = "sft") -> dict:
    device = device or resolve_device(cfg.device)
    gc = section.gradient_checkpointing if section.gradient_checkpointing is not None else device == "cuda"
    if section.liger_kernel and importlib.util.find_spec("liger_kernel") is None:
        raise ConfigError(f"{label}.liger_kernel=true: liger-kernel is not installed; pip install liger-kernel (GPU) "
                          f"or set {label}.liger_kernel=false")
    return dict(
        output_dir=str(work), max_steps=section.max_steps, per_device_train_batch_size=section.batch_size,
        gradient_accumulation_steps=section.grad_accum, learning_rate=section.learning_rate,
        warmup_steps=section.warmup_steps, lr_scheduler_type=section.scheduler, weight_decay=section.weight_decay,
        logging_steps=section.logging_steps, save_strategy="steps", save_steps=save_steps, save_total_limit=1,
        report_to=report_to(section, label), run_name=f"{cfg.name}/{label}", seed=cfg.seed, data_seed=cfg.seed,
        bf16=use_bf16(device, cfg.model.dtype), gradient_checkpointing=gc, use_cpu=device == "cpu",
        disable_tqdm=True, dataloader_num_workers=0, max_length=section.max_length,
        use_liger_kernel=section.liger_kernel,
    )


@contextlib.contextmanager
def tracker_dir(work: Path):
    """TensorBoard logs go beside `work/` (which is deleted once the stage finishes), into the stage directory.
    transformers 5 has no `logging_dir` argument: its TensorBoard callback reads this variable when built."""
    old = os.environ.get("TENSORBOARD_LOGGING_DIR")
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(Path(work).parent / "tensorboard")
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TENSORBOARD_LOGGING_DIR", None)
        else:
            os.environ["TENSORBOARD_LOGGING_DIR"] = old


def skip_final_checkpoint():
    """A callback: no resumption checkpoint at the last step. transformers saves one there, but the stage writes
    its final model right after and deletes work/; at 1.5B that checkpoint is 18.5 GB (fp32 weights + AdamW
    states) written for nothing."""
    from transformers import TrainerCallback

    class SkipFinalCheckpoint(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step >= state.max_steps:
                control.should_save = False
            return control
    return SkipFinalCheckpoint()


def last_checkpoint(work: Path) -> str | None:
    """The newest checkpoint of a killed run of this stage, announced so the user sees the resumption."""
    from harness.runtime.progress import console
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


def load_policy(path: str, cfg: ExperimentConfig, trainable: bool = True, device: str | None = None):
    """(model, tokenizer) from a checkpoint; fp32 parameters when `trainable`, else bf16 if bf16 is on. A trainable
    model runs `model.train_attention`'s kernel (eager on a CPU: see harness/runtime/device.py); a frozen copy keeps
    the checkpoint's default."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    device = device or resolve_device(cfg.device)
    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    kernel = {"attn_implementation": train_attention(device, cfg.model.train_attention)} if trainable else {}
    model = AutoModelForCausalLM.from_pretrained(path, dtype=param_dtype(device, cfg.model.dtype, trainable), **kernel)
    if not trainable:
        model.eval().requires_grad_(False)
    elif cfg.model.train_compile == "layers":
        compile_layers(model, device)
    return model, tok


def compile_layers(model, device: str) -> None:
    """`model.train_compile: layers`: torch.compile each decoder layer in place (regional compilation: identical
    layers share one compiled graph, so the compile costs one layer's, not the model's; parameter names and the saved
    checkpoint do not change). Dynamic shapes: batches of different lengths reuse the graph."""
    import shutil

    from harness.config import ConfigError
    layers = getattr(getattr(model, "model", None), "layers", None)
    if layers is None:
        raise ConfigError(f"model.train_compile=layers: {type(model).__name__} has no model.layers to compile; "
                          "set model.train_compile=none")
    if device == "cpu" and not any(shutil.which(c) for c in ("g++", "c++", "clang++")):
        raise ConfigError("model.train_compile=layers needs a C++ compiler for torch.compile's CPU kernels (none of "
                          "g++, c++, clang++ is on PATH): install one (apt install g++) or set model.train_compile=none")
    for layer in layers:
        layer.compile(dynamic=True)


def unwrap_trained_forward(model):
    """The model with the forward it had before a Trainer trained it. Training wraps `model.forward` in accelerate's
    bf16-autocast wrapper, keeps the old one as `_original_forward` and marks the model `_is_accelerate_prepared`; a
    second trainer on the same object then patches TRL's fused LM head over that wrapper, and accelerate, seeing the
    mark, does not wrap it again: its whole step ran in fp32 (on an H200: 4,680 against 32,430 tok/s,
    benchmarks/gpu_throughput.py's first run). The stages load a fresh model each time; this keeps any caller that
    hands a model to a second trainer (the benchmark, a notebook) in bf16 (tests/test_precision.py)."""
    if "_original_forward" in model.__dict__:
        from accelerate.utils import extract_model_from_parallel
        model = extract_model_from_parallel(model, keep_fp32_wrapper=False)
    model.__dict__.pop("_is_accelerate_prepared", None)
    return model


def save_final(trainer, tok, out: Path) -> None:
    """Write the trained model (bf16 when trained with bf16: half the disk and load time) and its tokenizer."""
    import torch
    from harness.runtime.dist import is_main_process
    if trainer.args.bf16 and not (trainer.is_deepspeed_enabled or trainer.is_fsdp_enabled):
        # sharded engines gather and write their own 16-bit copy (see harness/configs/accelerate/)
        trainer.model.to(torch.bfloat16)
    trainer.save_model(str(out))
    if is_main_process():  # every rank holds the tokenizer; one writes it
        tok.save_pretrained(str(out))
    # all ranks leave together, once rank 0 has written everything: the stage then deletes work/ on every rank
    trainer.accelerator.wait_for_everyone()


def with_overrides(section, overrides: dict | None):
    import dataclasses
    if not overrides:
        return section
    names = {f.name for f in dataclasses.fields(section)}
    bad = set(overrides) - names
    if bad:
        raise ConfigError(f"recipe overrides {sorted(bad)} are not fields of {type(section).__name__}: {', '.join(sorted(names))}")
    out = dataclasses.replace(section, **overrides)
    if getattr(out, "global_batch", None) and "grad_accum" not in overrides:  # the global batch holds; derive again
        from harness.runtime.dist import world_size
        out.grad_accum = 1
        out.derive_accumulation(f"recipe override of {type(section).__name__}", world_size())
    return out


def shared_dataset(rows: list[dict], work: Path):
    """A datasets.Dataset of `rows` that every rank of a distributed job reads from one folder.

    TRL 1.16's `precompute_ref_log_probs` has the main process write the reference log-probs as a datasets cache file
    beside the training set and the other ranks read it back; an in-memory set (`Dataset.from_list`) puts that file
    in a per-process temporary folder under a random name, so on two ranks rank 1 dies with FileNotFoundError. Here
    rank 0 saves the rows under work/ (atomically) and every rank memory-maps that copy; one process keeps the
    in-memory set."""
    import time

    from datasets import Dataset, load_from_disk

    from harness.runtime import dist
    from harness.runtime.io import atomic_path
    if not dist.is_distributed():
        return Dataset.from_list(rows)
    folder = Path(work) / "train_dataset"
    if dist.is_main_process() and not (folder / "state.json").is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder) as tmp:
            Dataset.from_list(rows).save_to_disk(str(tmp))
    deadline = time.time() + 600  # rank 0 saves a few MB; ten minutes means it died
    while not (folder / "state.json").is_file():
        if time.time() > deadline:
            raise ConfigError(f"{folder}: rank 0 did not write the training set within 600s; see its log")
        time.sleep(0.2)
    return load_from_disk(str(folder))


def drop_checkpoints(work: Path) -> None:
    """Intermediate trainer checkpoints only serve resumption; a finished training stage keeps its final model."""
    import shutil
    if work.exists():
        shutil.rmtree(work, ignore_errors=True)  # every rank of a distributed job deletes it at once
