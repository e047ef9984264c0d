"""`correct`: the verifiable reward of RLVR.

    r = 1  if answers_match(reference answer, extract_answer(completion))
    r = 0  otherwise (a wrong answer, or none)

The same checker evaluation scores with (harness/tasks/utils.py `process_results`, its `equiv` metric;
verifier.answers): numbers compared exactly as rationals, anything else through math-verify within bounded input.
Reads no setting, so every value of `grpo.flaw_penalty`, `near_credit`, `form_penalty` and `verifier.*` shares one
trained `grpo` stage.
"""
from __future__ import annotations

from verifier import answers_match, extract_answer

from harness.rewards.base import reward


@reward("correct", "1 if the final answer equals the reference (evaluation's checker), else 0")
def correct(cfg):
    """The scorer: 1.0 for a right final answer, else 0.0 (see the module docstring)."""
    def score(text: str, problem: dict) -> float:
        return float(answers_match(str(problem["answer"]), extract_answer(text)))
    return score
