"""Perturbation suite: controlled errors injected into GSM8K reference solutions, with ground truth.

Each perturbation returns (solution, target dimension, expected first flawed step). Used by the tests
and benchmarks to measure recall, attribution (does the target dimension score highest?) and
localization of the MathVerifier. Lines are GSM8K steps; the last line is '#### N'.

  result   one computed result changed (calculator annotation and text), downstream untouched -> arithmetic
  operand  one operand replaced by a number from nowhere, result recomputed                   -> consistency
  drop     a step whose result is used later is deleted                                       -> coverage
  plus1    final answer + 1 (or - 1)                                                           -> answer
  times10  final answer x 10                                                                   -> answer
  truncate the text cut inside a step; the final answer line is lost                          -> form
  repeat   one step repeated three more times                                                  -> form
"""
from __future__ import annotations

import random
import re
from fractions import Fraction

from .safe_eval import EvalError, safe_eval

ANNOT = re.compile(r"<<([^<>=]+)=([^<>]+)>>")
KINDS = ("result", "operand", "drop", "plus1", "times10", "truncate", "repeat")
TARGET = {"result": "arithmetic", "operand": "consistency", "drop": "coverage", "plus1": "answer",
          "times10": "answer", "truncate": "form", "repeat": "form"}


def _fmt(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{float(v):.2f}".rstrip("0").rstrip(".")


def _comp_lines(lines: list[str]) -> list[int]:
    """Steps whose (first) calculator annotation is a real computation, not '<<40=40>>'."""
    return [i for i, ln in enumerate(lines[:-1])
            if (m := ANNOT.search(ln)) and re.search(r"\d\s*[-+*/]\s*[\d.(]", m.group(1))]


def perturb(question: str, solution: str, kind: str, rng: random.Random) -> tuple[str, str, int] | None:
    """-> (perturbed solution, target dimension, expected first flawed step) or None if not applicable."""
    lines = solution.split("\n")
    if not lines[-1].startswith("####"):
        return None
    comp = _comp_lines(lines)
    final = lines[-1][4:].strip()
    q_nums = set(re.findall(r"\d+(?:\.\d+)?", question.replace(",", "")))
    if kind in ("plus1", "times10"):
        try:
            n = Fraction(final.replace(",", ""))
        except ValueError:
            return None
        new = n * 10 if kind == "times10" else n + rng.choice([-1, 1])
        if new == n or new < 0:
            return None
        return "\n".join(lines[:-1] + [f"#### {_fmt(new)}"]), TARGET[kind], len(lines) - 1
    if kind == "repeat":
        i = rng.randrange(len(lines) - 1)
        if len(lines[i]) < 8:
            return None
        return "\n".join(lines[: i + 1] + [lines[i]] * 3 + lines[i + 1:]), "form", i + 1
    if kind == "truncate":
        i = rng.randrange(len(lines) - 1)
        ln = ANNOT.sub(lambda m: m.group(0), lines[i])
        cut = ln[: max(1, len(ln) // 2)]
        if "<<" in cut and ">>" not in cut[cut.rfind("<<"):]:
            cut = cut[: cut.rfind("<<")]
        return "\n".join(lines[:i] + [cut.rstrip()]), "form", i
    if not comp:
        return None
    if kind == "result":
        i = rng.choice(comp)
        m = ANNOT.search(lines[i])
        try:
            value = safe_eval(m.group(1))
        except EvalError:
            return None
        new = value + rng.choice([-2, -1, 1, 2, 10])
        if new < 0 or new.denominator != 1:
            return None
        old_text = m.group(2)
        ln = lines[i][: m.start()] + f"<<{m.group(1)}={_fmt(new)}>>" + lines[i][m.end():].replace(old_text, _fmt(new), 1)
        return "\n".join(lines[:i] + [ln] + lines[i + 1:]), "arithmetic", i
    if kind == "operand":
        i = rng.choice(comp)
        m = ANNOT.search(lines[i])
        ops = re.findall(r"\d+(?:\.\d+)?", m.group(1))
        if not ops:
            return None
        a = rng.choice(ops)
        earlier = set(re.findall(r"\d+(?:\.\d+)?", " ".join(lines[:i]).replace(",", "")))
        for b in rng.sample(range(13, 97), 20):
            if str(b) in q_nums or str(b) in earlier:
                continue
            expr = re.sub(rf"(?<![\d.]){re.escape(a)}(?![\d.])", str(b), m.group(1), count=1)
            try:
                new = safe_eval(expr)
            except EvalError:
                continue
            if new.denominator != 1 or new < 0:
                continue
            head = re.sub(rf"(?<![\d.]){re.escape(a)}(?![\d.])", str(b), lines[i][: m.start()])
            tail = lines[i][m.end():].replace(m.group(2), _fmt(new), 1)
            ln = head + f"<<{expr}={_fmt(new)}>>" + tail
            return "\n".join(lines[:i] + [ln] + lines[i + 1:]), "consistency", i
        return None
    if kind == "drop":
        for i in rng.sample(comp, len(comp)):
            r = ANNOT.search(lines[i]).group(2).strip()
            if r in q_nums:
                continue
            users = [j for j in range(i + 1, len(lines) - 1)
                     if any(re.search(rf"(?<![\d.]){re.escape(r)}(?![\d.])", a.group(1)) for a in ANNOT.finditer(lines[j]))]
            if users:
                return "\n".join(lines[:i] + lines[i + 1:]), "coverage", users[0] - 1
        return None
    raise ValueError(f"unknown perturbation {kind!r}; choose from {KINDS}")
