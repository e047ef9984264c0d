"""How a pair builder registers, and what every builder shares: the build context, the chosen/negative tests, the
hardness order and the fields of a pair row."""
from __future__ import annotations

import random
from dataclasses import dataclass

from verifier import DIMENSIONS

from harness.config import ConfigError, PairsConfig
from harness.pairs.weights import verifier_weight
from harness.registry import register_pair_builder


def pair_builder(name: str, description: str, rows: bool = False):
    """Register a picker, or with rows=True a row builder (harness/pairs/__init__.py), under `name` with a one-line
    `description` for `harness list`. Any module of harness/pairs/ may hold one: the registry imports them all."""
    def deco(fn):
        fn.makes_rows = rows
        register_pair_builder(name, description, fn)
        return fn
    return deco


class NoPairs(ConfigError):
    """A builder found nothing to pair in this pool: `harness compare` skips that recipe and says why."""
    skip_recipe = True  # a designed skip: on several ranks every rank skips too (harness/runtime/cache.py)


@dataclass
class BuildContext:
    """What a row builder gets: the pool grouped by problem, the settings, and the SFT policy (for resampling)."""
    problems: list[dict]
    by_problem: dict
    cfg: PairsConfig
    template: str
    rng: random.Random
    seed: int
    policy: object = None
    """harness.pairs.step.PolicyContext, or None where no policy is at hand (only pickers then)."""


def clean_correct(s: dict, cfg: PairsConfig) -> bool:
    v = s["verdict"]
    return (v["correct"] and v["arithmetic"] == 0 and v["consistency"] == 0 and v["form"] == 0
            and v["coverage"] <= cfg.chosen_max_coverage)


def is_negative(s: dict) -> bool:
    return not s["verdict"]["correct"]


def hardness(s: dict) -> tuple:
    """Sort key, hardest first: verifier hard negatives, then lower absurdity, nearer answer, higher wrongness."""
    v = s["verdict"]
    return (not v["hard_negative"], v["absurdity"], v["distance"], -v["wrongness"], s["sample_idx"])


def pair_row(prompt: str, chosen: str, rejected: str, problem_id: str, rejected_verdict: dict, cfg: PairsConfig,
             **extra) -> dict:
    """The fields every pair row carries: texts, provenance, the rejected's verdict and its raw verifier weight."""
    v = rejected_verdict
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected, "problem_id": problem_id,
            "raw_weight": verifier_weight(v, cfg), "rej_pred_answer": v.get("pred_answer"), **extra,
            **{f"rej_{k}": v[k] for k in (*DIMENSIONS, "wrongness", "absurdity", "hard_negative")}}
