"""Equations in the unknown must hold at its true value.

Questions of the form "... what is the value of unknown variable x?" come with a reference answer that *is* x.
Every equation a solution writes about x (`x - 4 + 27 = 52`, `(16x + 40) / 20 = 12`) must then hold when x takes
that value; the first one that does not is where the reasoning went wrong, even if all arithmetic after it is
right. x is substituted as text into a bounded expression and evaluated by safe_eval (never eval/sympify).
"""
from __future__ import annotations

import re
from fractions import Fraction

from .safe_eval import EvalError, safe_eval

_ASKS_X = re.compile(r"(?:value of|solve for|find)(?: the)?(?: unknown)?(?: variable)? x\b", re.I)
_VAR = re.compile(r"(?<![A-Za-z])x(?![A-Za-z])")
_SIDE = set("0123456789.,+-*/^()% x")
MAX_EQUATIONS = 50


def asks_for_x(question: str) -> bool:
    return bool(_ASKS_X.search(question[-400:]))


def _side(text: str, left: bool) -> str:
    """The expression touching '=' on one side: the longest run of arithmetic characters and x."""
    i = len(text) if left else 0
    if left:
        while i > 0 and text[i - 1] in _SIDE:
            i -= 1
        if i > 0 and text[i - 1].isalpha() and text[i:i + 1] == "x":
            i += 1  # the x of 'box', not the unknown
        s = text[i:]
        s = s[next((k for k, ch in enumerate(s) if ch.isdigit() or ch in "(x."), len(s)):]
    else:
        while i < len(text) and text[i] in _SIDE:
            i += 1
        s = text[:i]
    return s.strip().rstrip(".,")


def _value(expr: str, x: Fraction) -> Fraction | None:
    if not expr or not _VAR.search(expr) and not re.search(r"\d", expr):
        return None
    sub = f"({x.numerator}/{x.denominator})"
    e = re.sub(r"(?<=[\d)])\s*(?=x|\()", "*", expr)  # '16x', '2(x+1)': implicit multiplication
    e = re.sub(r"(?<=x)\s*(?=\()", "*", e)
    e = _VAR.sub(sub, e)
    try:
        return safe_eval(e)
    except EvalError:
        return None


def false_equations(texts: list[str], x: Fraction) -> tuple[int, list[tuple[int, str]]]:
    """(equations in x read, [(step, reason)] for those false at x), over normalized step texts."""
    n, out = 0, []
    for i, text in enumerate(texts):
        if "=" not in text or not _VAR.search(text):
            continue
        parts = text.split("=")
        for k in range(len(parts) - 1):
            lhs, rhs = _side(parts[k], True), _side(parts[k + 1], False)
            if not (_VAR.search(lhs) or _VAR.search(rhs)) or n >= MAX_EQUATIONS:
                continue
            a, b = _value(lhs, x), _value(rhs, x)
            if a is None or b is None:
                continue
            n += 1
            if abs(a - b) > max(abs(a), abs(b), 1) / 100:  # 1%: a rounded decimal is not a wrong equation
                out.append((i, f"step {i}: {lhs} = {rhs} is false at the true x = {_fmt(x)}"))
                break
    return n, out


def _fmt(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):.4g}"
