"""Split a chain-of-thought into steps and pull out the arithmetic claims each step makes.

A *claim* is ``LHS = stated`` where LHS is an arithmetic expression with at least one operator:
``25 + 18 = 45``, GSM8K's ``<<48/2=24>>``, ``$3\\times 4 = 12$``, ``$1,200 * 5% = $60``.
Text is normalized (LaTeX operators, money signs, Unicode operators, ``3 x 4``) before scanning;
expressions with unknowns (``x * 6 - 5 = 31``) cannot be evaluated and are skipped, not flagged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

from .safe_eval import EvalError, count_operators, parse_number, safe_eval

MAX_STEPS = 200
MAX_LINE_CHARS = 2000
NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_NUMBER_RE = re.compile(r"(?<![\w.])-?(?:" + NUMBER + r")(?:\s*%)?", re.ASCII)
_ANNOT = re.compile(r"<<([^<>=]{1,200})=([^<>]{1,60})>>", re.ASCII)
_RHS = re.compile(r"\s*(-?(?>" + NUMBER + r"))(?![A-Za-z](?![A-Za-z])|\()(\s*/\s*\d+(?!\s*[-+*/^(\d.]))?(\s*%)?", re.ASCII)
_CUT = re.compile(r"[,.;:]\s|(?<=\d)\s+(?=\d)", re.ASCII)
_MIXED_PAT = r"(?<![\d.,])(\d+) (\d+)/(\d+)(?![\d.])"
_EXPR_CHARS = set("0123456789.,+-*/^()% ")
_LATEX = [(re.compile(p, re.ASCII), r) for p, r in [
    (r"\\(?:times|cdot|ast)", "*"), (r"\\div", "/"), (r"\\left|\\right|\\!|\\,|\\;|\\quad", ""),
    (r"\\%", "%"), (r"\\\$", ""), (r"\$", ""), (r"[×·∙⋅]", "*"), (r"[÷]", "/"), (r"[−–]", "-"),
    (r"(?<=[\d)])\s*[xX]\s*(?=[\d(])", " * "),
]]
_NUMERIC = [(re.compile(p, re.ASCII), r) for p, r in [
    (r"(?<![\d.,])(\d{1,3}) (\d{3})(?![\d/])", r"\1\2"),  # '350 000' thousands
    (_MIXED_PAT, r"(\1+\2/\3)"),                          # '1 1/2' mixed numbers
]]
_FRAC = re.compile(r"\\[dt]?frac\{([^{}]{1,40})\}\{([^{}]{1,40})\}", re.ASCII)


@dataclass
class Claim:
    """One explicit computation: `lhs = stated` found in step `step`."""
    step: int
    lhs: str
    stated: Fraction
    value: Fraction
    ok: bool
    operands: list[Fraction] = field(default_factory=list)


def split_steps(solution: str) -> list[str]:
    """Non-empty lines; a one-paragraph solution is split into sentences instead."""
    lines = [ln.strip() for ln in solution.split("\n") if ln.strip()]
    if len(lines) == 1:
        lines = [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", lines[0]) if s.strip()]
    return [ln[:MAX_LINE_CHARS] for ln in lines[:MAX_STEPS]]


def normalize(line: str) -> str:
    if not line.isascii() or any(c in line for c in "\\$xX"):
        for _ in range(3):
            line = _FRAC.sub(r"(\1)/(\2)", line)
        for pat, rep in _LATEX:
            line = pat.sub(rep, line)
    for pat, rep in _NUMERIC:
        line = pat.sub(rep, line)
    return line


@lru_cache(maxsize=4096)
def numbers_in(text: str) -> tuple[Fraction, ...]:
    """Every number literal in plain text (percent signs dropped, thousands separators honoured). Cached."""
    out = []
    for m in _NUMBER_RE.finditer(text):
        s = m.group(0).replace("%", "").strip()
        neg = s.startswith("-")
        try:
            v = parse_number(s.lstrip("-"))
        except EvalError:
            continue
        out.append(-v if neg else v)
    return tuple(out)


def _lhs_candidates(left: str):
    """Longest-first suffixes of `left` that may be an expression."""
    i = len(left)
    while i > 0 and left[i - 1] in _EXPR_CHARS:
        i -= 1
    span = left[i:].strip()
    before = left[:i].rstrip()
    if span[:1] in ")+-*/^" and (before[-1:].isalnum() or before[-1:] == ")"):
        return  # the expression continues into an unknown: 'x * 6 - 5'
    # a leading '-' is a sign only at a word boundary; other leading junk is punctuation
    span = _lstrip_junk(span)
    while span.count("(") > span.count(")") and span.startswith("("):
        span = span[1:].lstrip()
    for _ in range(4):
        if not span:
            return
        yield span
        cut = _CUT.search(span)
        if not cut:
            return
        span = _lstrip_junk(span[cut.end():])


def _lstrip_junk(span: str) -> str:
    """Drop leading punctuation, but keep the dot of '.4'."""
    while span and span[0] in ".,+*/^%) " and not (span[0] == "." and span[1:2].isdigit()):
        span = span[1:]
    return span


def _within_rounding(value: Fraction, stated: Fraction, stated_text: str) -> bool:
    if value == stated:
        return True
    if value.denominator == 1:
        return False
    decimals = len(stated_text.split(".")[1]) if "." in stated_text else 0
    if decimals == 0:
        return abs(value - stated) < 1  # floor/ceil/round of a non-integer, e.g. people = 100/3 -> 33
    return abs(value - stated) <= Fraction(1, 10 ** decimals)


def _claim(step: int, lhs: str, rhs_text: str) -> Claim | None:
    m = _RHS.match(rhs_text)
    if not m and rhs_text.lstrip().startswith("("):
        m = _RHS.match(_paren_value(rhs_text))
    if not m or count_operators(lhs) == 0:
        return None
    for cand in _lhs_candidates(lhs):
        if count_operators(cand) == 0:
            return None
        try:
            value = safe_eval(cand)
        except EvalError:
            continue
        try:
            stated = parse_number(m.group(1).lstrip("-"))
        except EvalError:
            return None
        if m.group(1).startswith("-"):
            stated = -stated
        stated_text = m.group(1)
        if m.group(2):
            stated = stated / int(m.group(2).replace("/", "").strip())
        ok = _within_rounding(value, stated, stated_text)
        if not ok and m.group(3):
            ok = _within_rounding(value, stated / 100, stated_text)
        if not ok:
            # rewriting style '2 * 3 = 3 + 3 = 6': the whole right-hand side may equal the left
            rest = rhs_text.split("=")[0]
            try:
                ok = count_operators(rest) > 0 and safe_eval(rest.strip().rstrip(".,;:")) == value
            except EvalError:
                pass
        return Claim(step, cand, stated, value, ok, numbers_in(cand))
    return None


def _paren_value(rhs_text: str) -> str:
    """'(3+1/2) feet' -> '7/2' so the RHS pattern sees a plain number (mixed numbers are normalized so)."""
    t = rhs_text.lstrip()
    try:
        v = safe_eval(t[: t.find(")") + 1])
    except EvalError:
        return ""
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def claims_in(step: int, line: str) -> list[Claim]:
    """All arithmetic claims in one step (calculator annotations first, then inline equations)."""
    out: list[Claim] = []
    seen: set[tuple[str, Fraction]] = set()
    for m in _ANNOT.finditer(line):
        c = _claim(step, normalize(m.group(1)), normalize(m.group(2)))
        if c:
            out.append(c)
            seen.add((c.value, c.stated))
    text = normalize(_ANNOT.sub(" ", line))
    if "=" not in text:
        return out
    parts = text.split("=")
    for k in range(len(parts) - 1):
        c = _claim(step, parts[k], parts[k + 1])
        if c and (c.value, c.stated) not in seen:
            seen.add((c.value, c.stated))
            out.append(c)
    return out
