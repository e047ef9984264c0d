"""What an answer costs before anything slow sees it: exact values for arithmetic answers, a screen for math-verify.

math-verify runs sympy with its signal-based timeouts off (they fail outside the main thread), so nothing stops a
model-written `9^{9^{9}}`, `1000000!` or `(x+y+z)^{60}` from running for seconds. Instead of a timeout, two rules:
  * an answer that is plain arithmetic in LaTeX (`\\frac{3}{4}`, `2^{10}`, `\\$1{,}200`) is evaluated exactly by
    safe_eval, whose every dimension is capped, and math-verify never sees it;
  * anything else reaches math-verify only if `affordable`: short, ASCII, short literals, no factorial beyond 20!,
    no big-operator (sum, product, integral, limit), no tower or huge exponent, a symbolic base raised to at most
    the 4th power, few variables and groups. Each rule names the sympy cost it removes; the hostile corpus in
    tests/test_safe_eval.py times the survivors.
"""
from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from .safe_eval import EvalError, safe_eval
from .steps import normalize

MAX_CHARS = 80
MAX_DIGITS = 15
MAX_INT_EXPONENT = 1000      # 9^{1000} is a 3,000-digit integer: cheap for sympy
MAX_SYMBOLIC_EXPONENT = 4    # (x+1)^{8} already expands for tens of ms
MAX_SMALL_EXPONENT = 12      # any other base with a numeric exponent
MAX_LETTERS = 6
MAX_GROUPS = 6
_ARITH = set("0123456789.,+-*/^()% ")
_BIG_OPS = re.compile(r"\\(?:sum|prod|int|iint|iiint|oint|lim|binom|dbinom|tbinom|choose|Gamma|zeta|bmod|pmod)|"
                      r"\\operatorname", re.ASCII)


@lru_cache(maxsize=2048)
def exact_value(ans: str) -> Fraction | None:
    """The exact value of an answer that is bounded arithmetic (LaTeX allowed), else None."""
    s = ans.strip().replace("\\$", "").replace("$", "").replace("{,}", ",").replace("\\!", "")
    s = re.sub(r"\\(?:text|mbox|mathrm)\{[^{}]*\}\s*$", "", s).strip().rstrip(".").strip()
    if not s or len(s) > MAX_CHARS * 2 or not any(c.isdigit() for c in s):
        return None
    s = normalize(s).replace("{", "(").replace("}", ")")
    if not set(s) <= _ARITH:
        return None
    try:
        return safe_eval(s.rstrip("%")) if s.count("%") == 1 and s.rstrip().endswith("%") else safe_eval(s)
    except EvalError:
        return None


def _group(s: str, i: int) -> tuple[str, int]:
    """The exponent starting at s[i] (a brace group, a parenthesis group or one token) and the index after it. Spaces
    and line breaks before it are skipped, as TeX skips them: `2^ {99999}` and `2^\n99999` are the same power."""
    while i < len(s) and s[i].isspace():
        i += 1
    if i >= len(s):
        return "", i
    close = {"{": "}", "(": ")"}.get(s[i])
    if close:
        depth = 0
        for k in range(i, len(s)):
            depth += (s[k] == s[i]) - (s[k] == close)
            if depth == 0:
                return s[i + 1:k], k + 1
        return s[i + 1:], len(s)
    m = re.match(r"\d+|\\[A-Za-z]+|.", s[i:])
    return m.group(0), i + m.end()


def _base_is_integer(s: str, i: int) -> bool:
    """The base of the '^' at s[i] is a bare integer literal."""
    m = re.search(r"(?:^|[^\w.}\\)])(\d+)\s*$", s[:i])
    return m is not None


def affordable(ans: str) -> bool:
    """Whether math-verify can parse and compare this answer in a few milliseconds."""
    s = ans.strip()
    if not s or len(s) > MAX_CHARS or not s.isascii() or _BIG_OPS.search(s):
        return False
    if max((len(d) for d in re.findall(r"\d+", s)), default=0) > MAX_DIGITS:
        return False
    for m in re.finditer(r"!", s):
        fact = re.search(r"(?<![\d.])(\d{1,2})\s*$", s[:m.start()])
        if not fact or int(fact.group(1)) > 20 or s[m.end():m.end() + 1] == "!":
            return False
    s = s.replace("**", "^")
    if s.count("^") > 3:
        return False
    for m in re.finditer(r"\^", s):
        exp, after = _group(s, m.end())
        if "^" in exp or s[after:after + 1] == "^":
            return False  # a tower: 9^{9^{9}}, 9^9^9
        if re.fullmatch(r"\s*-?\d+\s*", exp):
            e = abs(int(exp))
            if _base_is_integer(s, m.start()):
                if e > MAX_INT_EXPONENT:
                    return False
            elif e > (MAX_SYMBOLIC_EXPONENT if re.search(r"[A-Za-z]", s[:m.start()]) else MAX_SMALL_EXPONENT):
                return False
        elif len(exp) > 12:
            return False
    letters = re.sub(r"\\[A-Za-z]+", "", s)
    if len(re.findall(r"[A-Za-z]", letters)) > MAX_LETTERS or s.count("(") + s.count("{") > 2 * MAX_GROUPS:
        return False
    return True
