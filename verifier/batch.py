"""Verify many solutions on all cores (`verify_many`), and empty the verifier's memos (`clear_caches`).

Depends on core one way only: core never imports this module (its `verify_batch` uses verifier/pool.py).
"""
from __future__ import annotations

from .answers import mv_parse
from .config import VerifierConfig
from .core import MathVerifier, Verdict
from .guard import exact_value
from .known import known_from_text, question_quantities, question_values, spelled_from_text
from .safe_eval import evaluation, parse_number
from .steps import normalize, numbers_at


def verify_many(cfg: VerifierConfig, items: list[dict], workers: int | None = None) -> list[Verdict]:
    return MathVerifier(cfg).verify_batch(items, workers)


def clear_caches() -> None:
    """Empty every memo the verifier keeps (parsed numbers, normalized text, answers), for cold-cache timings."""
    for f in (known_from_text, spelled_from_text, question_values, question_quantities, parse_number, numbers_at, normalize, exact_value, mv_parse,
              evaluation):
        f.cache_clear()
