"""Where a wrong final answer first went wrong: the walk back through the value-flow graph (verifier/flow.py).

With a reference solution, the flaw is the earliest step the answer depends on that derives a value *off* the
reference's path; else (or when every ancestor is on the path) the step that produced the answer. The rules that
decide "on the path" (verifier/README.md explains each with an example):
  * a value equal to a reference value, or one a claim uses to derive an on-path value, is on the path — unless
    it is a coincidence: a claim derives it from an off-path value with an operation the reference never uses
    for that value ('1 - 5 = -4' is not the reference's '6 - 2 = 4');
  * the wrong answer is never on the path; when it equals an earlier correct value (the solution stopped at, or
    misread, a reference intermediate), the step that *states it as the answer* is blamed, not the one that
    derived it correctly;
  * a unit-conversion fact (every operand a unit constant: 60 * 60 = 3600) is never a deviation by itself.
"""
from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from .flow import Flow, Node, ancestry, first_off_path, outer_op
from .form import EXPLICIT_ANSWER, ask_words, content_words
from .safe_eval import MAX_CHARS, EvalError, count_operators, safe_eval
from .steps import Claim, numbers_at, parse_step, split_steps


def _fmt(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    f = float(x)
    return f"{f:.4f}".rstrip("0").rstrip(".")


def on_path_test(on_path: set):
    """A value is on the path when the reference (or the question) states it, as a percent or a fraction of it, or
    within 1% for a non-integer; a positive value also when its negative is stated ('20 - 25 = -5' for a loss of 5),
    but a negative one never by its absolute value ('1 - 5 = -4' is not the reference's 4th place)."""
    def on(v: Fraction) -> bool:
        return any(x in on_path for x in ((v, v * 100, v / 100) if v < 0 else (v, -v, v * 100, v / 100))) or (
            v.denominator != 1 and any(abs(v - r) <= abs(r) / 100 for r in on_path if r.denominator != 1))
    return on


UNIT_CONSTANTS = frozenset({7, 12, 24, 30, 52, 60, 100, 365, 1000})


def _with_unit_facts(on, flow: Flow):
    """A claim whose every operand is a unit constant ('60 * 60 = 3600' seconds in an hour) states a fact, not a
    deviation: it is on any path."""
    def on_or_fact(v: Fraction) -> bool:
        n = flow.nodes.get(v)
        return on(v) or (n is not None and n.exact and bool(n.parents) and n.parents <= UNIT_CONSTANTS)
    return on_or_fact


@lru_cache(maxsize=1024)
def reference_operations(reference_solution: str) -> dict[Fraction, frozenset[str]]:
    """value -> the operation families the reference's claims derive it with (sign ignored)."""
    out: dict[Fraction, set[str]] = {}
    for i, line in enumerate(split_steps(reference_solution)):
        claims, text = parse_step(i, line)
        for c in claims:
            for v in (c.value, c.stated, -c.value):
                out.setdefault(v, set()).add(outer_op(c.lhs))
        for v, expr in expression_runs(text):  # '(1/4)*12 boys are on varsity': derived, though never '= 3'
            out.setdefault(v, set()).add(outer_op(expr))
    return {v: frozenset(ops) for v, ops in out.items()}


_RUN = re.compile(r"[\d(][\d.,+\-*/^()% ]*[\d)%]", re.ASCII)


def expression_runs(text: str) -> list[tuple[Fraction, str]]:
    """(value, expression) of every arithmetic expression a text writes, with or without '= result'."""
    out = []
    for m in _RUN.finditer(text):
        expr = m.group(0)
        if count_operators(expr) and len(expr) <= MAX_CHARS and not text[m.end():m.end() + 1].isalpha():
            try:
                out.append((safe_eval(expr), expr))
            except EvalError:
                pass
    return out


def _last_statement(parsed, pred_num: Fraction, answer_step: int | None) -> int | None:
    """The last step before the answer line that states the answer's value (a claim's result or a number)."""
    end = answer_step if answer_step is not None else len(parsed)
    for i in range(min(end, len(parsed)) - 1, -1, -1):
        claims, text = parsed[i]
        if EXPLICIT_ANSWER.search(text):
            continue  # '#### 36' above 'The answer is: 36': an answer line, not a derivation
        if any(c.stated == pred_num for c in claims) or any(v == pred_num for _, v in numbers_at(text)):
            return i
    return None


def _near(u: Fraction, v: Fraction) -> bool:
    """The same number as written, sign aside: equal, or for a non-integer within 1% ('33.33' for 100/3) or rounded
    to an integer ('5' for 5.33 recipes)."""
    u, v = abs(u), abs(v)
    return u == v or (v.denominator != 1 and (abs(u - v) <= v / 100 or u.denominator == 1 and abs(u - v) < 1))


def _stating_step(parsed, pred: Fraction, first: int, last: int, question: str) -> int:
    """Which step turned a correct intermediate into the answer: a later claim computing it again (a new computation
    that only coincides with it: '15 * 0.4 = 6' after '3 * 2 = 6'), else the first step from its derivation on that
    states it in the words of the question's ask ('So she grows 160 roses every week'), else the last one stating it."""
    redo = [i for i in range(first + 1, last + 1) if any(c.stated == pred for c in parsed[i][0])]
    if redo:
        return redo[0]
    ask = ask_words(question)
    for i in range(first, last + 1):
        text = parsed[i][1]
        if ask and any(v == pred for _, v in numbers_at(text)) and content_words(text) & ask:
            return i
    return last


def localize(flow: Flow, parsed: list[tuple[list[Claim], str]], pred_num: Fraction, answer_step: int | None,
             on_path: set | None, reasons: list[str], reference_solution: str | None = None,
             question: str = "", ref_values: set | None = None, given: frozenset = frozenset()
             ) -> tuple[int | None, float]:
    """(first flawed step of a wrong answer, share of the answer's derived ancestry that is off the path)."""
    claims = [c for cs, _ in parsed for c in cs]
    last = _last_statement(parsed, pred_num, answer_step)
    # the answer's node: itself, else the signed or percent form the solution derived ('90 - 200 = -110', 'out $110')
    pred_num = next((v for v in (pred_num, -pred_num, pred_num / 100, pred_num * 100) if v in flow.nodes), pred_num)
    if on_path is not None:
        on = _with_unit_facts(on_path_test(on_path), flow)
        ref_ops = reference_operations(reference_solution) if reference_solution else {}

        def coincidence(n: Node) -> bool:
            """On the path by value only: the reference derives this value with another operation, and/or this
            claim derives it from a value off the path."""
            if not (n.exact and n.op and on(n.value)):
                return False
            other_op = n.value in ref_ops and n.op not in ref_ops[n.value]
            off_parent = any(p in flow.nodes and not on(p) for p in n.parents)
            # a number the question gives, derived again from values the solution derived ('56 - 40 = 16' after
            # '40 + 16 = 56'; '60 / 2 = 30' when 30 is a given): the reference never derives it, so it only coincides
            regiven = not n.in_letter and n.value in given and n.value not in ref_ops and any(
                p in flow.nodes and flow.nodes[p].exact and flow.nodes[p].step < n.step for p in n.parents)
            return other_op and off_parent or regiven
        def mentioned(v: Fraction, step: int) -> bool:
            return any(_near(u, v) for _, text in parsed[step + 1:] for _, u in numbers_at(text))
        node, share = first_off_path(flow, pred_num, on, coincidence, mentioned)
        first = flow.nodes.get(pred_num)
        if node is not None and node.value == pred_num and on(pred_num) and last is not None and first is not None \
                and first.step < last and (ref_values is None or pred_num in ref_values):
            # every ancestor is on the path and the answer's own value is one the reference writes: the solution
            # derived a correct intermediate and then stated it as the answer (a misread question)
            step = _stating_step(parsed, pred_num, first.step, last, question)
            reasons.append(f"step {step}: states {_fmt(pred_num)}, a correct intermediate value, as the answer")
            return step, share
        if node is not None:
            uses = "the wrong answer depends on it" if node.value in ancestry(flow, pred_num) else \
                "it comes before the deviation the wrong answer depends on"
            reasons.append(f"step {node.step}: derives {_fmt(node.value)}, off the reference's path, and {uses}")
            return node.step, share
    # the computation that produced the answer: its last claim, else where the graph first derives it
    made = [c.step for c in claims if abs(c.stated) == abs(pred_num) and (answer_step is None or c.step <= answer_step)]
    node = flow.nodes.get(pred_num)
    step = made[-1] if made else node.step if node is not None else answer_step
    if step is not None:
        reasons.append(f"step {step}: computes the wrong answer {_fmt(pred_num)}")
    return step, 0.0
