"""Paired statistics for recipes evaluated on the same problems, with the *problem* as the unit of inference.

    paired_comparison(a, b, clusters, groups)   everything one row of a paired table shows (below)
    paired_difference(a, b, clusters, groups)   accuracy(a) - accuracy(b) with a 95% bootstrap interval
    sign_test(a, b, clusters)                   problem-level p: exact sign test on the per-problem differences
    mcnemar_exact(a, b)                         exact McNemar test, for one unit per problem
    mde_from_se(se)                             minimum detectable effect at 80% power, two-sided 5%
    accuracy_interval(x, clusters, groups)      accuracy with the same bootstrap as the differences
    sign_flip_test(mat)                         paired permutation p on the per-problem differences, within draws
    per_draw_differences(mat, draws)            each draw's own difference and interval, beside the pooled one
    two_sample_difference(x, y)                 mean(x) - mean(y) over two disjoint problem sets, bootstrap interval
    holm(pvalues)                               Holm step-down correction across the comparisons of one table

Inputs `a`, `b` are 0/1 correctness arrays of shape (U,), aligned unit by unit; a unit is one (problem, seed,
SFT seed) evaluation, `clusters` names each unit's problem and `groups` its SFT seed (None: one SFT).

Why problems, not units: with several seeds the same problem flips the same way in several of them, and a shared
SFT is one model counted once per seed, so units are not independent. Every figure therefore first averages a
problem's units (within each SFT seed) into one per-problem value, and then:
  - the interval resamples problems (a paired cluster bootstrap); with several SFT seeds it resamples the SFT
    seeds first and then the problems, so the SFT checkpoint's own spread is in the interval (a random effect);
  - the p-value is an exact sign test over problems: b10/b01 count the *problems* whose seed-averaged difference
    is positive/negative, tested against 1/2 with scipy's binomtest. With one unit per problem this is exactly
    the exact McNemar test; a problem that flips identically in three seeds still counts once. With several SFT
    seeds the test is over problems given those SFT seeds (2-3 seeds are too few for a seed-level test); the
    interval is the figure that carries the SFT-seed variance;
  - the MDE is (z_0.975 + z_0.8) x SE ~ 2.80 x SE, SE the clustered standard error of the difference (the SD of the
    per-problem differences over sqrt(n); with several SFT seeds, the two-stage bootstrap's SD). It says what
    the design could see; the interval, not the MDE, bounds the effect. No discordant problem: no MDE (None).
"""
from __future__ import annotations

import functools
import math

import numpy as np
from scipy import stats as st

N_RESAMPLES = 5_000
CONFIDENCE = 0.95
POWER = 0.8
NO_DISCORDANCE = "no discordant problem: nothing varied, so the design's sensitivity is unknown"


def problem_matrix(x, clusters=None, groups=None) -> tuple[np.ndarray, list, list]:
    """(T, n) per-problem means of `x`, one row per group (SFT seed), over the problems every group has.

    Returns (matrix, problem ids, group ids). clusters None: each unit its own problem; groups None: one group.
    """
    x = np.asarray(x, dtype=float)
    clusters = np.arange(len(x)) if clusters is None else np.asarray(clusters)
    groups = np.zeros(len(x), dtype=int) if groups is None else np.asarray(groups)
    gids = sorted(set(groups.tolist()))
    per_group = []
    for g in gids:
        m = groups == g
        ids, inv = np.unique(clusters[m], return_inverse=True)
        per_group.append(dict(zip(ids.tolist(), np.bincount(inv, weights=x[m]) / np.bincount(inv))))
    common = sorted(set.intersection(*(set(d) for d in per_group))) if per_group else []
    return np.array([[d[p] for p in common] for d in per_group], dtype=float).reshape(len(gids), len(common)), common, gids


