"""`verifier`: the MathVerifier used online: correctness, shaped by the completion's error profile.

    r = 1[correct] * (1 - flaw_penalty * 1[flagged])
      + 1[not correct] * near_credit * 1[slip]
      - form_penalty * form

One verdict per completion: `MathVerifier(verifier.*).verify(question, completion, reference answer, reference
solution, truncated)`, the pool's call (harness/stages/kinds/pool.py). Its terms:

correct: the verdict's answer check, evaluation's checker (verifier.answers), as in the `correct` reward.

flagged: a right answer behind a step the verifier flags, a false computation or a broken chain (the verdict's
first_error_step is set). A lucky or compensating answer earns 1 - grpo.flaw_penalty, not 1.

slip: a wrong answer near the reference (distance <= verifier.near_distance) whose first flagged step is an
arithmetic slip on the reference's path: that step states a false result of a computation whose true value the
reference solution itself derives. The reading was right and one computation slipped: it earns grpo.near_credit.
Without a reference solution there is no slip credit.

form: the verdict's form score in [0, 1] (no stated final answer, a cut-off or degenerate text), times
grpo.form_penalty, taken off.

Every constant is a config field: grpo.flaw_penalty (0.5), grpo.near_credit (0.25), grpo.form_penalty (0.25),
verifier.near_distance (0.3). The config keeps near_credit <= 1 - flaw_penalty, so no wrong answer outscores a
right one; r lies in [-form_penalty, 1].

What earns no credit, by design: a wrong answer with true arithmetic. That is what the planted flaw looks like
(harness/data/planted.py: a misread relation, a take-away step written as an add, or an omitted step, computed
correctly and carried to the end). Its first flagged step is the off-path step the verifier localizes, whose
computation is true, so it is no slip; a misread whose own line also slips ('33 + 2 = 34' for the reference's
'33 - 2 = 31') is none either, since the true value 35 is not on the reference's path. Where the binary reward
gives every wrong answer 0, this one ranks a slip on the right reading above a wrong reading inside each GRPO
group, so the advantage pushes harder against the reading than against the slip, and it ranks a right answer
reached through a false step below a clean one. Model text is parsed by the verifier, never evaluated.
"""
from __future__ import annotations

from fractions import Fraction

from verifier import MathVerifier, Verdict
from verifier.answers import to_number
from verifier.steps import parse_step, split_steps

from harness.rewards.base import reward


def reference_path(reference_solution: str | None, reference_answer: str | None) -> set[Fraction]:
    """The values the reference solution derives (the results its computations state) and its final answer."""
    out: set[Fraction] = set()
    for i, line in enumerate(split_steps(reference_solution or "")):
        out.update(c.stated for c in parse_step(i, line)[0])
    answer = to_number(reference_answer)
    if answer is not None:
        out.add(answer)
    return out


def is_slip(v: Verdict, text: str, reference_solution: str | None, reference_answer: str | None,
            near_distance: float) -> bool:
    """A wrong, near answer whose first flagged step states a false computation whose true value is on the
    reference's path (see the module docstring)."""
    if v.correct or v.first_error_step is None or v.distance > near_distance or not reference_solution:
        return False
    steps = split_steps(text)
    if v.first_error_step >= len(steps):
        return False
    claims, _ = parse_step(v.first_error_step, steps[v.first_error_step])
    path = reference_path(reference_solution, reference_answer)
    return any(not c.ok and c.value in path for c in claims)


def shaped(v: Verdict, slip: bool, flaw_penalty: float, near_credit: float, form_penalty: float) -> float:
    """The formula of the module docstring, from a verdict and the slip test."""
    if v.correct:
        r = 1.0 - flaw_penalty * (v.first_error_step is not None)
    else:
        r = near_credit * slip
    return r - form_penalty * v.form


@reward("verifier", "correctness shaped by the verifier: a flagged step costs, a slip on the right path earns a bit",
        reads=("grpo.flaw_penalty", "grpo.near_credit", "grpo.form_penalty", "verifier.*"))
def verifier_reward(cfg):
    """The scorer: one MathVerifier verdict per completion, shaped by the formula of the module docstring with the
    constants grpo.flaw_penalty, grpo.near_credit, grpo.form_penalty and verifier.near_distance."""
    mv, g = MathVerifier(cfg.verifier), cfg.grpo

    def score(text: str, problem: dict) -> float:
        answer, solution = str(problem["answer"]), problem.get("solution")
        v = mv.verify(problem["question"], text, reference_answer=answer, reference_solution=solution,
                      truncated=bool(problem.get("truncated", False)))
        slip = is_slip(v, text, solution, answer, cfg.verifier.near_distance)
        return shaped(v, slip, g.flaw_penalty, g.near_credit, g.form_penalty)
    return score
