"""One verdict per evaluated solution, from the experiment's verifier.

lm-eval's `process_results` (tasks/utils.py) scores every greedy solution with the MathVerifier, and the per-sample
log (harness/stages/evaluate.py) stores the full verdict of the same solution. Inside `session(cfg.verifier)` both
ask `verify` here, so the task metrics and the logged verdicts come from the configured `verifier:` section and each
solution is verified once. Outside a session (plain `lm_eval --include_path tasks ...`) the defaults apply and
nothing is memoized.
"""
from __future__ import annotations

import contextlib

_state: dict = {"active": False, "config": None, "verifier": None, "memo": {}}


@contextlib.contextmanager
def session(config=None):
    """Verdicts under `config` (a VerifierConfig or None for the defaults), memoized until the block ends."""
    saved = dict(_state)
    _state.update(active=True, config=config, verifier=None, memo={})
    try:
        yield
    finally:
        _state.clear()
        _state.update(saved)


def verify(question: str, solution: str, reference_answer: str | None):
    """The verdict of one solution (a verifier.Verdict); the same inputs in one session are verified once."""
    key = (question, solution, reference_answer)
    memo = _state["memo"]
    if _state["active"] and key in memo:
        return memo[key]
    if _state["verifier"] is None:
        from verifier import MathVerifier
        _state["verifier"] = MathVerifier(_state["config"])
    v = _state["verifier"].verify(question, solution, reference_answer=reference_answer)
    if _state["active"]:
        memo[key] = v
    return v