@functools.lru_cache(maxsize=16)
def _resample_weights(seed: int, n: int, T: int, n_resamples: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The seeded multinomial weights of `bootstrap_mean`: (B, n) problem weights, then (B, T) SFT-seed weights when
    T > 1. A report draws the same ones for every comparison over the same problems, so they are drawn once per
    process (~0.1 s each at n = 1,000: most of a report's time before); read-only, as arrays shared by callers."""
    rng = np.random.default_rng(seed)
    w = rng.multinomial(n, np.full(n, 1.0 / n), size=n_resamples) / n
    g = rng.multinomial(T, np.full(T, 1.0 / T), size=n_resamples) / T if T > 1 else None
    w.flags.writeable = False
    if g is not None:
        g.flags.writeable = False
    return w, g


def bootstrap_mean(mat: np.ndarray, seed: int = 0, n_resamples: int = N_RESAMPLES) -> dict:
    """Mean of a (T, n) matrix with a 95% percentile interval: resample the T groups, then the n problems.

    Percentile, not BCa: for means of bounded per-problem values BCa moves the endpoints by less than the Monte
    Carlo error of 5,000 resamples (~0.1 point at n = 1,000). Resampling by multinomial counts keeps it one matrix
    product. A matrix with no variation gives the degenerate interval [m, m] and sd 0.
    """
    T, n = mat.shape
    m = float(mat.mean())
    if np.allclose(mat, mat.flat[0]):
        return {"mean": m, "low": m, "high": m, "sd": 0.0}
    w, g = _resample_weights(seed, n, T, n_resamples)
    per_group = w @ mat.T                                                         # (B, T)
    dist = (g * per_group).sum(axis=1) if g is not None else per_group[:, 0]
    lo, hi = np.quantile(dist, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    return {"mean": m, "low": float(lo), "high": float(hi), "sd": float(dist.std(ddof=1))}


def _check(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"paired statistics need two equal-length non-empty 1-d arrays, got {a.shape} and {b.shape}")
    return a, b


def paired_difference(a, b, clusters=None, groups=None, seed: int = 0, n_resamples: int = N_RESAMPLES) -> dict:
    """Accuracy difference a - b (in [-1, 1]) with a 95% paired bootstrap over problems (and SFT seeds).

    Returns {diff, low, high, se, n_units, n_problems, n_sft_seeds}; se is the clustered standard error.
    """
    a, b = _check(a, b)
    d, _, _ = problem_matrix(a - b, clusters, groups)
    boot = bootstrap_mean(d, seed, n_resamples)
    T, n = d.shape
    se = boot["sd"] if T > 1 else (float(d[0].std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0)
    return {"diff": boot["mean"], "low": boot["low"], "high": boot["high"], "se": se,
            "n_units": len(a), "n_problems": n, "n_sft_seeds": T}


def mcnemar_exact(a, b) -> dict:
    """Exact McNemar test for one unit per problem: b10 = problems a got right and b wrong, b01 the reverse;
    p = two-sided binomial test of b10 in b10 + b01 at 1/2 (scipy.stats.binomtest); no discordance gives p = 1."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    b10, b01 = int((a & ~b).sum()), int((~a & b).sum())
    p = 1.0 if b10 + b01 == 0 else float(st.binomtest(b10, b10 + b01, 0.5).pvalue)
    return {"b10": b10, "b01": b01, "p": p, "discordance": (b10 + b01) / max(len(a), 1)}


def sign_test(a, b, clusters=None, groups=None) -> dict:
    """Problem-level exact sign test on the per-problem differences (averaged over a problem's seeds and SFT seeds).

    b10/b01: problems whose mean difference is > 0 / < 0; ties (0) drop out, as in McNemar. With one unit per
    problem this *is* the exact McNemar test. Returns {b10, b01, p, discordance (share of problems), test}.
    """
    a, b = _check(a, b)
    d, _, _ = problem_matrix(a - b, clusters, groups)
    per_problem = d.mean(axis=0)
    b10, b01 = int((per_problem > 1e-12).sum()), int((per_problem < -1e-12).sum())
    p = 1.0 if b10 + b01 == 0 else float(st.binomtest(b10, b10 + b01, 0.5).pvalue)
    one_unit = d.shape[1] == len(a)
    return {"b10": b10, "b01": b01, "p": p, "discordance": (b10 + b01) / max(d.shape[1], 1),
            "test": "exact McNemar" if one_unit else "exact sign test over problems"}


MAX_DENOMINATOR = 120  # per-problem differences are means over seeds: multiples of 1/seeds, a small lattice


@functools.lru_cache(maxsize=4)
def _signs(seed: int, cells: int, n_resamples: int) -> np.ndarray:
    """(B, cells) random +-1 as int8, seeded: the same flips for every comparison over the same shape (cached per
    process as `_resample_weights` is); read-only. Only for differences off a small lattice."""
    rng = np.random.default_rng(seed + 1)
    s = (rng.integers(0, 2, size=(n_resamples, cells), dtype=np.int8) * 2 - 1).astype(np.int8)
    s.flags.writeable = False
    return s


def _on_lattice(v: np.ndarray) -> np.ndarray | None:
    """v as integers m = v x L for the smallest L <= MAX_DENOMINATOR that makes every entry whole; None if none."""
    for den in range(1, MAX_DENOMINATOR + 1):
        m = np.rint(v * den)
        if np.all(np.abs(v * den - m) < 1e-6):
            return m.astype(np.int64)
    return None


def _flip_distribution(m: np.ndarray) -> np.ndarray:
    """Exact null pmf of sum(eps_i * |m_i|), eps_i = +-1 fair and independent, on offsets -M..M (M = sum |m|), shape
    (2M + 1,). Cells of one magnitude j and count c add j x (2 Bin(c, 1/2) - c): one convolution per magnitude."""
    from scipy.stats import binom
    m = np.abs(m)
    dist = np.ones(1)
    for j, c in zip(*np.unique(m, return_counts=True)):
        step = np.zeros(2 * j * c + 1)
        step[::2 * j] = binom.pmf(np.arange(c + 1), c, 0.5)                                # offsets -jc..jc by 2j
        dist = np.convolve(dist, step)
    return dist


def sign_flip_test(mat: np.ndarray, seed: int = 0, n_resamples: int = N_RESAMPLES) -> float:
    """Two-sided paired permutation p for mean(mat) = 0, stratified within draws.

    mat: (T, n) per-problem mean differences a - b, one row per draw (`problem_matrix`). Under H0 the two recipes
    are exchangeable on each (draw, problem) cell, so each cell's sign flips on its own and no value moves between
    draws. Statistic S = sum of the cells (the pooled difference x T x n, magnitudes included);
    p = P(|S*| >= |S|) over the 2^k flips of the k nonzero cells. Exact when the cells lie on a lattice of step
    1/L, L <= MAX_DENOMINATOR (means over seeds always do): the null pmf is a convolution of binomials. Otherwise
    B random flips, p = (1 + #{|S*| >= |S|}) / (1 + B). k = 0: p = 1.
    """
    v = np.asarray(mat, dtype=float).ravel()
    nz = v[np.abs(v) > 1e-12]
    if nz.size == 0:
        return 1.0
    m = _on_lattice(nz)
    if m is not None:
        dist = _flip_distribution(m)
        offsets = np.arange(len(dist)) - (len(dist) - 1) // 2
        return float(min(1.0, dist[np.abs(offsets) >= abs(int(m.sum()))].sum()))
    signs = _signs(seed, v.size, n_resamples)
    flipped = np.concatenate([signs[i:i + 512].astype(float) @ v for i in range(0, n_resamples, 512)])  # (B,)
    return float((1 + np.sum(np.abs(flipped) >= abs(v.sum()) - 1e-9)) / (1 + n_resamples))


def per_draw_differences(mat: np.ndarray, draws: list, seed: int = 0, n_resamples: int = N_RESAMPLES) -> list[dict]:
    """[{draw, diff, low, high, n}] for each row of the (T, n) difference matrix: that draw's difference with its
    own bootstrap over problems. With one draw it is the pooled figure."""
    return [{"draw": g, "n": int(mat.shape[1]), **{k: v for k, v in bootstrap_mean(mat[i:i + 1], seed, n_resamples).items()
                                                 if k in ("low", "high")}, "diff": float(mat[i].mean())}
            for i, g in enumerate(draws)]


def two_sample_difference(x, y, seed: int = 0, n_resamples: int = N_RESAMPLES) -> dict:
    """mean(x) - mean(y) for per-problem values on two disjoint problem sets, shapes (n_x,) and (n_y,), with a 95%
    percentile interval from a stratified bootstrap: each set's problems resampled on their own, B times.

    Returns {diff, low, high, x, y, n_x, n_y}; diff None when either set is empty.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if not len(x) or not len(y):
        return {"diff": None, "low": None, "high": None, "x": None, "y": None, "n_x": len(x), "n_y": len(y)}
    wx, _ = _resample_weights(seed, len(x), 1, n_resamples)
    wy, _ = _resample_weights(seed + 1, len(y), 1, n_resamples)
    dist = wx @ x - wy @ y                                                                   # (B,)
    lo, hi = np.quantile(dist, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    return {"diff": float(x.mean() - y.mean()), "low": float(lo), "high": float(hi), "x": float(x.mean()),
            "y": float(y.mean()), "n_x": len(x), "n_y": len(y)}


def mde_from_se(se: float, alpha: float = 0.05, power: float = POWER) -> float:
    """Smallest true difference a two-sided level-`alpha` test detects with `power`: (z_{1-alpha/2} + z_power) x SE."""
    return float((st.norm.ppf(1 - alpha / 2) + st.norm.ppf(power)) * se)


def paired_comparison(a, b, clusters=None, groups=None, seed: int = 0, n_resamples: int = N_RESAMPLES) -> dict:
    """One row of a paired table: the difference and its interval, the problem-level sign test and the paired
    permutation p beside it (`p_perm`), each draw's own difference (`per_draw`), the MDE (None with its reason when
    no problem is discordant) and the unit-level discordant counts for reference."""
    d = paired_difference(a, b, clusters, groups, seed, n_resamples)
    s = sign_test(a, b, clusters, groups)
    mat, _, draws = problem_matrix(np.asarray(a, dtype=float) - np.asarray(b, dtype=float), clusters, groups)
    s["p_perm"] = sign_flip_test(mat, seed, n_resamples)
    s["per_draw"] = per_draw_differences(mat, [g.item() if hasattr(g, "item") else g for g in draws], seed, n_resamples)
    a_, b_ = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    units = {"units_b10": int((a_ & ~b_).sum()), "units_b01": int((~a_ & b_).sum())}
    no_disc = s["b10"] + s["b01"] == 0
    mde = None if no_disc or d["se"] == 0 else mde_from_se(d["se"])
    return {**d, **s, **units, "mde": mde, "mde_note": NO_DISCORDANCE if mde is None else None}


def accuracy_interval(x, clusters=None, groups=None, per_model: list[float] | None = None, seed: int = 0,
                      n_resamples: int = N_RESAMPLES) -> dict:
    """Accuracy (mean of the per-problem, seed-averaged correctness) with the bootstrap of `paired_difference`:
    problems resampled (SFT seeds first when there are several). One kind of interval for every recipe.

    per_model: the accuracies of the recipe's distinct models, reported as the seed spread (not an interval).
    """
    mat, _, _ = problem_matrix(np.asarray(x, dtype=float), clusters, groups)
    if mat.size == 0:
        raise ValueError("accuracy_interval needs at least one unit")
    boot = bootstrap_mean(mat, seed, n_resamples)
    out = {"mean": boot["mean"], "low": boot["low"], "high": boot["high"], "n": mat.shape[1],
           "n_sft_seeds": mat.shape[0], "kind": "bootstrap over problems"
           + (" and SFT seeds" if mat.shape[0] > 1 else "")}
    if per_model:
        out["spread"] = {"min": float(min(per_model)), "max": float(max(per_model)), "models": len(per_model),
                         "sd": float(np.std(per_model, ddof=1)) if len(per_model) > 1 else None}
    return out


def holm(pvalues: list[float]) -> list[float]:
    """Holm step-down adjusted p-values (statsmodels' multipletests), family = the comparisons of one table."""
    if not pvalues:
        return []
    from statsmodels.stats.multitest import multipletests
    return [float(p) for p in multipletests(pvalues, method="holm")[1]]
