"""Which numbers a step may use without deriving them: the question's literals, number words, scales, percents.

Kept apart from core.py so that both the verifier and its cache-clearing helper (verifier/batch.py) can import these
public names without reaching into core's internals.
"""
from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from .safe_eval import Num
from .steps import line_numbers

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORDS = {"half": [2, Fraction(1, 2)], "twice": [2], "double": [2], "doubled": [2], "triple": [3], "tripled": [3],
          "thrice": [3], "quarter": [4, Fraction(1, 4)], "third": [3, Fraction(1, 3)], "dozen": [12], "dozens": [12],
          "hundred": [100], "thousand": [1000], "week": [7], "hour": [60],
          "minutes": [60], "year": [12, 52, 365], "percent": [100], "%": [100],
          **{w: [i] for i, w in enumerate(_UNITS)}, **{w: [20 + 10 * i] for i, w in enumerate(_TENS)}}
_WORD = re.compile(r"[a-z%]+")
_WORD_VALUES = {w: tuple(Num(v) for v in vs) for w, vs in _WORDS.items()}
_SCALES = {"million": 10 ** 6, "billion": 10 ** 9, "thousand": 1000}


@lru_cache(maxsize=4096)
def known_from_text(text: str) -> frozenset[Fraction]:
    """Numbers a step may take from this text: literals, number words, 'N million', 100 +/- a percent."""
    nums = line_numbers(text)
    known = set(nums)
    words = _WORD.findall(text.lower())
    for w in words:
        known.update(_WORD_VALUES.get(w, ()))
    for w, scale in _SCALES.items():
        if w in words:
            known.update(n * scale for n in nums)
    if "%" in text or "percent" in words:
        known.update(100 + n for n in nums)
        known.update(100 - n for n in nums)
    return frozenset(known)


@lru_cache(maxsize=1024)
def question_values(question: str) -> tuple[frozenset[Fraction], frozenset[Fraction]]:
    """(the question's literal numbers, those plus what its words supply), each with its percent fractions.
    Cached: a question is verified with many sampled solutions."""
    literal = set(line_numbers(question))
    literal |= {k / 100 for k in literal}
    sourced = literal | known_from_text(question)
    sourced |= {k / 100 for k in sourced}
    return frozenset(literal), frozenset(sourced)
