"""Paired statistics on fixtures with known answers (no model needed)."""
import numpy as np
import pytest

from harness.reporting.stats import (accuracy_interval, holm, mcnemar_exact, mde_from_se, paired_comparison,
                                    paired_difference)


def _fixture(n=1000, acc=0.5, seed=0):
    return np.random.default_rng(seed).random(n) < acc


def test_identical_recipes_give_p_one_and_an_interval_at_zero():
    a = _fixture()
    d, m = paired_difference(a, a), mcnemar_exact(a, a)
    assert m["p"] == 1.0 and m["b10"] == m["b01"] == 0
    assert d["low"] <= 0 <= d["high"] and d["diff"] == 0
    c = paired_comparison(a, a)
    assert c["mde"] is None and "no discordant problem" in c["mde_note"]  # not 0.0: nothing was seen to vary


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


def test_mde_is_2_80_clustered_standard_errors_and_shrinks_with_n():
    from scipy.stats import norm
    assert mde_from_se(0.01) == pytest.approx((norm.ppf(0.975) + norm.ppf(0.8)) * 0.01) == pytest.approx(0.028, abs=1e-3)
    rng = np.random.default_rng(4)

    def mde(n):
        base = rng.random(n) < 0.5
        flips = rng.random(n) < 0.06
        return paired_comparison(np.where(flips, ~base, base), base)["mde"]
    assert mde(1000) < mde(200)
    # the target: 1,000 problems at ~6% discordance detect about 3 points
    assert mde(1000) <= 0.031


def test_mde_sits_about_1_43_half_widths_from_zero():
    """80% power at 5%: (1.96 + 0.84) / 1.96 ~ 1.43 x the 95% interval's half-width (the table used to contradict this)."""
    base = _fixture(1000, seed=5)
    other = base.copy()
    idx = np.random.default_rng(5).choice(1000, 60, replace=False)
    other[idx] = ~other[idx]
    c = paired_comparison(other, base)
    half = (c["high"] - c["low"]) / 2
    assert c["mde"] / half == pytest.approx(1.43, rel=0.1)


def test_holm_matches_the_step_down_rule():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([]) == []


def test_accuracy_interval_is_one_kind_for_one_or_many_seeds():
    one = accuracy_interval(_fixture().astype(float))
    assert one["kind"] == "bootstrap over problems" and one["low"] < one["mean"] < one["high"]
    assert one["high"] - one["low"] < 0.07
    # three identical seeds of one model: the same interval (a problem counts once), not a zero-width t interval
    x = np.tile(_fixture(), 3)
    three = accuracy_interval(x, np.tile(np.arange(1000), 3), per_model=[0.5, 0.5, 0.5])
    assert (three["low"], three["high"]) == pytest.approx((one["low"], one["high"]))
    assert three["spread"]["min"] == three["spread"]["max"] == 0.5


def test_bad_input_is_rejected():
    with pytest.raises(ValueError):
        paired_difference([1, 0], [1])
    with pytest.raises(ValueError):
        paired_comparison([], [])
