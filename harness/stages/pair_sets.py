"""A pair set's weights, applied after its rows are built: the rows of a builder (for step pairs, the expensive
resampling of a chosen at every flawed step) do not depend on the weight scheme, so the pipeline builds them once
per (pool, builder) and derives every scheme's pair set from them here.

`weigh(rows, stats, scheme, cfg)` on the rows and statistics of `build_pairs(builder, "uniform", ...)` gives exactly
what `build_pairs(builder, scheme, ...)` gives (tests/test_demo_pairs.py)."""
from __future__ import annotations

from statistics import mean

from harness.config import ConfigError, PairsConfig
from harness.pairs import WEIGHT_SCHEMES, normalize_weights
from harness.pairs.build import histogram
from harness.pairs.planted import mining_summary
from harness.pairs.weights import raw_weights


def weigh(rows: list[dict], stats: dict, scheme: str, cfg: PairsConfig) -> tuple[list[dict], dict]:
    """-> (rows with `weight` set by `scheme`, the statistics with the scheme and its weight summary)."""
    if scheme not in WEIGHT_SCHEMES:
        raise ConfigError(f"unknown weight scheme '{scheme}'; allowed: {', '.join(WEIGHT_SCHEMES)}")
    raw = raw_weights(scheme, rows, cfg)
    weights = normalize_weights(raw, cfg.clip_min, cfg.clip_max) if raw is not None else [1.0] * len(rows)
    out = [{**r, "weight": w} for r, w in zip(rows, weights)]
    summary = {"mean": round(mean(weights), 4), "min": round(min(weights), 4), "max": round(max(weights), 4),
               "histogram": histogram(weights)}
    planted = mining_summary(out)  # its weight share is the scheme's, not the uniform rows'
    return out, {**stats, "scheme": scheme, "weight": summary, **({"planted": planted} if planted else {})}
