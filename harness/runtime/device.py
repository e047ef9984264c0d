"""Device and precision choices, made once so every stage agrees.

The precision rule: a model that is *trained* keeps fp32 parameters, and `bf16=True` in the
trainer arguments turns on bf16 autocast (mixed precision) for its matmuls. A model that is only *run*
(the frozen DPO reference, the sampling and evaluation copies) may be bf16. Why: AdamW on bf16
parameters has no fp32 master copy, and an update smaller than half a bf16 ulp (2^-8 relative: ~4e-3 of
a weight of size 1) rounds back to the old value. At the DPO learning rate 5e-7 every update is that small,
so a bf16 policy does not train at all (tests/test_precision.py shows it).
"""
from __future__ import annotations

import functools


def resolve_device(name: str) -> str:
    """'cpu' or 'cuda'. Under a launch of several processes, 'cuda' is this rank's GPU (its local rank): a stage that
    samples or evaluates its share of the problems runs on its own GPU, as the trainers do."""
    import torch
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        from harness.config import ConfigError
        raise ConfigError("device=cuda but no CUDA device is visible; set device=cpu or device=auto")
    if name == "cuda":
        from harness.runtime import dist
        if dist.is_distributed() and torch.cuda.device_count() > dist.local_rank():
            torch.cuda.set_device(dist.local_rank())
    return name


def use_bf16(device: str, dtype: str) -> bool:
    """Whether bf16 compute is on: bf16 autocast in training, bf16 weights for frozen/inference copies.

    `auto` means bf16 where the hardware computes it natively: a CUDA device that supports it, or a CPU with
    AVX512-BF16/AMX (oneDNN's bf16 matmuls: the embedded default's SFT step is ~1.7x faster than fp32 on the
    developers' 2-core EPYC, benchmarks/results/demo_stages.json). Elsewhere bf16 is emulated and slower, so `auto`
    stays fp32; `bfloat16` forces it, `float32` forbids it. The manifest records the choice (`precision`)."""
    import torch
    if dtype == "float32":
        return False
    if device == "cuda":
        return dtype == "bfloat16" or torch.cuda.is_bf16_supported()
    if device == "cpu":
        return dtype == "bfloat16" or cpu_has_native_bf16()
    return False


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX-BF16 in this CPU's flags (Linux /proc/cpuinfo; False where it cannot be read).
    HARDNEG_CPU_BF16=0/1 overrides the detection (e.g. to reproduce an fp32 run on a bf16-capable machine)."""
    import os
    forced = os.environ.get("HARDNEG_CPU_BF16", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    return _cpuinfo_bf16()


@functools.lru_cache(maxsize=None)
def _cpuinfo_bf16() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return bool(set(line.split(":", 1)[1].split()) & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def param_dtype(device: str, dtype: str, trainable: bool):
    """The dtype to load a model's parameters in: always fp32 when it will be trained (the optimizer's master
    weights; bf16 enters through autocast), bf16 for a frozen or inference-only copy when bf16 is on."""
    import torch
    if trainable:
        return torch.float32
    return torch.bfloat16 if use_bf16(device, dtype) else torch.float32


def release_accelerator_memory() -> None:
    """Hand cached CUDA blocks back after a stage, so the next stage (or a vLLM child process) can use them."""
    import gc

    import torch
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def set_threads() -> None:
    """CPU training: use every core (torch defaults can under-subscribe in containers), unless OMP_NUM_THREADS says
    otherwise: on a shared, oversubscribed machine two spinning OpenMP threads made SmolLM2 generation 16x slower
    than one."""
    import os

    import torch
    if os.environ.get("OMP_NUM_THREADS", "").strip().isdigit():
        torch.set_num_threads(max(1, int(os.environ["OMP_NUM_THREADS"])))
        return
    torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def resolve_precision(cfg):
    """`cfg` with `model.dtype: auto` replaced by what this machine runs (`bfloat16` or `float32`, `use_bf16`) and
    `model.train_attention: auto` by `train_attention`'s choice, so both enter every stage key through the base
    model's: an fp32 run never reads a bf16 run's cached stages, nor an eager-attention run an sdpa one's."""
    import dataclasses
    device = resolve_device(cfg.device)
    changes = {}
    if cfg.model.dtype == "auto":
        changes["dtype"] = "bfloat16" if use_bf16(device, "auto") else "float32"
    if cfg.model.train_attention == "auto":
        changes["train_attention"] = train_attention(device, "auto")
    return dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, **changes)) if changes else cfg


def train_attention(device: str, choice: str) -> str:
    """The attention kernel a trained model runs: `choice`, or for 'auto' 'eager' on a CPU and 'sdpa' elsewhere.

    Why eager on a CPU: PyTorch's SDPA backward there (`_scaled_dot_product_flash_attention_for_cpu_backward`) took
    30% of an SFT step of the embedded default (torch.profiler, 30 steps, bf16 autocast, 2 threads); eager's matmul
    and fp32 softmax do the same sums faster at these lengths (<= 256 tokens). Generation keeps sdpa: its one-token
    decode steps ran 20% slower eager (benchmarks/results/train_attention.json)."""
    if choice != "auto":
        return choice
    return "eager" if device == "cpu" else "sdpa"

