"""Device and precision choices, made once so every stage agrees."""
from __future__ import annotations


def resolve_device(name: str) -> str:
    import torch
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        from .config import ConfigError
        raise ConfigError("device=cuda but no CUDA device is visible; set device=cpu or device=auto")
    return name


def use_bf16(device: str, dtype: str) -> bool:
    import torch
    if dtype == "float32" or device != "cuda":
        return False
    return dtype == "bfloat16" or torch.cuda.is_bf16_supported()


def set_threads() -> None:
    """CPU training: use every core (torch defaults can under-subscribe in containers)."""
    import os

    import torch
    torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
