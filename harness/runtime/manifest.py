"""Run manifest: config, seed, git revision, library versions, host, stage timings."""
from __future__ import annotations

import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

LIBRARIES = ("torch", "transformers", "trl", "datasets", "accelerate", "tokenizers", "lm_eval", "math-verify",
             "numpy", "pandas", "vllm")


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
        "libraries": library_versions(), "config": cfg.to_dict(), "stages": timings,
    }
