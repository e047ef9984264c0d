"""Process identity under `accelerate launch` / `torchrun`, read from the environment.

Why env vars and not torch.distributed: non-training stages (sampling, pairs, slice, eval writing,
reports) must know whether they are rank 0 *before* any process group exists (and a single-process
run never creates one). Both launchers export RANK/WORLD_SIZE/LOCAL_RANK; accelerate also sets
ACCELERATE_* variants on some paths, and MPI/SLURM launchers set their own names.
"""
from __future__ import annotations

import os

_RANK_VARS = ("RANK", "ACCELERATE_PROCESS_INDEX", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "SLURM_PROCID")
_WORLD_VARS = ("WORLD_SIZE", "ACCELERATE_NUM_PROCESSES", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE")
_LOCAL_VARS = ("LOCAL_RANK", "ACCELERATE_LOCAL_PROCESS_INDEX", "OMPI_COMM_WORLD_LOCAL_RANK")


def _first_int(names: tuple[str, ...], default: int) -> int:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            try:
                return int(value)
            except ValueError:
                continue  # a malformed variable from some other tool must not crash a run
    return default


def rank() -> int:
    """Global rank of this process (0 when not launched distributed)."""
    return _first_int(_RANK_VARS, 0)


def local_rank() -> int:
    """Rank within this node (picks the CUDA device)."""
    return _first_int(_LOCAL_VARS, 0)


def world_size() -> int:
    """Number of processes in the job (1 when not launched distributed)."""
    return max(1, _first_int(_WORLD_VARS, 1))


def is_main_process() -> bool:
    return rank() == 0


def is_distributed() -> bool:
    return world_size() > 1


def job_id() -> str:
    """What the processes of one launch share and another launch (almost surely) does not: the rendezvous
    address and the elastic run id. Empty components stay empty; a single process gets its own pid."""
    if not is_distributed():
        return f"pid:{os.getpid()}"
    parts = (os.environ.get(k, "") for k in ("MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RUN_ID"))
    return "/".join(parts)


def resolve_global_batch(cfg):
    """`cfg` with each training section's grad_accum derived from its global_batch and this launch's processes
    (harness/config.py `TrainConfig.derive_accumulation`): a ConfigError line where they do not divide. The config
    cannot know the launch (it sits below this layer), so whatever runs stages calls this: the CLI before any stage,
    the pipeline, a benchmark. Idempotent."""
    for name in ("sft", "dpo"):
        getattr(cfg, name).derive_accumulation(name, world_size())
    return cfg
