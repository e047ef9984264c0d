"""Paired statistics for comparing recipes evaluated on the same problems.

Every recipe is scored on the *same* test problems, so differences are measured pairwise:

    paired_difference(a, b, clusters)   accuracy(a) - accuracy(b) with a 95% paired-bootstrap interval
    mcnemar_exact(a, b)                 exact McNemar test on the discordant pairs (binomial, p = 1/2)
    mcnemar_mde(n, discordance)         minimum detectable effect at 80% power for that n and discordance
    holm(pvalues)                       Holm step-down correction across the comparisons of one table
    accuracy_interval(per_seed, n)      mean accuracy with a 95% interval (over seeds, or Wilson over problems)

Inputs `a`, `b` are 0/1 correctness arrays of shape (U,), aligned unit by unit, where a unit is one
(problem, seed) evaluation. With several seeds the same problem appears once per seed; those units are
not independent, so the bootstrap resamples *problems* (the `clusters` array names each unit's problem)
and averages a problem's units before resampling: a cluster bootstrap, which keeps problem difficulty
and seed noise in the interval instead of counting one problem three times as three draws.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats as st

N_RESAMPLES = 5_000
CONFIDENCE = 0.95


def _cluster_means(x: np.ndarray, clusters: np.ndarray | None) -> np.ndarray:
    if clusters is None:
        return x.astype(float)
    _, inv = np.unique(clusters, return_inverse=True)
    return np.bincount(inv, weights=x.astype(float)) / np.bincount(inv)


def paired_difference(a, b, clusters=None, seed: int = 0, n_resamples: int = N_RESAMPLES) -> dict:
    """Accuracy difference a - b (in [-1, 1]) with a 95% paired-bootstrap percentile interval over problems.

    Percentile, not BCa: for a difference of two means BCa moves the endpoints by less than the Monte Carlo
    error of 5,000 resamples (~0.1 point at n = 1,000) and its jackknife costs ~10x, which a report with
    dozens of comparisons feels.

    a, b: (U,) 0/1 arrays over the same units; clusters: (U,) problem ids (None: each unit its own problem).
    Returns {diff, low, high, n_units, n_problems}. Identical predictions give the degenerate interval [d, d].
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"paired_difference needs two equal-length non-empty 1-d arrays, got {a.shape} and {b.shape}")
    ca, cb = _cluster_means(a, clusters), _cluster_means(b, clusters)
    diff = float(ca.mean() - cb.mean())
    out = {"diff": diff, "low": diff, "high": diff, "n_units": len(a), "n_problems": len(ca)}
    if np.allclose(ca - cb, (ca - cb)[0]):
        return out  # no variation to resample
    res = st.bootstrap((ca, cb), lambda x, y, axis=-1: x.mean(axis=axis) - y.mean(axis=axis), paired=True,
                       vectorized=True, n_resamples=n_resamples, confidence_level=CONFIDENCE, method="percentile",
                       rng=np.random.default_rng(seed))
    out.update(low=float(res.confidence_interval.low), high=float(res.confidence_interval.high))
    return out


def mcnemar_exact(a, b) -> dict:
    """Exact McNemar test. b10 = units a got right and b wrong, b01 the reverse.

    p = two-sided binomial test of b10 successes in b10 + b01 trials at 1/2 (scipy.stats.binomtest);
    no discordant pairs gives p = 1.
    """
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    b10, b01 = int((a & ~b).sum()), int((~a & b).sum())
    p = 1.0 if b10 + b01 == 0 else float(st.binomtest(b10, b10 + b01, 0.5).pvalue)
    return {"b10": b10, "b01": b01, "p": p, "discordance": (b10 + b01) / max(len(a), 1)}


def mcnemar_mde(n: int, discordance: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest accuracy difference |p10 - p01| a two-sided McNemar test detects with `power` at level `alpha`.

    Connor (1987): n = (z_{1-alpha/2} sqrt(psi) + z_{power} sqrt(psi - d^2))^2 / d^2, psi = p10 + p01 the
    discordance; solved here for d at the table's n and observed psi. psi = 0 (identical predictions) gives 0:
    nothing was seen to differ, and the figure says so rather than inventing a discordance.
    """
    if n <= 0:
        raise ValueError("mcnemar_mde needs n > 0")
    psi = min(max(discordance, 0.0), 1.0)
    if psi == 0:
        return 0.0
    za, zb = st.norm.ppf(1 - alpha / 2), st.norm.ppf(power)

    def gap(d):
        return (za * math.sqrt(psi) + zb * math.sqrt(max(psi - d * d, 0.0))) / math.sqrt(n) - d
    hi = math.sqrt(psi)
    if gap(hi) > 0:  # even the largest possible effect is not detectable at this n
        return hi
    from scipy.optimize import brentq
    return float(brentq(gap, 1e-12, hi))


def holm(pvalues: list[float]) -> list[float]:
    """Holm step-down adjusted p-values (statsmodels' multipletests), family = the comparisons of one table."""
    if not pvalues:
        return []
    from statsmodels.stats.multitest import multipletests
    return [float(p) for p in multipletests(pvalues, method="holm")[1]]


def accuracy_interval(per_seed: list[float], n_per_seed: int) -> dict:
    """Mean accuracy and its 95% interval.

    Several seeds: Student-t interval over the per-seed accuracies (training noise on this test set).
    One seed: Wilson interval over the n problems (test-set sampling noise).
    """
    m = float(np.mean(per_seed))
    if len(per_seed) >= 2:
        sem = float(np.std(per_seed, ddof=1) / math.sqrt(len(per_seed)))
        if sem == 0:
            return {"mean": m, "low": m, "high": m, "kind": "t over seeds"}
        lo, hi = st.t.interval(CONFIDENCE, len(per_seed) - 1, loc=m, scale=sem)
        return {"mean": m, "low": float(lo), "high": float(hi), "kind": "t over seeds"}
    k = int(round(m * n_per_seed))
    ci = st.binomtest(k, n_per_seed).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
    return {"mean": m, "low": float(ci.low), "high": float(ci.high), "kind": "Wilson over problems"}
