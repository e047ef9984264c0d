"""Run manifest: config, seed, git revision, library versions, host, launch (world size, backend, launcher), stage
timings."""
from __future__ import annotations

import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

LIBRARIES = ("torch", "transformers", "trl", "datasets", "accelerate", "tokenizers", "lm_eval", "math-verify",
             "numpy", "pandas", "scipy", "statsmodels", "pydantic", "vllm")


def git_revision() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5)
        if rev.returncode:
            return "unknown"
        return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def library_versions() -> dict[str, str | None]:
    out = {}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = None
    return out


def build_manifest(cfg, timings: dict, argv: list[str] | None = None) -> dict:
    import torch
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "argv": argv or sys.argv, "seed": cfg.seed,
        "git_revision": git_revision(), "python": sys.version.split()[0], "platform": platform.platform(),
        "cpu_count": __import__("os").cpu_count(), "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "libraries": library_versions(), "launch": launch_info(), "config": cfg.to_dict(), "stages": timings,
        "precision": precision(cfg), "train_attention": train_attention_of(cfg),
    }


def precision(cfg) -> str:
    """'bf16' or 'fp32': what `model.dtype` resolved to on this machine (harness/runtime/device.py)."""
    from harness.runtime.device import resolve_device, use_bf16
    return "bf16" if use_bf16(resolve_device(cfg.device), cfg.model.dtype) else "fp32"


def train_attention_of(cfg) -> str:
    """The attention kernel trained models run on this machine (`model.train_attention`, harness/runtime/device.py)."""
    from harness.runtime.device import resolve_device, train_attention
    return train_attention(resolve_device(cfg.device), cfg.model.train_attention)


def launcher() -> str:
    """Who started this process, from the variables each launcher exports ('none': a plain `harness` command)."""
    import os
    env = os.environ
    if any(k.startswith("ACCELERATE_") for k in env) and ("RANK" in env or "ACCELERATE_PROCESS_INDEX" in env):
        return "accelerate"
    if "TORCHELASTIC_RUN_ID" in env:
        return "torchrun"
    if "OMPI_COMM_WORLD_RANK" in env or "PMI_RANK" in env:
        return "mpi"
    if "SLURM_PROCID" in env and "SLURM_NTASKS" in env and env.get("SLURM_NTASKS") != "1":
        return "slurm"
    return "none"


def launch_info() -> dict:
    """World size, rank count, backend and launcher of the job that wrote this manifest: whether training ran
    data-parallel. The backend is the live process group's (the trainers create it), else the one a job of this
    size would use."""
    import torch

    from harness.runtime import dist
    world = dist.world_size()
    backend = None
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        backend = str(torch.distributed.get_backend())
        world = torch.distributed.get_world_size()
    elif world > 1:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    return {"world_size": world, "backend": backend, "launcher": launcher(),
            "data_parallel": world > 1}
