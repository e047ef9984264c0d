"""The `@reward` decorator: registers a reward factory in harness.registry (see the package docstring)."""
from __future__ import annotations

from harness.registry import register_reward


def reward(name: str, description: str, reads: tuple = ()):
    """Register a reward factory `fn(cfg) -> score(text, problem) -> float` under `name`, with a one-line
    `description` for `harness list` and the config fields its scores read (`reads`, dotted: 'grpo.flaw_penalty',
    'verifier.*'). Any module of harness/rewards/ may hold one: the registry imports them all."""
    def deco(fn):
        register_reward(name, description, fn, reads)
        return fn
    return deco
