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

from fractions import Fraction

from .flow import Flow, first_off_path
from .form import EXPLICIT_ANSWER
from .steps import Claim, numbers_at


def _fmt(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    f = float(x)
    return f"{f:.4f}".rstrip("0").rstrip(".")


def on_path_test(on_path: set):
    def on(v: Fraction) -> bool:
        return any(x in on_path for x in (v, -v, v * 100, v / 100)) or (
            v.denominator != 1 and any(abs(v - r) <= abs(r) / 100 for r in on_path if r.denominator != 1))
    return on


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


def localize(flow: Flow, parsed: list[tuple[list[Claim], str]], pred_num: Fraction, answer_step: int | None,
             on_path: set | None, reasons: list[str], reference_solution: str | None = None) -> tuple[int | None, float]:
    """(first flawed step of a wrong answer, share of the answer's derived ancestry that is off the path)."""
    claims = [c for cs, _ in parsed for c in cs]
    last = _last_statement(parsed, pred_num, answer_step)
    if on_path is not None:
        on = on_path_test(on_path)
        node, share = first_off_path(flow, pred_num, on)
        if node is not None and node.value == pred_num and on(pred_num) and last is not None:
            # every ancestor is on the path and so is the answer's own value: the solution derived a correct
            # intermediate and then stated it as the answer (a misread question) -- the stating step is the flaw
            reasons.append(f"step {last}: states {_fmt(pred_num)}, a correct intermediate value, as the answer")
            return last, share
        if node is not None:
            reasons.append(f"step {node.step}: derives {_fmt(node.value)}, off the reference's path, and the "
                           f"wrong answer depends on it")
            return node.step, share
    # the computation that produced the answer: its last claim, else where the graph first derives it
    made = [c.step for c in claims if abs(c.stated) == abs(pred_num) and (answer_step is None or c.step <= answer_step)]
    node = flow.nodes.get(pred_num)
    step = made[-1] if made else node.step if node is not None else answer_step
    if step is not None:
        reasons.append(f"step {step}: computes the wrong answer {_fmt(pred_num)}")
    return step, 0.0
