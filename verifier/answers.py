"""The one answer checker: final-answer extraction and comparison, shared by lm-eval tasks and training.

Plain numbers are compared exactly as rationals (``$1,200.00`` == ``1200``); anything else (LaTeX
such as ``\\frac{\\pi}{2}``) goes to math-verify, called without its signal-based timeouts (they fail
outside the main thread) on short, length-capped strings so the time stays bounded.
"""
from __future__ import annotations

import logging
import math
import re
from fractions import Fraction

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


def _boxed(text: str) -> str | None:
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


def extract_answer(text: str) -> str | None:
    """The final answer a solution states, or None.

    Order: 'The answer is: X' (MetaMathQA), '#### X' (GSM8K), \\boxed{X} (MATH), 'the value of x is X',
    else the last number in the text (as lm-eval's flexible-extract does).
    """
    if not text:
        return None
    for pat in _ANSWER_PATTERNS[:2]:
        ms = pat.findall(text)
        if ms:
            return _strip(ms[-1])
    b = _boxed(text)
    if b is not None:
        return _strip(b)
    ms = _ANSWER_PATTERNS[2].findall(text)
    if ms:
        return _strip(ms[-1])
    nums = re.findall(_NUM, text[-5000:], re.ASCII)
    return _strip(nums[-1]) if nums else None


def _strip(s: str) -> str:
    s = s.strip()[:MAX_ANSWER_CHARS]
    b = _boxed(s)
    if b is not None:
        s = b
    return s.rstrip(".").strip().strip("$").strip()


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
        return None
    return -v if neg else v


MAX_MATH_VERIFY_CHARS = 120


def _math_verify(gold: str, pred: str) -> bool:
    # sympy parsing time grows with input; short ASCII answers keep it to about a millisecond
    if not (gold.isascii() and pred.isascii()) or max(len(gold), len(pred)) > MAX_MATH_VERIFY_CHARS:
        return False
    try:
        from math_verify import parse, verify
        g = parse("$" + gold + "$", parsing_timeout=None)
        p = parse("$" + pred + "$", parsing_timeout=None)
        return bool(g and p and verify(g, p, timeout_seconds=None))
    except Exception:  # math-verify raises on exotic LaTeX; a failure to parse is a non-match
        return False


def answers_match(gold: str | None, pred: str | None) -> bool:
    """Exact rational comparison for numbers; math-verify (gold first) for anything else."""
    if gold is None or pred is None:
        return False
    g, p = to_number(gold), to_number(pred)
    if g is not None and p is not None:
        return g == p
    if g is not None or p is not None:
        # one side numeric: math-verify still handles e.g. '0.5' vs '\frac12'; text without digits can't match
        other = pred if g is not None else gold
        return any(c.isdigit() for c in other) and _math_verify(gold, pred)
    if gold.strip() == pred.strip():
        return True
    return _math_verify(gold, pred)


def numeric_distance(gold: str | None, pred: str | None) -> float:
    """0 when equal, log10(1 + |p-g|/max(|g|,1)) capped at 1: reaches 1 at an order of magnitude.

    1.0 when either side is not a number (we cannot say the answer is close).
    """
    g, p = to_number(gold), to_number(pred)
    if g is None or p is None:
        return 0.0 if answers_match(gold, pred) else 1.0
    if g == p:
        return 0.0
    rel = abs(float(p - g)) / max(abs(float(g)), 1.0)
    return min(1.0, math.log10(1.0 + rel))
