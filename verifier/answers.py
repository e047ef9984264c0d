"""The one answer checker: final-answer extraction and comparison, shared by lm-eval tasks and training.

Numbers and LaTeX arithmetic are compared exactly as rationals (``$1,200.00`` == ``1200``, ``2^{10}`` == ``1024``);
anything else (``\\frac{\\pi}{2}``) goes to math-verify, called without its signal-based timeouts (they fail
outside the main thread) and only on answers that verifier/guard.py deems affordable, so the time stays bounded.
"""
from __future__ import annotations

import logging
import math
import re
from fractions import Fraction
from functools import lru_cache

from .guard import affordable, exact_value
from .safe_eval import EvalError, parse_number

MAX_ANSWER_CHARS = 300
# math-verify warns on every call made without its signal timeouts; we bound input size instead.
logging.getLogger("math_verify").setLevel(logging.ERROR)
_NUM = r"-?\$?\s?\d[\d,]*(?:\.\d+)?%?|-?\.\d+"
_ANSWER_PATTERNS = [
    re.compile(r"The answer is:?\s*(.+?)\s*$", re.I | re.M | re.ASCII),
    re.compile(r"^####\s*(.+?)\s*$", re.M | re.ASCII),
    re.compile(r"The value of (?:the unknown variable )?x is:?\s*(" + _NUM + ")", re.I),
]


def boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} (brace-matched, bounded)."""
    i = text.rfind("\\boxed")
    if i < 0:
        return None
    j = text.find("{", i)
    if j < 0 or j - i > 8:
        return None
    depth, k = 0, j
    while k < len(text) and k - j < MAX_ANSWER_CHARS:
        depth += {"{": 1, "}": -1}.get(text[k], 0)
        if depth == 0:
            return text[j + 1:k]
        k += 1
    return None




def extract_answer(text: str, question: str | None = None) -> str | None:
    """The final answer a solution states, or None.

    Order: 'The answer is: X' (MetaMathQA), '#### X' (GSM8K), \\boxed{X} (MATH), 'the value of x is X',
    else a number of the last sentence that states one (as lm-eval's flexible-extract does, but see `_last_number`).
    """
    if not text:
        return None
    for pat in _ANSWER_PATTERNS[:2]:
        ms = pat.findall(text)
        if ms:
            return _strip(ms[-1])
    b = boxed(text)
    if b is not None:
        return _strip(b)
    ms = _ANSWER_PATTERNS[2].findall(text)
    if ms:
        return _strip(ms[-1])
    return _last_number(text[-5000:], question)


# 'He earns $240 in 4 weeks.': a number after one of these words qualifies another quantity (a time span, a rate)
_QUALIFIER = re.compile(r"\b(?:in|for|after|within|per|every|each|over|by|at|on|from|to|than)\s*\$?\s*$", re.I | re.ASCII)


def _last_number(text: str, question: str | None) -> str | None:
    """The stated quantity of the last sentence holding a number: its last number that no qualifier word
    introduces ('in 4 weeks') and that is not a restated question number, when such a number exists."""
    nums = list(re.finditer(_NUM, text, re.ASCII))
    if not nums:
        return None
    sentences = re.split(r"(?<=[.!?])\s+|\n", text[:nums[-1].end()])
    start = nums[-1].end() - len(sentences[-1]) if sentences else 0
    last = [m for m in nums if m.start() >= start] or nums[-1:]
    given = set(re.findall(r"\d+(?:\.\d+)?", question.replace(",", ""))) if question else set()
    keep = [m for m in last if not _QUALIFIER.search(text[max(0, m.start() - 12):m.start()])]
    keep = [m for m in keep if m.group(0).strip("$%-").replace(",", "") not in given] or keep
    return _strip((keep or last)[-1].group(0))


_PHRASE = re.compile(r"^(?:\s*(?:The answer is:?|####))+\s*", re.I | re.ASCII)


def _strip(s: str) -> str:
    # 'The answer is: \nThe answer is: 7' captures the second phrase: the answer is what follows the last one
    s = _PHRASE.sub("", s.strip()[:MAX_ANSWER_CHARS])
    b = boxed(s)
    if b is not None:
        s = b
    s = s.rstrip(".").strip().strip("$").strip()
    return re.sub(r"^\\(?=\d)", "", s)  # '\\boxed{\\15}': a '\\$' whose dollar sign was lost


_PROSE = re.compile(r"[A-Za-z']+(?:\s+[A-Za-z',.]+){2,}\s*[.!?]?", re.ASCII)


def resolve_reference(reference_answer, reference_solution: str | None):
    """The reference answer to compare with. A 'reference answer' that is a sentence without any number or math
    ("Let's think step by step." — a data-export slip seen in real benchmark files) is no answer: the reference
    solution's own final answer is used instead, when it states one."""
    if reference_answer is None or not reference_solution:
        return reference_answer
    ref = str(reference_answer).strip()
    if ref and not _PROSE.fullmatch(ref):
        return reference_answer
    stated = extract_answer(reference_solution)
    return stated if stated is not None else reference_answer


def to_number(ans: str | None) -> Fraction | None:
    """'$1,200.50' -> Fraction; '50%' -> 50; '3/4' -> 3/4; '\\frac{3}{4}' -> 3/4; else None."""
    if ans is None:
        return None
    s = ans.strip().replace("\\$", "").replace("$", "").replace("\\!", "").replace("{,}", ",").replace(" ", "")
    s = re.sub(r"\\(?:text|mbox)\{[^{}]*\}$", "", s)
    s = s.rstrip("%").rstrip(".")
    m = re.fullmatch(r"\\[dt]?frac\{(-?\d+)\}\{(\d+)\}|(-?\d+)/(\d+)", s)
    if m:
        num, den = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        return Fraction(int(num), int(den)) if int(den) else None
    neg = s.startswith("-")
    try:
        v = parse_number(s[1:] if neg else s)
    except EvalError:
        return _with_unit(s)
    return -v if neg else v


_UNIT_TAIL = re.compile(r"(-?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:/\d+)?)((?:\\text\{)?[A-Za-z][A-Za-z.'/]{0,30}\}?"
                        r"(?:\^\{?[23]\}?)?)", re.ASCII)
_SCALE = {"million": 10 ** 6, "millions": 10 ** 6, "billion": 10 ** 9, "thousand": 1000, "hundred": 100, "dozen": 12}


def _with_unit(s: str) -> Fraction | None:
    """'5hours', '18km^2', '3/4cup', '8th', '2million' (spaces already removed): the number before a unit word,
    scaled by a scale word. A tail with digits or operators ('5hours30minutes', 'x=5') is no unit."""
    m = _UNIT_TAIL.fullmatch(s)
    if not m:
        return None
    v = to_number(m.group(1))
    unit = m.group(2).replace("\\text{", "").rstrip("}").lower()
    return None if v is None else v * _SCALE.get(unit, 1)


@lru_cache(maxsize=1024)
def mv_parse(s: str):
    """math-verify's parse of one answer, memoized: a reference answer is compared with many samples."""
    from math_verify import parse
    return parse("$" + s + "$", parsing_timeout=None)


_warm = False


def warm_up() -> None:
    """Pay math-verify's one-time cost (sympy and its LaTeX grammar load lazily, ~350 ms) once per process, at
    start-up (MathVerifier() calls this), so no row pays it. The memo is emptied after, so cold timings stay cold."""
    global _warm
    if _warm:
        return
    _warm = True
    try:
        for gold, pred in (("\\frac{\\pi}{2}", "\\frac{\\pi}{2}"), ("x^2+1", "1+x^2"), ("\\sqrt{2}", "y")):
            _math_verify(gold, pred)
    finally:
        mv_parse.cache_clear()


def _math_verify(gold: str, pred: str) -> bool:
    """math-verify (gold first) on answers the guard deems affordable; anything else is a non-match."""
    if not (affordable(gold) and affordable(pred)):
        return False
    try:
        from math_verify import verify
        g, p = mv_parse(gold), mv_parse(pred)
        return bool(g and p and verify(g, p, timeout_seconds=None))
    except Exception:  # math-verify raises on exotic LaTeX; a failure to parse is a non-match
        return False


def compare_answers(gold: str | None, pred: str | None) -> tuple[bool, float]:
    """(match, distance) with at most one math-verify call: exact rationals when both sides are arithmetic
    (LaTeX included), math-verify (gold first) for anything else that passes the guard."""
    if gold is None or pred is None:
        return False, 1.0
    g, p = _value(gold), _value(pred)
    if g is not None and p is not None:
        return g == p, _distance(g, p)
    if g is not None or p is not None:
        # one side numeric: math-verify still handles e.g. '0.5' vs '\\sqrt{0.25}'; text without digits can't match
        other = pred if g is not None else gold
        match = any(c.isdigit() for c in other) and _math_verify(gold, pred)
    else:
        match = gold.strip() == pred.strip() or _math_verify(gold, pred)
    return match, 0.0 if match else 1.0


def _value(ans: str) -> Fraction | None:
    v = to_number(ans)
    return v if v is not None else exact_value(ans)


def _distance(g: Fraction, p: Fraction) -> float:
    if g == p:
        return 0.0
    rel = abs(float(p - g)) / max(abs(float(g)), 1.0)
    return min(1.0, math.log10(1.0 + rel))


def answers_match(gold: str | None, pred: str | None) -> bool:
    """Exact rational comparison for numbers; math-verify (gold first) for anything else."""
    return compare_answers(gold, pred)[0]


def numeric_distance(gold: str | None, pred: str | None) -> float:
    """0 when equal, log10(1 + |p-g|/max(|g|,1)) capped at 1: reaches 1 at an order of magnitude.

    1.0 when either side is not a number (we cannot say the answer is close).
    """
    return compare_answers(gold, pred)[1]
