"""Assemble a pair set: run a builder over the pool, apply the weight scheme, summarize for the report."""
from __future__ import annotations

import random
from statistics import mean

import numpy as np

from harness.config import ConfigError, PairsConfig
from harness.pairs.base import PAIR_BUILDERS, WEIGHT_SCHEMES, BuildContext, NoPairs, is_negative
from harness.pairs.planted import mining_precision
from harness.pairs.weights import normalize_weights, raw_weights
from harness.pairs.whole import whole_rows


def build_pairs(builder: str, scheme: str, problems: list[dict], samples: list[dict], cfg: PairsConfig,
                template: str, seed: int, policy=None) -> tuple[list[dict], dict]:
    """-> (rows with prompt/chosen/rejected/weight + provenance, statistics for the report)."""
    if builder not in PAIR_BUILDERS:
        raise ConfigError(f"unknown pair builder '{builder}'; registered: {', '.join(sorted(PAIR_BUILDERS))}")
    if scheme not in WEIGHT_SCHEMES:
        raise ConfigError(f"unknown weight scheme '{scheme}'; allowed: {', '.join(WEIGHT_SCHEMES)}")
    rng = random.Random(seed)
    by_problem: dict[str, list[dict]] = {}
    for s in samples:
        by_problem.setdefault(s["problem_id"], []).append(s)
    fn = PAIR_BUILDERS[builder]
    if getattr(fn, "makes_rows", False):
        rows, extra = fn(BuildContext(problems, by_problem, cfg, template, rng, seed, policy))
        no_sample = sum(p["id"] not in by_problem for p in problems)
        no_negative = sum(p["id"] in by_problem and not any(is_negative(s) for s in by_problem[p["id"]]) for p in problems)
    else:
        rows, no_negative, no_sample = whole_rows(fn, problems, by_problem, cfg, template, rng)
        extra = {}
    if not rows:
        hint = ("the policy is always right; raise sampling.temperature or sampling.n_problems, or train SFT less "
                "(sft.max_steps)" if no_negative == len(problems) else
                "no flawed sample found a usable chosen; raise sampling.n_problems or pairs.step_resample_k")
        raise NoPairs(
            f"pair builder '{builder}' found no usable pairs in {len(problems)} problems "
            f"({no_negative} had no incorrect sample, {no_sample} no sample): {hint}"
            + (f"; builder statistics: {extra}" if extra else ""))
    raw = raw_weights(scheme, rows, cfg)
    weights = normalize_weights(raw, cfg.clip_min, cfg.clip_max) if raw is not None else [1.0] * len(rows)
    for r, w in zip(rows, weights):
        r["weight"] = w
    planted = mining_precision(rows, problems)
    with_pair = len({r["problem_id"] for r in rows})
    stats = {
        "builder": builder, "scheme": scheme, "pairs": len(rows), "problems": len(problems),
        "problems_without_pair": len(problems) - with_pair, "problems_all_correct": no_negative,
        "pairs_per_problem": round(len(rows) / with_pair, 3),
        "chosen_from_reference": sum(bool(r.get("chosen_is_reference")) for r in rows),
        "rejected_greedy_share": round(mean(bool(r.get("rejected_greedy")) for r in rows), 4),
        "rejected_hard_negative_share": mean(r["rej_hard_negative"] for r in rows),
        "rejected_mean": {k: round(mean(r[f"rej_{k}"] for r in rows), 4)
                          for k in ("wrongness", "absurdity", "distance", "arithmetic", "consistency")},
        "weight": {"mean": round(mean(weights), 4), "min": round(min(weights), 4), "max": round(max(weights), 4),
                   "histogram": histogram(weights)},
        **extra, **({"planted": planted} if planted else {}),
    }
    return rows, stats


def histogram(ws: list[float], bins: int = 10) -> dict:
    """Equal-width bins over [min, max] (numpy.histogram); one bin when every weight is the same."""
    lo, hi = min(ws), max(ws)
    if hi - lo < 1e-9:
        return {"edges": [lo, hi], "counts": [len(ws)]}
    counts, edges = np.histogram(ws, bins=bins, range=(lo, hi))
    return {"edges": [round(float(e), 4) for e in edges], "counts": [int(c) for c in counts]}
