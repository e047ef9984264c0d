"""Split a chain-of-thought into steps and pull out the arithmetic claims each step makes.

A *claim* is ``LHS = stated`` where LHS is an arithmetic expression with at least one operator:
``25 + 18 = 45``, GSM8K's ``<<48/2=24>>``, ``$3\\times 4 = 12$``, ``$1,200 * 5% = $60``.
Text is normalized (LaTeX operators, money signs, Unicode operators, ``3 x 4``) before scanning;
expressions with unknowns (``x * 6 - 5 = 31``) cannot be evaluated and are skipped, not flagged.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

from .literals import prepare
from .safe_eval import MAX_CHARS, EvalError, Num, Undefined, count_operators, parse_number, safe_eval, tower_log2

MAX_STEPS = 200
MAX_LINE_CHARS = 2000
NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_NUMBER_RE = re.compile(r"(?<![\w.])-?(?:" + NUMBER + r")(?:\s*%)?", re.ASCII)
_ANNOT = re.compile(r"<<([^<>=]{1,200})=([^<>]{1,60})>>", re.ASCII)
_RHS = re.compile(r"\s*(-?(?>" + NUMBER + r"))(?![A-Za-z](?![A-Za-z])|\()(\s*/\s*\d+(?!\s*[-+*/^(\d.]))?(\s*%)?", re.ASCII)
_CUT = re.compile(r"[,.;:]\s|(?<=\d)\s+(?=\d)", re.ASCII)
_MIXED_PAT = r"(?<![\d.,])(\d+) (\d+)/(\d+)(?![\d.])"
_MAY_HAVE_UNITS = re.compile(r"\d\s+[A-Za-z]|[xX]", re.ASCII)
_UNKNOWN_AFTER = re.compile(r"\s*[-+*/]\s*[A-Za-z]", re.ASCII)
_NOT_ARITHMETIC = re.compile(r"(?<![\d.,])0\d", re.ASCII)
_FRACTION_ONLY = re.compile(r"\d+/\d+", re.ASCII)
_TIMES_100 = re.compile(r"\*\s*100\s*%\s*$", re.ASCII)
_TIGHT_FRACTION = re.compile(r"(?<=[/*]\s)(\d+)/(\d+)(?![\d.])", re.ASCII)
_EXPR_CHARS = set("0123456789.,+-*/^()% ")
_LATEX = [(re.compile(p, re.ASCII), r) for p, r in [
    (r"\\(?:text|mbox|mathrm|textbf)\{([^{}]{0,80})\}", r" \1 "),  # '5 \text{ hours}': keep the word, drop the markup
    (r"\\(?:times|cdot|ast)", "*"), (r"\\div", "/"), (r"\\left|\\right|\\!|\\,|\\;|\\quad", ""),
    (r"\\%", "%"), (r"\\\$", ""), (r"\$", ""), (r"[×·∙⋅]", "*"), (r"[÷]", "/"), (r"[−–]", "-"),
]]
# Unit words cut a claim short ('15 pages x 1/3 = 5 pages' was read as '1/3 = 5'). A word right after a number is
# dropped before a multiplicative operator or '=' (units combine freely there), and before + or - only when the
# next number carries the same word ('3 apples + 4 apples'): '2 hours + 30 minutes' stays unread, never misread.
_UNIT = r"(?:\s+(?!x\s)[A-Za-z][A-Za-z']+(?:/[A-Za-z]+)?){1,3}"
_UNITS = [(re.compile(p, re.ASCII), r) for p, r in [
    (r"(?<=\d)\s+([A-Za-z]{2,}?)s?(\s*[-+]\s*\d[\d,.]*)\s+\1s?\b", r"\2 \1"),
    (r"(?<=\d)" + _UNIT + r"(?=\s*(?:[*/=]|[xX]\s))", ""),
    (r"(?<=[\d)])\s*[xX]\s*(?=[\d(]|\.\d)", " * "),  # '3 x 4', '30 x .25'; after the unit words are gone
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
    pos: int = 0
    """where the claim's LHS starts in the step's normalized text (0 for calculator annotations): numbers before
    it in the same step are already stated when the claim uses them."""
    inner: tuple[Fraction, ...] = ()
    """values of the LHS's parenthesized groups: '2*(9+40)' derives 49 on the way to 98."""
    why: str = ""
    """for a false claim whose LHS has no finite value: 'undefined (division by zero)', 'about 2^65536'."""


