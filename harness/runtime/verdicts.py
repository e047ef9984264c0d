"""One verdict per evaluated solution, a pure function of the verifier settings and the solution.

lm-eval's `process_results` (harness/tasks/utils.py) scores every greedy solution with the MathVerifier built from
the verifier settings its doc carries (the task loader copies them from the task metadata into each doc), and the
per-sample log (harness/stages/evaluate.py) asks for the verdict of the same doc here again: the memo returns the
very verdict process_results computed instead of verifying twice. Nothing else is remembered between calls, so
`harness compare` and plain `lm_eval --metadata ...` score a doc identically.

    verifier_json({"near_distance": 0.2})   # canonical settings string a doc carries
    verify(settings_json, question, solution, reference_answer)
"""
from __future__ import annotations

import dataclasses
import functools
import json


def verifier_json(settings=None) -> str:
    """The canonical JSON of verifier settings: a VerifierConfig, a dict or JSON string of some or all of its fields
    (the rest: defaults), or None (all defaults)."""
    from verifier import VerifierConfig
    if isinstance(settings, str):  # already JSON (e.g. a doc's field)
        settings = json.loads(settings)
    cfg = settings if isinstance(settings, VerifierConfig) else VerifierConfig(**(settings or {}))
    return json.dumps(dataclasses.asdict(cfg), sort_keys=True)


@functools.lru_cache(maxsize=8)
def verifier(settings_json: str):
    """The MathVerifier of one settings string (stateless apart from its config, so one per settings)."""
    from verifier import MathVerifier, VerifierConfig
    return MathVerifier(VerifierConfig(**json.loads(settings_json)))


@functools.lru_cache(maxsize=1 << 16)
def verify(settings_json: str, question: str, solution: str, reference_answer: str | None):
    """The verdict (a verifier.Verdict, treat as read-only) of one solution under `settings_json`."""
    return verifier(settings_json).verify(question, solution, reference_answer=reference_answer)
