"""Which numbers a step may use without deriving them: the question's literals, number words, scales, percents.

Kept apart from core.py so that both the verifier and its cache-clearing helper (verifier/batch.py) can import these
public names without reaching into core's internals.
"""
from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from .safe_eval import Num
from .steps import line_numbers, literal_numbers

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
_SMALL = {w: i for i, w in enumerate(_UNITS)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)} | {"a": 1, "an": 1}
_ORDINAL = {"half": 2, "halve": 2, "third": 3, "quarter": 4, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
            "eighth": 8, "ninth": 9, "tenth": 10, "twelfth": 12}
_NUM_WORD = r"(?:(?:" + "|".join(_TENS) + r")(?:[- ](?:" + "|".join(_UNITS[1:10]) + r"))?|" + "|".join(_UNITS) + r"|an?)"
# 'forty-two', 'three hundred and five', 'two dozen', 'half a dozen', 'three quarters', 'a third'
_COMPOUND = re.compile(r"\b(half an? |" + _NUM_WORD + r" )?(?:(hundred|dozen|thousand)(?: and)?(?: (" + _NUM_WORD
                       + r"))?|(" + "|".join(_ORDINAL) + r")s?)\b|\b(" + _NUM_WORD + r")\b")


_SPELLS = frozenset(_SMALL) - {"a", "an"} | frozenset(_ORDINAL)  # 'a' alone spells nothing: 'a dozen' has 'dozen' | {w + "s" for w in _ORDINAL} | {"hundred", "dozen", "thousand"}


def _word_value(w: str | None) -> int:
    if not w:
        return 1
    w = w.strip()
    if w.startswith("half"):
        return 0  # marks 'half a dozen' (handled by the caller)
    parts = re.split(r"[- ]", w)
    return sum(_SMALL.get(p, 0) for p in parts)


def word_numbers(text: str) -> set[Fraction]:
    """Values that number words and fractions in words spell: 'forty-two' 42, 'two dozen' 24, 'half a dozen' 6,
    'three hundred and five' 305, 'three quarters' 3/4 (and 4), 'a third' 1/3 (and 3)."""
    out: set[Fraction] = set()
    for m in _COMPOUND.finditer(text):
        lead, scale, tail, ordinal, plain = m.groups()
        if plain:
            if plain not in ("a", "an"):
                out.add(Fraction(_word_value(plain)))
            continue
        k = _word_value(lead)
        if scale:
            unit = {"hundred": 100, "dozen": 12, "thousand": 1000}[scale]
            out.add(Fraction(unit, 2) if k == 0 else Fraction(k * unit + (_word_value(tail) if tail else 0)))
            out.add(Fraction(unit))
        elif ordinal:
            den = _ORDINAL[ordinal]
            out.update({Fraction(max(k, 1), den), Fraction(den)})
    return out


@lru_cache(maxsize=4096)
def known_from_text(text: str) -> frozenset[Fraction]:
    """Numbers a step may take from this text: literals, number words, 'N million', 100 +/- a percent."""
    nums = literal_numbers(text)
    known = set(nums)
    lower = text.lower()
    words = _WORD.findall(lower)
    if _SPELLS.intersection(words):  # the compound-word scan only where a number word occurs
        known.update(word_numbers(lower))
    for w in words:
        known.update(_WORD_VALUES.get(w, ()))
    for w, scale in _SCALES.items():
        if w in words:
            known.update(n * scale for n in nums)
    if "%" in text or "percent" in words:
        known.update(100 + n for n in nums)
        known.update(100 - n for n in nums)
    return frozenset(known)


@lru_cache(maxsize=4096)
def spelled_from_text(text: str) -> frozenset[Fraction]:
    """The values only the words of this text supply (no literal): sourced from the start of the step that says
    them ('two dozen eggs, so 24 * 2'), while its literals are sourced only once stated."""
    return known_from_text(text) - frozenset(literal_numbers(text))


@lru_cache(maxsize=1024)
def question_values(question: str) -> tuple[frozenset[Fraction], frozenset[Fraction]]:
    """(the question's literal numbers, those plus what its words supply), each with its percent fractions.
    Cached: a question is verified with many sampled solutions."""
    literal = set(line_numbers(question))
    literal |= {_scaled(k, 1, 100) for k in literal}
    sourced = literal | known_from_text(question)
    sourced |= {_scaled(k, 1, 100) for k in sourced}
    return frozenset(literal), frozenset(sourced)


@lru_cache(maxsize=1024)
def question_quantities(question: str) -> dict[Fraction, frozenset[Fraction]]:
    """The question's quantities (other than 0 and 1: 'one hour', 'the 1st') -> the values whose presence in a
    solution counts as using it: itself, its negative, and it as a percent or a fraction of 100. Cached per question."""
    out = {}
    for n in line_numbers(question):
        q = abs(n)
        if q not in (0, 1) and q not in out:
            out[q] = frozenset(_scaled(q, a, b) for a, b in ((1, 1), (1, 100), (100, 1), (-1, 1), (-1, 100), (-100, 1)))
    return out


def _scaled(q: Fraction, a: int, b: int) -> Num:
    """q * a / b as a Num, without Fraction's slower generic arithmetic (these sets are built for every question)."""
    return Num(q.numerator * a, q.denominator * b)
