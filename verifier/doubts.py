"""Signs of trouble a solution shows by itself, for the modes without a reference solution.

Without a reference path there is nothing to walk back to, but a solution often says where it went wrong:
  * it derives a negative quantity where the question has none ('30 - 48 = -18 bales');
  * it declares the trouble in words right after the value that caused it ('we can't have a fraction of a year',
    'a negative value doesn't make sense', 'there is no solution'): the flaw is the step that computed that value
    (the nearest claim at or before the declaration), not the declaration.
Each is a flagged step with a reason; no score changes (verifier/README.md).
"""
from __future__ import annotations

import re

_TROUBLE = re.compile(
    r"\b(?:can ?not|can't|cannot|couldn't|isn't possible|is not possible|not possible|impossible|doesn't make sense|"
    r"does not make sense|makes no sense|no (?:valid )?solution|an error in|a mistake in|contradict)|"
    r"\bnot a whole number\b", re.I | re.ASCII)
_CUES = ("not", "n't", "possible", "sense", "solution", "error", "mistake", "contradict", "whole number")
_NEGATIVE_OK = re.compile(r"-\s?\d|\b(?:below|negative|loss|lost|lose|debt|owe|minus|deficit|decrease|temperature|"
                          r"degrees|under|difference|change)\b", re.I | re.ASCII)


def doubt_flaws(parsed: list, question: str) -> list[tuple[int, str]]:
    """(step, reason) for the first negative quantity and the first trouble a solution declares."""
    out = []
    if not _NEGATIVE_OK.search(question):
        neg = next((c for cs, _ in parsed for c in cs if c.ok and c.stated < 0), None)
        if neg is not None:
            out.append((neg.step, f"step {neg.step}: derives a negative quantity ({neg.lhs} = {neg.stated})"))
    for i, (claims, text) in enumerate(parsed):
        low = text.lower()
        m = any(w in low for w in _CUES) and _TROUBLE.search(text)  # substring cues first: the pattern is slow
        if m and m.group(0).lower() not in question.lower():  # 'couldn't finish' restated from the question is no doubt
            made = next((j for j in range(i, -1, -1) if parsed[j][0]), None)
            if made is not None:
                out.append((made, f"step {i} says the value of step {made} cannot be right"))
            break
    return out
