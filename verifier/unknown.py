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

from functools import lru_cache

from .answers import to_number
from .safe_eval import EvalError, safe_eval
from .steps import normalize, split_steps

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


_RUN = re.compile(r"[0-9.,+\-*/^()% \x00]+")
_NUMS = re.compile(r"\d[\d,]*(?:\.\d+)?|\.\d+")


def expression_values(text: str, x: Fraction, letter: str = "x", min_ops: int = 1) -> list[tuple[Fraction, str, frozenset[Fraction]]]:
    """(value at x, expression, the numbers it uses) of every arithmetic expression in the letter the text writes
    ('200 - x', '5x + 15', '(x/100) * 250,000'): the quantities a solution names in terms of its unknown, so that the
    walk back can compare them with the reference's at the true value. A bare letter is no expression."""
    var = _VAR if letter == "x" else re.compile(rf"(?<![A-Za-z]){letter}(?![A-Za-z])")
    if not var.search(text):
        return []
    out = []
    for m in _RUN.finditer(var.sub("\x00", text)):
        run = m.group(0).strip().rstrip(".,").strip()
        while run[:1] in ")+*/^%,." and run:
            run = run[1:].lstrip()
        while run.count("(") > run.count(")") and run.startswith("("):
            run = run[1:].lstrip()
        while run.count(")") > run.count("(") and run.endswith(")"):
            run = run[:-1].rstrip()
        if "\x00" not in run or run == "\x00" or re.search(r"\d\s+\x00", run) or len(run) > 120:
            continue
        expr = run.replace("\x00", "x")
        if len(re.findall(r"[-+*/^]|[\d)]\s*(?=x|\()", expr)) < min_ops:
            continue  # min_ops 2: '2x', '(1/4)*x' translate one quantity of the question, they are no step of their own
        v = _value(expr, x)
        if v is not None and v != x:
            out.append((v, expr.replace("x", letter), frozenset(Fraction(n.replace(",", "")) for n in _NUMS.findall(expr))))
    return out


_SOLVED_ANY = re.compile(r"(?<![A-Za-z])([b-hj-z])\s*=\s*\$?\s*(-?\d[\d,]*(?:\.\d+)?)(?![\d,]|\.\d|\s*[-+*/^(]|[ \t]*[A-Za-z])")


def solved_values(text: str) -> dict[str, Fraction]:
    """letter -> the value the text solves it for ('x=20', 'y = 80.'): the last statement per letter."""
    out = {}
    for m in _SOLVED_ANY.finditer(text):
        before = text[max(0, m.start() - 8):m.start()]
        if before[-1:].isalnum() or before.rstrip()[-1:] in "+-*/^=(":
            continue
        v = to_number(m.group(2))
        if v is not None:
            out[m.group(1)] = v
    return out


def letter_nodes(texts: list[str], x: Fraction, letter: str) -> list[tuple[int, Fraction, frozenset[Fraction], str]]:
    """(step, value, numbers used, expression) of every expression in the unknown the steps write, at its true value."""
    return [(i, v, nums, expr) for i, t in enumerate(texts) for v, expr, nums in expression_values(t, x, letter, 2)]


@lru_cache(maxsize=1024)
def reference_letter_values(reference: str, known: tuple = ()) -> frozenset[Fraction]:
    """The values of the reference's expressions in its letters ('y = x + 60' once it solves 'x=20': 80), each letter
    at the value the reference solves it for, or at a known value (the unknown at the reference answer)."""
    letters = solved_values(reference) | dict(known)
    out = set(letters.values())
    for line in split_steps(reference):  # bounded: at most 200 lines of 2,000 characters
        t = normalize(line)
        for letter, value in letters.items():
            out.update(v for v, _, _ in expression_values(t, value, letter))
    return frozenset(out)


def _fmt(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):.4g}"
