"""Data parallelism for the stages that only run a model (sampling, step resampling, the slice, evaluation): under a
launch of N processes each rank computes every N-th item and every rank receives all results, in the one-process
order. Results travel through files, as every other exchange between ranks here (harness/runtime/cache.py): no
process group is needed, so it works before, between and after the trainers' own.

How a stage uses it: the stage's kind says `data_parallel=True`; harness/runtime/cache.py then runs the stage's
function on every rank, rank 0 in the stage's `.partial` folder and the others in a scratch folder that is thrown
away, inside `sharding(<folder of this stage's shards>)`. Every call of `all_gather` in that function is one
exchange: the ranks run the same code, so the n-th call of each rank is the same call. Outside `sharding` (one
process, or a stage that is not data-parallel) `all_gather` just computes everything.

Equal to one process, row for row, when an item's result does not depend on which other items share its batch:
greedy decoding on the CPUs tested, and sampling with per-problem seeds (harness/models/decode.py `seeded_choice`).
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Callable, TypeVar

from harness.config import ConfigError
from harness.runtime import dist

T = TypeVar("T")
R = TypeVar("R")
_STATE: dict | None = None  # {"dir": Path, "calls": int} while a data-parallel stage runs


@contextlib.contextmanager
def sharding(folder: Path, check: Callable[[], None] | None = None, timeout: float = 48 * 3600):
    """Within: `all_gather` splits its items over the ranks and exchanges results through files in `folder`;
    `check()` runs while a rank waits for the others' parts (it raises to stop the wait: rank 0 failed or died), and
    a wait longer than `timeout` seconds stops with one line (harness/runtime/cache.py passes HARNESS_WAIT_TIMEOUT)."""
    global _STATE
    old, _STATE = _STATE, {"dir": Path(folder), "calls": 0, "check": check, "timeout": timeout}
    try:
        yield
    finally:
        _STATE = old


def active() -> bool:
    return _STATE is not None and dist.world_size() > 1


def my_part(items: list[T]) -> list[T]:
    """This rank's items: every world_size-th from its rank (a strided split balances lengths that drift along)."""
    return items[dist.rank()::dist.world_size()] if active() else list(items)


class PartsMissing(ConfigError):
    """A rank's part did not arrive within the wait's bound."""


def all_gather(items: list[T], compute: Callable[[list[T]], R]) -> list[R]:
    """[compute(part of rank 0), compute(part of rank 1), ...] on every rank; one process: [compute(items)].
    Each part's result must be JSON-serializable. A rank that has not delivered within the `sharding` timeout
    stops the waiting ranks with one line."""
    if not active():
        return [compute(list(items))]
    from harness.runtime.io import write_json_atomic
    _STATE["calls"] += 1
    call, world, me = _STATE["calls"], dist.world_size(), dist.rank()
    folder = _STATE["dir"]
    folder.mkdir(parents=True, exist_ok=True)
    path = lambda r: folder / f"call{call}.rank{r}.json"  # noqa: E731
    write_json_atomic(path(me), {"job": dist.job_id(), "result": compute(my_part(items))})
    limit = _STATE["timeout"]
    deadline = time.time() + limit
    out: dict[int, R] = {}
    while len(out) < world:
        for r in range(world):
            if r not in out:
                with contextlib.suppress(OSError, ValueError):
                    data = json.loads(path(r).read_text())
                    if data.get("job") == dist.job_id():  # not a file left by an earlier launch
                        out[r] = data["result"]
        if len(out) < world:
            if _STATE["check"] is not None:
                _STATE["check"]()
            if time.time() > deadline:
                missing = sorted(set(range(world)) - set(out))
                raise PartsMissing(f"rank {me}: ranks {missing} delivered no part of {folder.name} (call {call}) "
                                  f"within {limit:.0f}s; see their logs")
            time.sleep(0.2)
    return [out[r] for r in range(world)]


def interleave(parts: list[list[T]]) -> list[T]:
    """The one-process order of items split by `my_part`: part r holds items r, r + N, r + 2N, ..."""
    out: list[T] = []
    for i in range(max((len(p) for p in parts), default=0)):
        out.extend(p[i] for p in parts if i < len(p))
    return out


def scratch(folder: Path) -> Path:
    """A rank's own throw-away folder for what a data-parallel stage writes (rank 0 writes the artifact)."""
    path = Path(folder) / f"rank{dist.rank()}-{os.getpid()}"
    path.mkdir(parents=True, exist_ok=True)
    return path
