"""Equations in the unknown must hold at its true value.

Questions of the form "... what is the value of unknown variable x?" come with a reference answer that *is* x.
Every equation a solution writes about x (`x - 4 + 27 = 52`, `(16x + 40) / 20 = 12`) must then hold when x takes
that value; the first one that does not is where the reasoning went wrong, even if all arithmetic after it is
right. x is substituted as text into a bounded expression and evaluated by safe_eval (never eval/sympify).

The same holds for any question when the solution names its own unknown for the asked quantity: a solution that
ends 'x = 6 ... The answer is: 6' treats x as the answer, so its equations in x must hold at the reference answer
('2x = 12' is false at the true 12); with no reference at all, at the solution's own answer. A letter the question itself uses, or 'a'/'i', is never taken as such.
"""
from __future__ import annotations

import re
from fractions import Fraction

from .answers import to_number
from .safe_eval import EvalError, safe_eval

_ASKS_X = re.compile(r"(?:value of|solve for|find)(?: the)?(?: unknown)?(?: variable)? x\b", re.I)
_VAR = re.compile(r"(?<![A-Za-z])x(?![A-Za-z])")
_SIDE = set("0123456789.,+-*/^()% x")
MAX_EQUATIONS = 50
_OPS = set("+-*/^")


_SOLVED = re.compile(r"(?<![A-Za-z])([b-hj-z])\s*=\s*\$?\s*(-?\d[\d,]*(?:\.\d+)?)(?![\d.]*[ \t]*[-+*/^(A-Za-z\d])")


def asks_for_x(question: str) -> bool:
    return bool(_ASKS_X.search(question[-400:]))


def answer_unknown(question: str, texts: list[str], reference_answer, pred: Fraction | None):
    """(letter, true value) when the solution's equations in that letter must hold at the reference answer (or,
    with no reference, at the solution's own answer): the question asks for x, or the solution solves for a letter
    ('x = 6') and gives that value as its answer."""
    # without a reference, the solution's own answer: equations that do not hold at it are slips in its algebra
    truth = to_number(str(reference_answer)) if reference_answer is not None else pred
    if truth is None:
        return None
    if asks_for_x(question):
        return "x", truth
    if pred is None:
        return None
    text = "\n".join(texts)
    if "=" not in text:
        return None
    for m in reversed(list(_SOLVED.finditer(text))):  # the last solved letter first
        var = m.group(1)
        before = text[max(0, m.start() - 8):m.start()]
        if before[-1:].isalnum() or before.rstrip()[-1:] in "+-*/^=(":
            continue  # '2d = 40', 'c + d = 60': not the letter solved for
        if re.search(rf"(?<![A-Za-z']){var}(?![A-Za-z'])", question):
            continue
        try:
            if to_number(m.group(2)) == pred:
                return var, truth
        except (ValueError, ZeroDivisionError):
            continue
    return None


def _side(text: str, left: bool, letter: str = "x") -> str:
    """The expression touching '=' on one side: the longest run of arithmetic characters and the unknown."""
    chars = _SIDE | {letter}
    i = len(text) if left else 0
    if left:
        while i > 0 and text[i - 1] in chars:
            i -= 1
        if i > 0 and text[i - 1].isalpha() and text[i:i + 1] == letter:
            i += 1  # the x of 'box', not the unknown
        s = text[i:]
        if i > 0 and text[i - 1].isalpha() and s.lstrip()[:1] in _OPS:
            return ""  # 'p + m = 27': the side continues into another unknown
        k = next((k for k, ch in enumerate(s) if ch.isdigit() or ch in "(." or ch == letter), len(s))
        s = s[k - 1 if k and s[k - 1] == "-" else k:]  # '-x = -13' keeps its sign
    else:
        while i < len(text) and text[i] in chars:
            i += 1
        s = text[:i]
        if i < len(text) and text[i].isalpha() and (s.rstrip()[-1:] in _OPS or s[-1:].isdigit()):
            return ""  # '27 = p + m', 'b = 5s - 4': the side continues into another unknown
    s = s.strip().rstrip(".,")
    # '20 x' (a number, a space, the letter) is what dropped words leave of 'by 20 to find that x': not a product
    return "" if re.search(rf"\d\s+{letter}(?![A-Za-z])", s) else s


def _value(expr: str, x: Fraction, var: re.Pattern = _VAR) -> Fraction | None:
    if not expr or not var.search(expr) and not re.search(r"\d", expr):
        return None
    sub = f"({x.numerator}/{x.denominator})"
    e = var.sub("x", expr)
    e = re.sub(r"(?<=[\d)])\s*(?=x|\()", "*", e)  # '16x', '2(x+1)': implicit multiplication
    e = re.sub(r"(?<=x)\s*(?=\()", "*", e)
    e = _VAR.sub(sub, e)
    try:
        return safe_eval(e)
    except EvalError:
        return None


def false_equations(texts: list[str], x: Fraction, letter: str = "x") -> tuple[int, list[tuple[int, str]]]:
    """(equations in the letter read, [(step, reason)] for those false at x), over normalized step texts."""
    var = _VAR if letter == "x" else re.compile(rf"(?<![A-Za-z]){letter}(?![A-Za-z])")
    n, out = 0, []
    for i, text in enumerate(texts):
        if "=" not in text or not var.search(text):
            continue
        parts = text.split("=")
        for k in range(len(parts) - 1):
            lhs, rhs = _side(parts[k], True, letter), _side(parts[k + 1], False, letter)
            if not (var.search(lhs) or var.search(rhs)) or n >= MAX_EQUATIONS:
                continue
            a, b = _value(lhs, x, var), _value(rhs, x, var)
            if a is None or b is None:
                continue
            n += 1
            if abs(a - b) > max(abs(a), abs(b), 1) / 100:  # 1%: a rounded decimal is not a wrong equation
                out.append((i, f"step {i}: {lhs} = {rhs} is false at {letter} = {_fmt(x)}"))
                break
    return n, out


def _fmt(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):.4g}"
