"""Paired statistics on fixtures with known answers (no model needed)."""
import numpy as np
import pytest

from harness.reporting.stats import accuracy_interval, holm, mcnemar_exact, mcnemar_mde, paired_difference


def _fixture(n=1000, acc=0.5, seed=0):
    return np.random.default_rng(seed).random(n) < acc


def test_identical_recipes_give_p_one_and_an_interval_at_zero():
    a = _fixture()
    d, m = paired_difference(a, a), mcnemar_exact(a, a)
    assert m["p"] == 1.0 and m["b10"] == m["b01"] == 0
    assert d["low"] <= 0 <= d["high"] and d["diff"] == 0
    assert mcnemar_mde(len(a), m["discordance"]) == 0.0


def test_a_recipe_that_fixes_40_of_1000_and_breaks_none():
    base = _fixture()
    better = base.copy()
    better[np.flatnonzero(~base)[:40]] = True
    m = mcnemar_exact(better, base)
    assert (m["b10"], m["b01"]) == (40, 0)
    assert m["p"] < 1e-6 and m["p"] == pytest.approx(2 * 0.5 ** 40)
    d = paired_difference(better, base)
    assert d["diff"] == pytest.approx(0.04) and 0 < d["low"] < 0.04 < d["high"] < 0.08


def test_mcnemar_is_symmetric_and_matches_the_binomial():
    a, b = _fixture(seed=1), _fixture(seed=2)
    assert mcnemar_exact(a, b)["p"] == pytest.approx(mcnemar_exact(b, a)["p"])
    from scipy.stats import binomtest
    m = mcnemar_exact(a, b)
    assert m["p"] == pytest.approx(binomtest(m["b10"], m["b10"] + m["b01"]).pvalue)


def test_bootstrap_interval_covers_the_truth_about_95_percent():
    """Coverage on 100 simulated paired experiments with a true difference of 3 points."""
    rng = np.random.default_rng(0)
    hits = 0
    for i in range(100):
        base = rng.random(400) < 0.5
        flip_up = rng.random(400) < 0.08
        flip_down = rng.random(400) < 0.05
        better = np.where(base, ~flip_down, flip_up)
        d = paired_difference(better, base, seed=i, n_resamples=1000)
        hits += d["low"] <= 0.5 * 0.08 - 0.5 * 0.05 <= d["high"]
    assert 0.88 <= hits / 100 <= 1.0


def test_cluster_bootstrap_treats_seeds_of_one_problem_as_one_draw():
    """The same 500 problems seen under two seeds: resampling problems (not units) gives a wider interval."""
    base = _fixture(500, seed=3)
    better = base.copy()
    better[np.flatnonzero(~base)[:20]] = True
    a, b = np.tile(better, 2), np.tile(base, 2)
    clusters = np.tile(np.arange(500), 2)
    pooled = paired_difference(a, b)  # wrongly treats 1000 units as independent
    clustered = paired_difference(a, b, clusters)
    assert clustered["n_problems"] == 500 and clustered["diff"] == pytest.approx(pooled["diff"])
    assert clustered["high"] - clustered["low"] > 1.2 * (pooled["high"] - pooled["low"])


def test_mde_shrinks_with_n_and_grows_with_discordance():
    assert mcnemar_mde(1000, 0.06) < mcnemar_mde(200, 0.06)
    assert mcnemar_mde(1000, 0.06) < mcnemar_mde(1000, 0.2)
    # the target: 1,000 problems at ~6% discordance detect 3 points
    assert mcnemar_mde(1000, 0.06) <= 0.03
    # Connor's formula holds at the solution
    from scipy.stats import norm
    d, psi, n = mcnemar_mde(1000, 0.1), 0.1, 1000
    assert (norm.ppf(0.975) * psi ** 0.5 + norm.ppf(0.8) * (psi - d * d) ** 0.5) ** 2 / d ** 2 == pytest.approx(n, rel=1e-6)


def test_holm_matches_the_step_down_rule():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([]) == []


def test_accuracy_interval_over_seeds_and_over_problems():
    one = accuracy_interval([0.5], 1000)
    assert one["kind"].startswith("Wilson") and one["low"] < 0.5 < one["high"] and one["high"] - one["low"] < 0.07
    three = accuracy_interval([0.50, 0.52, 0.48], 1000)
    assert three["kind"].startswith("t") and three["low"] < 0.5 < three["high"]


def test_bad_input_is_rejected():
    with pytest.raises(ValueError):
        paired_difference([1, 0], [1])
    with pytest.raises(ValueError):
        mcnemar_mde(0, 0.1)
