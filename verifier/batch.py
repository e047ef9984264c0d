"""Empty the verifier's memos (`clear_caches`), for cold-cache timings. (Many solutions on all cores:
`MathVerifier.verify_batch`, verifier/pool.py.) No verifier module imports this one."""
from __future__ import annotations

from .answers import mv_parse
from .guard import exact_value
from .known import known_from_text, question_quantities, question_values, spelled_from_text
from .safe_eval import evaluation, parse_number
from .steps import normalize, numbers_at


def clear_caches() -> None:
    """Empty every memo the verifier keeps (parsed numbers, normalized text, answers), for cold-cache timings."""
    for f in (known_from_text, spelled_from_text, question_values, question_quantities, parse_number, numbers_at, normalize, exact_value, mv_parse,
              evaluation):
        f.cache_clear()
