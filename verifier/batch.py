"""Verify many solutions on all cores. Each worker owns one MathVerifier; time per item is bounded
by the verifier's own input caps, so no signal-based timeout is needed in worker threads."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

from .config import VerifierConfig
from .core import MathVerifier, Verdict

_KEYS = ("question", "solution", "reference_answer", "reference_solution", "truncated")
_worker: MathVerifier | None = None


def _init(cfg: VerifierConfig) -> None:
    global _worker
    _worker = MathVerifier(cfg)


def _run(chunk: list[dict]) -> list[dict]:
    return [_worker.verify(**{k: it.get(k) for k in _KEYS if it.get(k) is not None}).to_dict() for it in chunk]


def verify_many(cfg: VerifierConfig, items: list[dict], workers: int | None = None) -> list[Verdict]:
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(items) < 200:
        _init(cfg)
        return [Verdict(**d) for d in _run(items)]
    size = max(50, len(items) // (workers * 4))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(cfg,)) as ex:
        return [Verdict(**d) for part in ex.map(_run, chunks) for d in part]


def clear_caches() -> None:
    """Empty every memo the verifier keeps (parsed numbers, normalized text, answers), for cold-cache timings."""
    from .answers import _mv_parse
    from .core import _known_from_text, _question_values
    from .guard import exact_value
    from .safe_eval import parse_number
    from .steps import normalize, numbers_at
    for f in (_known_from_text, _question_values, parse_number, numbers_at, normalize, exact_value, _mv_parse):
        f.cache_clear()
