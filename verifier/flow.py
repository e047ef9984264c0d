"""The value-flow graph of a solution: which step derives each value, and from which values.

Nodes are derived values, each at the step that first states it. A claim `LHS = N` derives N from the numbers of
its LHS (exact edges); a number that first appears in prose ('so she has 36 left') is derived from the derived
values the same step mentions (coarse edges). Question numbers and configured constants are leaves, not nodes.

The graph serves two purposes (verifier/README.md has a worked example):
  * internal checks, with or without a reference: an operand from nowhere, a value used before the step that
    derives it, a value the reference derives that this solution uses without deriving (a skipped step);
  * localization of a wrong final answer: walk back from the answer through its ancestry to the earliest step
    that derives a value off the reference's path (`first_off_path`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from .steps import Claim, numbers_at


@dataclass
class Node:
    value: Fraction
    step: int
    parents: frozenset[Fraction]
    exact: bool
    """True when a claim derived it (its parents are the claim's operands), False when prose did."""
    op: str = ""
    """the claim's outermost operation ('+' for + and -, '*' for * and /, '^'), '' for prose."""
    in_letter: bool = False
    """derived by an expression in the unknown at its true value (add_derived), not by a claim: it uses numbers, but
    it does not make a value 'used later' (the dropped-deviation rule) nor vouch for it."""


@dataclass
class Flow:
    nodes: dict[Fraction, Node] = field(default_factory=dict)
    flaws: list[tuple[int, str]] = field(default_factory=list)
    """(step, reason) of every internal-check failure, in step order."""
    broken_claims: int = 0
    """claims with an operand from nowhere (or used before it is derived)."""
    claimed: dict[Fraction, int] = field(default_factory=dict)
    """the first step whose claim computes each value."""


def build_flow(parsed: list[tuple[list[Claim], str]], given: frozenset[Fraction], soft: tuple,
               must_derive: set[Fraction], words: list[tuple[frozenset, frozenset]] | None = None) -> Flow:
    """parsed: per step, its claims and normalized text (verifier.steps.parse_step); given: the question's literal
    numbers; soft: sets of further values any step may use (constants, the question's number words); words: per
    step, (values only its words spell, known within the step; everything it supplies, known after it)."""
    flow = Flow()
    nodes = flow.nodes
    seen: set[Fraction] = set()  # stated so far, by a claim, in prose or by a word (givens and soft sets not copied)

    def known(v: Fraction) -> bool:
        return v in seen or v in given or any(v in s for s in soft)
    derived: set[Fraction] = set()
    results: list[Fraction] = []
    pending: list[tuple[int, Fraction, list[Fraction]]] = []  # unsourced operands: may be derived later
    for i, (claims, text) in enumerate(parsed):
        nums = numbers_at(text)
        if words:  # 'two dozen eggs, so 24 * 2': a value the step's own words spell is sourced within the step
            seen.update(words[i][0])
        line_derived = {v for _, v in nums if v in nodes}  # parents of prose-derived values
        for c in sorted(claims, key=lambda c: c.pos) if len(claims) > 1 else claims:
            before = {v for p, v in nums if p < c.pos}  # stated earlier in this step: 'he has 5 ..., so 5 + 7'
            broken = False
            for op in c.operands:
                if must_derive and op in must_derive and op not in derived and op not in before:
                    flow.flaws.append((i, f"step {i}: uses {_fmt(op)}, which the reference derives, without deriving it"))
                elif op not in before and not known(op) and (op >= 0 or not known(-op) and -op not in before):
                    broken = True
                    pending.append((i, op, list(results)))
            flow.broken_claims += broken
            # a written fraction is one value too: '4/3 * 12 = 16' uses the 4/3 derived before, not only 4 and 3
            parents = frozenset(c.operands) | _fractions(c.lhs)
            op = outer_op(c.lhs)
            for v in (*c.inner, c.value, c.stated):
                if v not in nodes:  # even a given or a constant: this claim is where the solution derives it
                    nodes[v] = Node(v, i, parents, True, op if v in (c.value, c.stated) else "")
                flow.claimed.setdefault(v, i)
                seen.add(v)
                derived.add(v)
            line_derived.add(c.stated)
            results.append(c.stated)
        spans = [(c.pos, c.pos + len(c.lhs)) for c in claims if c.pos]
        for p, v in nums:
            if spans and any(a <= p < b for a, b in spans):
                continue  # an operand inside a claim's left side: used there, not derived ('(1/2)*90 = 45')
            # a number new to the solution is derived here; a constant or a value a word supplies ('a week': 7)
            # is derived only when the step states it as a result ('... = 12 inches') or also mentions derived
            # values ('so 4 + 3 is 7 days'): else it is a unit or a restated fact
            if v not in nodes and (v not in given and (len(line_derived) > (v in line_derived) or not known(v) and
                                                        not known(abs(v))) or text[:p].rstrip().endswith("=")):
                nodes[v] = Node(v, i, frozenset(line_derived - {v}), False)
            seen.add(v)
            derived.add(v)
        if words:
            seen.update(words[i][1])
    for i, op, earlier in pending:
        later = flow.claimed.get(op, flow.claimed.get(-op))
        if later is not None and later > i:
            reason = f"step {i}: uses {_fmt(op)} before step {later} derives it"
        else:
            near = [r for r in earlier if _looks_like(r, abs(op))]
            reason = f"step {i}: operand {_fmt(op)} " + (
                f"changes the earlier result {_fmt(near[-1])}" if near else "appears neither in the question nor in an earlier step")
        flow.flaws.append((i, reason))
    flow.flaws.sort(key=lambda f: f[0])
    return flow


def add_derived(flow: Flow, extra: list[tuple[int, Fraction, frozenset[Fraction], str]]) -> None:
    """Values steps derive outside any claim, as (step, value, numbers used, expression): an expression in the
    unknown at its true value ('200 - x' is 50 at x = 150). Nodes stay in step order (first_off_path relies on it)."""
    for step, v, parents, expr in extra:
        if v not in flow.nodes or flow.nodes[v].step > step:
            flow.nodes[v] = Node(v, step, parents, True, outer_op(expr), in_letter=True)
    flow.nodes = dict(sorted(flow.nodes.items(), key=lambda kv: kv[1].step))


_FRACTION = re.compile(r"(?<![\d.])(\d{1,6})\s*/\s*(\d{1,6})(?![\d.])", re.ASCII)


def _fractions(lhs: str) -> frozenset[Fraction]:
    return frozenset(Fraction(int(a), int(b)) for a, b in _FRACTION.findall(lhs) if int(b)) if "/" in lhs else frozenset()


def ancestry(flow: Flow, value: Fraction) -> dict[Fraction, Node]:
    """Every derived value `value` depends on, itself included."""
    out: dict[Fraction, Node] = {}
    stack = [value]
    while stack:
        v = stack.pop()
        n = flow.nodes.get(v)
        if n is None or v in out:
            continue
        out[v] = n
        stack.extend(n.parents)
    return out


def outer_op(expr: str) -> str:
    """The family of the operation evaluated last: '+' (sums, differences), '*' (products, quotients), '^'."""
    depth, seen = 0, set()
    for k, ch in enumerate(expr):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and ch in "+-*/^" and k and expr[:k].rstrip()[-1:] not in "+-*/^(":
            seen.add(ch)
    return "+" if seen & {"+", "-"} else "*" if seen & {"*", "/"} else "^" if seen else ""


def first_off_path(flow: Flow, answer: Fraction, on_path, coincidence=None, mentioned=None) -> tuple[Node | None, float]:
    """(the earliest node the answer depends on whose value is off the reference's path, or None; the share of
    the answer's derived ancestry that is off the path).

    A value is on the path when `on_path(value)` (the reference states it) or when a claim uses it to derive an
    on-path value: a partial sum taken in another order ('(a + c) + b' where the reference writes 'a + b') led
    back to the reference, so it is an alternative route, not an error. A value a claim computes off the path and
    then drops (no later claim uses it) is the first deviation when it comes before the one the answer depends on and
    a later step still mentions it (`mentioned(value, step)`): the graph's coarse prose edges often miss how such a
    value fed the reasoning; one never mentioned again is a dead end, not a deviation.
    """
    anc = ancestry(flow, answer)
    if not anc:
        return None, 0.0
    good: set[Fraction] = set()
    children: dict[Fraction, list[Node]] = {}
    for n in flow.nodes.values():
        if n.exact and not n.in_letter:
            for p in n.parents:
                children.setdefault(p, []).append(n)
    odd = {n.value for n in flow.nodes.values() if coincidence and coincidence(n)}
    for n in reversed(list(flow.nodes.values())):  # insertion order: a child is created after its parents
        if n.value == answer or n.value in odd:
            continue  # the answer is wrong: it is never on the path, and never vouches for what it is made of
        if on_path(n.value) or any(ch.value in good for ch in children.get(n.value, ()) if ch is not n):
            good.add(n.value)
    bad = [n for v, n in anc.items() if v not in good]
    first = min(bad, key=lambda n: n.step) if bad else None
    if first is not None:
        # a value computed off the path and then dropped (no later claim uses it) still counts when it comes first
        dropped = [n for n in flow.nodes.values() if n.exact and n.value not in good and n.value != answer
                   and n.step < first.step and not children.get(n.value)
                   and (mentioned is None or n.in_letter or mentioned(n.value, n.step))]
        if dropped:
            first = min(dropped, key=lambda n: n.step)
    return first, len(bad) / len(anc)


def _looks_like(r: Fraction, op: Fraction) -> bool:
    """op is a miscopied r: off by at most 10%, or the same digits in another order."""
    if r == op or r == 0:
        return False
    return abs(op - r) <= abs(r) / 10 or sorted(_fmt(op)) == sorted(_fmt(r))


def _fmt(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    f = float(x)
    return f"{f:.4f}".rstrip("0").rstrip(".")
