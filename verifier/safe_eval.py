"""A bounded arithmetic evaluator over exact rationals, for text a model wrote.

Never `eval`/`exec`/`sympify`: a recursive-descent parser over a whitelisted token set
(numbers, + - * / ^ **, parentheses, unary minus, %), evaluated in `fractions.Fraction`.
Every dimension of cost is capped (input length, digits per number, exponent size, nesting,
size of intermediate results), so the worst case is a few microseconds per character.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache

MAX_CHARS = 200        # an expression longer than this is not a step of a word problem
MAX_DIGITS = 30        # per number literal
MAX_DEPTH = 20         # parenthesis / unary nesting
MAX_EXPONENT = 64      # |e| in a ** e
MAX_BITS = 512         # numerator/denominator size of any intermediate value

_TOKEN = re.compile(r"\s*(?:(\d[\d,]*(?:\.\d+)?|\.\d+)|(\*\*|[-+*/^()%]))", re.ASCII)


class Num(Fraction):
    """A Fraction that remembers its hash. Fraction.__hash__ costs a modular inverse on every call, and the
    verifier looks parsed literals up in sets thousands of times per solution; parse_number is memoized, so the
    same Num (and its hash) is reused."""
    __slots__ = ("_h",)

    def __hash__(self) -> int:
        try:
            return self._h
        except AttributeError:
            self._h = h = Fraction.__hash__(self)
            return h

    def __eq__(self, other) -> bool:
        # Fraction.__eq__ tests isinstance(other, numbers.Rational), an ABC check that dominated set lookups
        if type(other) is Num or type(other) is Fraction:
            return self._numerator == other._numerator and self._denominator == other._denominator
        return Fraction.__eq__(self, other)


class EvalError(ValueError):
    """The text is not a bounded arithmetic expression."""


class Undefined(EvalError):
    """The expression divides by zero: it has no value at all (so any claim about its value is false)."""


@lru_cache(maxsize=8192)
def parse_number(s: str) -> Fraction:
    """'1,234.50' -> Fraction(2469, 2). Thousands separators must be groups of three. Cached: literals repeat."""
    s = s.strip()
    if s.isascii() and s.isdigit() and len(s) <= MAX_DIGITS:
        return Num(int(s))
    if "," in s:
        if not re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", s, re.ASCII):
            raise EvalError(f"bad thousands separator in {s!r}")
        s = s.replace(",", "")
    if len(s) > MAX_DIGITS + 1 or not re.fullmatch(r"\d+(?:\.\d+)?|\.\d+", s, re.ASCII):
        raise EvalError(f"bad number {s[:40]!r}")
    return Num(s)


def _check(v: Fraction) -> Fraction:
    if v.numerator.bit_length() > MAX_BITS or v.denominator.bit_length() > MAX_BITS:
        raise EvalError("intermediate value too large")
    return v


class _Parser:
    def __init__(self, text: str):
        if len(text) > MAX_CHARS:
            raise EvalError("expression too long")
        self.toks: list[tuple[str, str]] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise EvalError(f"unexpected character {text[pos]!r}")
            self.toks.append(("num", m.group(1)) if m.group(1) else ("op", m.group(2)))
            pos = m.end()
        self.i = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) and self.toks[self.i][0] == "op" else None

    def expr(self) -> Fraction:
        v = self.term()
        while self.peek() in ("+", "-"):
            op = self.toks[self.i][1]
            self.i += 1
            w = self.term()
            v = _check(v + w if op == "+" else v - w)
        return v

    def term(self) -> Fraction:
        v = self.unary()
        while self.peek() in ("*", "/"):
            op = self.toks[self.i][1]
            self.i += 1
            w = self.unary()
            if op == "/" and w == 0:
                raise Undefined("division by zero")
            v = _check(v * w if op == "*" else v / w)
        return v

    def unary(self) -> Fraction:
        if self.peek() in ("-", "+"):
            neg = self.toks[self.i][1] == "-"
            self.i += 1
            self._enter()
            v = self.unary()
            self.depth -= 1
            return -v if neg else v
        return self.power()

    def power(self) -> Fraction:
        v = self.atom()
        while self.peek() == "%":
            self.i += 1
            v = v / 100
        if self.peek() in ("^", "**"):
            self.i += 1
            self._enter()
            e = self.unary()
            self.depth -= 1
            if e.denominator != 1 or abs(e.numerator) > MAX_EXPONENT:
                raise EvalError("exponent too large or not an integer")
            if v == 0 and e < 0:
                raise Undefined("division by zero")
            if v != 0 and abs(e.numerator) * max(v.numerator.bit_length(), v.denominator.bit_length()) > MAX_BITS:
                raise EvalError("power too large")
            v = _check(v ** int(e))
        return v

    def atom(self) -> Fraction:
        if self.i >= len(self.toks):
            raise EvalError("unexpected end of expression")
        kind, val = self.toks[self.i]
        self.i += 1
        if kind == "num":
            return parse_number(val)
        if val == "(":
            self._enter()
            v = self.expr()
            if self.peek() != ")":
                raise EvalError("unbalanced parenthesis")
            self.i += 1
            self.depth -= 1
            return v
        raise EvalError(f"unexpected {val!r}")

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise EvalError("nesting too deep")


def safe_eval(text: str) -> Fraction:
    """Evaluate a plain arithmetic expression exactly; raise EvalError on anything else.

    >>> safe_eval("48/2 + 1,000")
    Fraction(1024, 1)
    """
    v = evaluation(text)
    if isinstance(v, EvalError):
        raise type(v)(*v.args)  # a fresh error: re-raising the memoized one would grow its traceback
    return v


@lru_cache(maxsize=8192)
def evaluation(text: str) -> Fraction | EvalError:
    """safe_eval's value or its error, memoized: a GSM8K step writes each computation twice ('48/2 = <<48/2=24>>24'),
    and a solution's claims are tried again as the rewrites and chains of parse_step."""
    try:
        p = _Parser(text)
        if not p.toks:
            raise EvalError("empty expression")
        v = p.expr()
        if p.i != len(p.toks):
            raise EvalError("trailing tokens")
        return v if isinstance(v, Num) else Num(v)
    except EvalError as e:
        return e


def count_operators(text: str) -> int:
    """Number of binary arithmetic operators (a claim needs at least one to be a computation)."""
    return len(re.findall(r"(?<=[\d)%])\s*(?:\*\*|[-+*/^])", text))


_TOWER = re.compile(r"\s*\d{1,30}(?:\s*(?:\^|\*\*)\s*\d{1,30}){1,12}\s*", re.ASCII)


def tower_log2(text: str) -> float | None:
    """log2 of a power tower of integers >= 2 ('2^2^2^2^2^2', right-associative), for towers safe_eval refuses as too
    large; capped at 1e18 (then 'larger than any written number'). None for anything that is not such a tower."""
    if not _TOWER.fullmatch(text):
        return None
    nums = [int(t) for t in re.findall(r"\d+", text)]
    if min(nums) < 2:
        return None
    log = math.log2(nums[-1])  # log2 of the running exponent
    for b in reversed(nums[:-1]):
        log = 2 ** log * math.log2(b) if log < 60 else 1e18  # log2(b^e) = e * log2(b), with e = 2^log
    return min(log, 1e18)
