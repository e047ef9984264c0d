"""Per-pair weight schemes (formulas in harness/pairs/__init__.py) and `weigh`, which applies one to a pair set.

A scheme is a function `(pair row, PairsConfig) -> raw weight`, registered with `@weight_scheme(name, description)`
in any module of harness/pairs/; `weigh` normalizes the raw weights to mean 1 over the dataset. A pair set's rows
do not depend on its scheme (for step pairs, the costly resampling of a chosen at every flawed step), so the
pipeline builds a builder's rows once per pool and derives every scheme's pair set from them with `weigh`.
"""
from __future__ import annotations

from statistics import mean

import numpy as np

from harness.config import PairsConfig
from harness.pairs.planted import mining_summary
from harness.registry import get_weight_scheme, register_weight_scheme


def weight_scheme(name: str, description: str):
    """Register `fn(row, cfg) -> raw weight` as a weight scheme, with a one-line description for `harness list`."""
    def deco(fn):
        register_weight_scheme(name, description, fn)
        return fn
    return deco


def verifier_weight(v: dict, cfg: PairsConfig) -> float:
    """Unnormalized importance of a pair from its rejected sample's verdict (formula in the module doc)."""
    broken = 1.0 if (v["arithmetic"] > 0 or v["consistency"] > 0) else 0.0
    return (1 - v["absurdity"]) ** cfg.alpha * (1 - v["distance"]) ** cfg.gamma * (1 + cfg.structure_bonus * broken)


def is_logical(v: dict) -> bool:
    """A logical flaw: true arithmetic, yet the value flow leaves the question or the reference (a consistency or
    coverage flag) -- a misread relation or a left-out quantity, not a slip of calculation."""
    return v["arithmetic"] == 0 and (v["consistency"] > 0 or v["coverage"] > 0)


def structural_weight(v: dict, cfg: PairsConfig) -> float:
    """The `structural` scheme's raw weight: plausibility and nearness as in `verifier_weight`, but the bonus goes to
    logical flaws and an arithmetic slip is scaled down (formula in harness/pairs/__init__.py)."""
    slip = v["arithmetic"] > 0
    return ((1 - v["absurdity"]) ** cfg.alpha * (1 - v["distance"]) ** cfg.gamma
            * (1 + cfg.logic_bonus * is_logical(v)) * (cfg.slip_factor if slip else 1.0))


@weight_scheme("uniform", "w = 1 for every pair (plain DPO)")
def uniform_row(row: dict, cfg: PairsConfig) -> float:
    """w = 1: every pair counts the same."""
    return 1.0


@weight_scheme("verifier", "plausible, near negatives weigh more; a broken chain more still")
def verifier_row(row: dict, cfg: PairsConfig) -> float:
    """w_raw = (1 - absurdity)^alpha * (1 - distance)^gamma * (1 + structure_bonus * broken), broken = an arithmetic
    or consistency flaw in the rejected chain; normalized to mean 1 and clipped to [clip_min, clip_max]
    (pairs.alpha, gamma, structure_bonus). The raw value is computed once, from the full verdict, in `pair_row`."""
    return row["raw_weight"]


@weight_scheme("structural", "as verifier, but logical flaws get the bonus, slips weigh less")
def structural_row(row: dict, cfg: PairsConfig) -> float:
    """w_raw = (1 - absurdity)^alpha * (1 - distance)^gamma * (1 + logic_bonus * logical) * slip, logical = true
    arithmetic with a consistency or coverage flag, slip = pairs.slip_factor after an arithmetic flaw (else 1);
    normalized as `verifier`."""
    return structural_weight({k: row[f"rej_{k}"] for k in ("absurdity", "distance", "arithmetic", "consistency",
                                                           "coverage")}, cfg)


def normalize_weights(raw: list[float], clip_min: float, clip_max: float) -> list[float]:
    """Mean 1 over the dataset, clipped, mean 1 again. All-zero input gives all ones."""
    m = mean(raw) if raw else 0.0
    if m <= 0:
        return [1.0] * len(raw)
    w = [min(clip_max, max(clip_min, x / m)) for x in raw]
    m2 = mean(w)
    return [x / m2 for x in w]


def histogram(ws: list[float], bins: int = 10) -> dict:
    """Equal-width bins over [min, max] (numpy.histogram); one bin when every weight is the same."""
    lo, hi = min(ws), max(ws)
    if hi - lo < 1e-9:
        return {"edges": [lo, hi], "counts": [len(ws)]}
    counts, edges = np.histogram(ws, bins=bins, range=(lo, hi))
    return {"edges": [round(float(e), 4) for e in edges], "counts": [int(c) for c in counts]}


def weigh(rows: list[dict], stats: dict, scheme: str, cfg: PairsConfig) -> tuple[list[dict], dict]:
    """-> (copies of `rows` with `weight` set by `scheme`, `stats` with the scheme and its weight summary). The rows
    come from `build_pairs` under any scheme; an unknown scheme is a ConfigError naming the registered ones."""
    fn = get_weight_scheme(scheme).fn
    weights = normalize_weights([fn(r, cfg) for r in rows], cfg.clip_min, cfg.clip_max)
    out = [{**r, "weight": w} for r, w in zip(rows, weights)]
    summary = {"mean": round(mean(weights), 4), "min": round(min(weights), 4), "max": round(max(weights), 4),
               "histogram": histogram(weights)}
    planted = mining_summary(out)  # its weight share is the scheme's
    return out, {**stats, "scheme": scheme, "weight": summary, **({"planted": planted} if planted else {})}
