"""Literals that must be rewritten before any number is scanned, or they are split into other numbers.

  * Unicode vulgar fractions: '¾' -> '(3/4)', '1½' -> '(1+1/2)' (never the '3⁄4' that NFKC makes of '¾', nor the
    '13⁄4' it makes of '1¾');
  * full-width forms '３ + ４ = ７' -> '3 + 4 = 7' (only the ASCII block U+FF01..FF5E and the ideographic space);
  * scientific notation '1.5e3' -> '1500' (exactly, via Decimal; |exponent| <= 30, else the literal is dropped);
  * hex-looking literals '0x1F' -> dropped: they are codes, not '0 x 1F' (a product);
  * '\\boxed{...}' -> its content, so '12 \\times 3 = \\boxed{\\$36}' is a computation;
  * operators and equality in words between numbers: '5 times 3 is 15' -> '5 * 3 = 15' ('plus', 'minus',
    'divided by', 'multiplied by'; 'equals' only after a sum, difference or product: '$15 is 1 - 1/4' stays prose).
"""
from __future__ import annotations

import re
from decimal import Decimal

_VULGAR = {"½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅕": "1/5", "⅖": "2/5", "⅗": "3/5",
           "⅘": "4/5", "⅙": "1/6", "⅚": "5/6", "⅐": "1/7", "⅛": "1/8", "⅜": "3/8", "⅝": "5/8", "⅞": "7/8",
           "⅑": "1/9", "⅒": "1/10"}
_VULGAR_RE = re.compile(r"(\d?)\s?([" + "".join(_VULGAR) + "])")
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0x2044: ord("/")}
_SCI = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[eE]([-+]?\d{1,3})(?![\w.])", re.ASCII)
_HEX = re.compile(r"(?<![\w.])0[xX][0-9A-Fa-f]+(?![\w.])", re.ASCII)
_BOXED = re.compile(r"\\boxed\s?\{([^{}]{0,120})\}", re.ASCII)
MAX_SCI_EXPONENT = 30
_OPS_IN_WORDS = {"times": "*", "multiplied by": "*", "divided by": "/", "plus": "+", "minus": "-"}
_WORD_OPS = re.compile(r"(?<=\d)(\s+[A-Za-z]+)?\s+(times|multiplied by|divided by|plus|minus)\s+(?=\$?\d)", re.ASCII)
_HAS_WORD_OP = re.compile(r"times|multiplied|divided|plus|minus|equal", re.ASCII)
_HAS_SCI = re.compile(r"\d[eE][-+]?\d", re.ASCII)
_WORD_EQ = re.compile(r"(?<![\d.,])(\d[\d.,]*\s*[-+*]\s*\$?\d[\d.,]*)\s+(?:equals|is equal to)\s+(?=\$?\d)", re.ASCII)


def _vulgar(m: re.Match) -> str:
    frac = _VULGAR[m.group(2)]
    return f" ({m.group(1)}+{frac})" if m.group(1) else f" ({frac})"


def _sci(m: re.Match) -> str:
    e = int(m.group(2))
    if abs(e) > MAX_SCI_EXPONENT:
        return " "  # unreadable, not misread as two numbers
    s = format(Decimal(m.group(1)).scaleb(e), "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def prepare(line: str) -> str:
    """Rewrite the literals above; every other character is left as it is."""
    if not line.isascii():
        line = line.translate(_FULL_WIDTH)
        if not line.isascii():
            line = _VULGAR_RE.sub(_vulgar, line)
    if _HAS_SCI.search(line):
        line = _SCI.sub(_sci, line)
    if "0x" in line or "0X" in line:
        line = _HEX.sub(" ", line)
    if _HAS_WORD_OP.search(line):
        line = _WORD_OPS.sub(lambda m: f"{m.group(1) or ''} {_OPS_IN_WORDS[m.group(2)]} ", line)
        line = _WORD_EQ.sub(r"\1 = ", line)
    if "\\boxed" in line:
        for _ in range(2):
            line = _BOXED.sub(r" \1 ", line)
    return line