def split_steps(solution: str) -> list[str]:
    """Non-empty lines; a one-paragraph solution is split into sentences instead."""
    lines = [ln.strip() for ln in solution.split("\n") if ln.strip()]
    if len(lines) == 1:
        lines = [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", lines[0]) if s.strip()]
    if len(lines) > MAX_STEPS:  # a runaway generation keeps its last line: that is where the answer is stated
        lines = lines[:MAX_STEPS - 1] + lines[-1:]
    return [ln[:MAX_LINE_CHARS] for ln in lines]


def keep_ends(text: str, max_chars: int) -> str:
    """text cut to max_chars, but keeping its last line (the final answer) after the cut."""
    if len(text) <= max_chars:
        return text
    last = text.rstrip().rsplit("\n", 1)[-1][-MAX_LINE_CHARS:]
    return text[:max(0, max_chars - len(last) - 1)] + "\n" + last


@lru_cache(maxsize=4096)
def normalize(line: str) -> str:
    """LaTeX, Unicode operators, money signs, unit words and thousands written '350 000' -> plain arithmetic."""
    line = prepare(line)
    if not line.isascii() or any(c in line for c in "\\$"):
        for _ in range(3):  # the whole fraction in parentheses: '= \frac{3}{4}' states 3/4, not 3
            line = _FRAC.sub(r"((\1)/(\2))", line)
        for pat, rep in _LATEX:
            line = pat.sub(rep, line)
    if _MAY_HAVE_UNITS.search(line):
        for k, (pat, rep) in enumerate(_UNITS):
            for _ in range(4 if k == 0 else 1):  # '3 a + 4 a + 5 a': each pass frees the next overlapping pair
                line, n = pat.subn(rep, line)
                if not n:
                    break
    for pat, rep in _NUMERIC:
        line = pat.sub(rep, line)
    return line


def literal_numbers(text: str) -> tuple[Fraction, ...]:
    """The number literals of a text as line_numbers reads them, without the unit and LaTeX rewriting (which changes
    no literal): Unicode, scientific notation and '350 000' thousands are still honoured. Cheaper, for word scans."""
    text = prepare(text).replace("\\$", "").replace("$", "")  # '-$21' is -21
    return numbers_in(_NUMERIC[0][0].sub(_NUMERIC[0][1], text) if " " in text else text)


def line_numbers(text: str) -> tuple[Fraction, ...]:
    """Numbers of a text after normalization, so '$350 000' in a question reads as claims read it."""
    return numbers_in(normalize(text))


@lru_cache(maxsize=4096)
def numbers_at(text: str) -> tuple[tuple[int, Fraction], ...]:
    """(position, value) of every number literal in plain text (percent signs dropped, thousands separators
    honoured). Cached."""
    out = []
    for m in _NUMBER_RE.finditer(text):
        s = m.group(0).replace("%", "").strip()
        neg = s.startswith("-")
        try:
            v = parse_number(s.lstrip("-"))
        except EvalError:
            continue
        out.append((m.start(), -v if neg else v))
    return tuple(out)


def numbers_in(text: str) -> tuple[Fraction, ...]:
    """Every number literal in plain text, in order."""
    return tuple(v for _, v in numbers_at(text))


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
    if not m or count_operators(lhs) == 0 or _UNKNOWN_AFTER.match(rhs_text, m.end()):
        return None  # '8/3 = 24/Y', '3*30 = 30 + M': an equation in an unknown, not a computation
    for cand in _lhs_candidates(lhs):
        if count_operators(cand) == 0 or _NOT_ARITHMETIC.search(cand) or lhs[:len(lhs) - len(cand)].rstrip().endswith(":"):
            return None  # clock times '6:00+48', '0900-0130'
        if _FRACTION_ONLY.fullmatch(cand.strip()) and re.search(r"\band\s*$", lhs[:lhs.rfind(cand)]):
            return None  # '1 and 1/4 cup = 1.5 cups': a mixed number, not a division
        try:
            value = safe_eval(cand)
        except EvalError as e:
            why = _no_value(cand, e, m)
            if why:  # '5 / 0 = 0', '2^2^2^2^2^2 = 4': false, though the LHS has no (bounded) value to compare
                stated = _stated(m)
                return Claim(step, cand, stated, stated, False, list(numbers_in(cand)), why=why)
            continue
        stated = _stated(m)
        if stated is None:
            return None
        stated_text = m.group(1)
        # a stated fraction ('= 3/4') is exact: the floor/ceil leeway of a stated integer does not apply to it
        ok = value == stated if m.group(2) else _within_rounding(value, stated, stated_text)
        if not ok and m.group(3):
            ok = _within_rounding(value, stated / 100, stated_text)
        if not ok and _TIMES_100.search(cand):
            ok = _within_rounding(value * 100, stated, stated_text)  # '9 / 27 * 100% = 33.3': written as a percent
        if not ok and _TIGHT_FRACTION.search(cand):
            try:  # '2 / 1/6 = 12': a fraction written without spaces is one number
                ok = _within_rounding(safe_eval(_TIGHT_FRACTION.sub(r"(\1/\2)", cand)), stated, stated_text)
            except EvalError:
                pass
        if not ok:
            # rewriting style '2 * 3 = 3 + 3 = 6': the whole right-hand side may equal the left
            rest = rhs_text.split("=")[0]
            try:
                ok = count_operators(rest) > 0 and safe_eval(rest.strip().rstrip(".,;:")) == value
            except EvalError:
                pass
        # as Num: the value is looked up in sets many times, and a plain Fraction rehashes on every lookup
        return Claim(step, cand, stated, Num(value), ok, list(numbers_in(cand)), inner=_inner_values(cand))
    return None


def _stated(m: re.Match) -> Fraction | None:
    try:
        stated = parse_number(m.group(1).lstrip("-"))
    except EvalError:
        return None
    if m.group(1).startswith("-"):
        stated = -stated
    if m.group(2):
        den = int(m.group(2).replace("/", "").strip())
        stated = stated / den if den else stated
    return stated if isinstance(stated, Num) else Num(stated)


def _no_value(cand: str, err: EvalError, m: re.Match) -> str:
    """Why a claim whose LHS cannot be evaluated is still false: division by zero anywhere makes it undefined; a
    tower of integers too large to evaluate is false unless the stated number is as large (log2 within 1)."""
    if _stated(m) is None:
        return ""
    if isinstance(err, Undefined):
        return "undefined (division by zero)"
    bits = tower_log2(cand)
    stated = abs(_stated(m))
    if bits is not None and (stated < 2 or abs(math.log2(stated) - bits) > 1):
        return f"about 2^{bits:.0f}" if bits < 1e15 else "an integer too large to write"
    return ""


def _inner_values(expr: str) -> tuple[Fraction, ...]:
    if "(" not in expr:
        return ()
    out, opens = [], []
    for k, ch in enumerate(expr):
        if ch == "(":
            opens.append(k)
        elif ch == ")" and opens:
            try:
                out.append(safe_eval(expr[opens.pop() + 1:k]))
            except EvalError:
                pass
    return tuple(out)


def partial_values(expr: str) -> tuple[Fraction, ...]:
    """Running results of a left-to-right chain: '80-21+7' passes through 59, '12*5/4' through 60. A reference's
    partial results are on its path even when it writes only the total."""
    if "(" in expr:
        return _inner_values(expr)
    out = []
    for m in re.finditer(r"(?<=[\d%])\s*[-+*/]", expr):
        try:
            out.append(safe_eval(expr[:m.start()]))
        except EvalError:
            pass
    return tuple(out)


def _pure_expression(part: str) -> Fraction | None:
    """The value of a chain link that is itself a whole expression ('2*49' in '2*(9+40) = 2*49 = 98'), else None."""
    t = part.strip().rstrip(".,;:")
    if not t or not set(t) <= _EXPR_CHARS or count_operators(t) == 0:
        return None
    try:
        return safe_eval(t)
    except EvalError:
        return None


def _paren_value(rhs_text: str) -> str:
    """'(3+1/2) feet' -> '7/2', '((3)/(4))' -> '3/4': the balanced group's value, so the RHS pattern sees a plain
    number (mixed numbers and LaTeX fractions are normalized to parenthesized groups)."""
    t = rhs_text.lstrip()
    depth = 0
    for k, ch in enumerate(t[:MAX_CHARS]):
        depth += (ch == "(") - (ch == ")")
        if depth == 0:
            break
    else:
        return ""
    try:
        v = safe_eval(t[: k + 1])
    except EvalError:
        return ""
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def claims_in(step: int, line: str) -> list[Claim]:
    """All arithmetic claims in one step (calculator annotations first, then inline equations)."""
    return parse_step(step, line)[0]


def parse_step(step: int, line: str) -> tuple[list[Claim], str]:
    """(claims, normalized text without calculator annotations) of one step; claims carry their position.

    Chained equalities 'a = b = c = N' are read link by link; a link whose right side is a whole expression
    ('2*(9+40) = 2*49') states that expression's value, so the chain records 98 and never the '2' of '2*49'.
    """
    out: list[Claim] = []
    seen: set[tuple[Fraction, Fraction]] = set()
    for m in _ANNOT.finditer(line):
        c = _claim(step, normalize(m.group(1)), normalize(m.group(2)))
        if c:
            out.append(c)
            seen.add((c.value, c.stated))
    text = normalize(_ANNOT.sub(" ", line))
    if "=" not in text:
        return out, text
    parts = text.split("=")
    offset = 0
    for k in range(len(parts) - 1):
        c = _claim(step, parts[k], parts[k + 1])
        mid = _pure_expression(parts[k + 1]) if k + 2 < len(parts) else None
        if mid is not None and (c is None or not c.ok or mid == c.value):
            # 'a = b op c = d' is read two ways: a running chain ('3/2 = 1.50+3.00 = 4.50': a = b, then b op c = d)
            # or a rewrite ('2*(9+40) = 2*49 = 98': a = the middle's value); a true reading wins, else the rewrite
            c2 = _claim(step, parts[k], str(mid.numerator) if mid.denominator == 1 else f"{mid.numerator}/{mid.denominator}")
            c = c2 if c2 is not None else c
        end = offset + len(parts[k])
        offset = end + 1
        if c and (c.value, c.stated) not in seen:
            c.pos = max(0, end - len(c.lhs) - 1)
            seen.add((c.value, c.stated))
            out.append(c)
    return out, text
