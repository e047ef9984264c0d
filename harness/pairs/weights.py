"""Per-pair weight schemes (formulas in harness/pairs/__init__.py): the raw verifier weight of a rejected verdict,
and normalization to mean 1 over the dataset."""
from __future__ import annotations

from statistics import mean

from harness.config import PairsConfig


def verifier_weight(v: dict, cfg: PairsConfig) -> float:
    """Unnormalized importance of a pair from its rejected sample's verdict (formula in the module doc)."""
    broken = 1.0 if (v["arithmetic"] > 0 or v["consistency"] > 0) else 0.0
    return (1 - v["absurdity"]) ** cfg.alpha * (1 - v["distance"]) ** cfg.gamma * (1 + cfg.structure_bonus * broken)


def normalize_weights(raw: list[float], clip_min: float, clip_max: float) -> list[float]:
    """Mean 1 over the dataset, clipped, mean 1 again. All-zero input gives all ones."""
    m = mean(raw) if raw else 0.0
    if m <= 0:
        return [1.0] * len(raw)
    w = [min(clip_max, max(clip_min, x / m)) for x in raw]
    m2 = mean(w)
    return [x / m2 for x in w]


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


def raw_weights(scheme: str, rows: list[dict], cfg: PairsConfig) -> list[float] | None:
    """Unnormalized weights of a pair set under `scheme` (None: uniform), from each row's rejected verdict."""
    if scheme == "verifier":
        return [r["raw_weight"] for r in rows]
    if scheme == "structural":
        return [structural_weight({k: r[f"rej_{k}"] for k in ("absurdity", "distance", "arithmetic", "consistency",
                                                              "coverage")}, cfg) for r in rows]
    return None
