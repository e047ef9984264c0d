"""Issue 15's done-when fixtures: the problem is the unit of inference, movement, and the SFT seed as a random effect."""
import numpy as np
import pytest

from harness.reporting.movement import changed_share, movement
from harness.reporting.stats import mcnemar_exact, paired_comparison

N = 1000


def _base(n=N, seed=0):
    return np.random.default_rng(seed).random(n) < 0.5


def _seeds(*arrays):
    """Units of several seeds over the same problems: (stacked values, problem ids)."""
    return np.concatenate(arrays), np.tile(np.arange(len(arrays[0])), len(arrays))


def test_a_problem_that_flips_identically_in_three_seeds_counts_once():
    base = _base()
    rec = base.copy()
    rec[np.flatnonzero(~base)[:9]] = True   # 9 problems fixed
    rec[np.flatnonzero(base)[:3]] = False   # 3 broken
    one = paired_comparison(rec, base)
    a, cl = _seeds(rec, rec, rec)
    b, _ = _seeds(base, base, base)
    three = paired_comparison(a, b, cl)
    assert (three["b10"], three["b01"]) == (one["b10"], one["b01"]) == (9, 3)
    assert three["p"] == pytest.approx(one["p"]) == pytest.approx(mcnemar_exact(rec, base)["p"])
    assert one["test"] == "exact McNemar" and three["test"] == "exact sign test over problems"
    assert (three["units_b10"], three["units_b01"]) == (27, 9)  # the units, kept for reference, not tested
    # the unit-level test the study used to run is ~3x too confident here
    assert mcnemar_exact(a, b)["p"] < three["p"] / 3


def test_identical_recipes_give_p_one_and_an_interval_holding_zero():
    base = _base()
    a, cl = _seeds(base, base, base)
    c = paired_comparison(a, a, cl)
    assert c["p"] == 1.0 and c["low"] <= 0 <= c["high"] and c["mde"] is None


def test_a_recipe_fixing_40_of_1000_problems_in_every_seed():
    base = _base()
    rec = base.copy()
    rec[np.flatnonzero(~base)[:40]] = True
    a, cl = _seeds(rec, rec, rec)
    b, _ = _seeds(base, base, base)
    c = paired_comparison(a, b, cl)
    assert c["p"] < 1e-6 and (c["b10"], c["b01"]) == (40, 0) and c["n_problems"] == N
    assert c["diff"] == pytest.approx(0.04) and 0 < c["low"] < 0.04 < c["high"]


def test_mde_counts_problems_not_units():
    """Seeds that repeat each other add no information: the MDE stays at its one-seed value instead of shrinking
    by sqrt(3) (what the unit-level formula reported)."""
    base = _base(seed=1)
    rec = base.copy()
    flip = np.random.default_rng(1).choice(N, 50, replace=False)
    rec[flip] = ~rec[flip]
    one = paired_comparison(rec, base)
    a, cl = _seeds(rec, rec, rec)
    b, _ = _seeds(base, base, base)
    assert paired_comparison(a, b, cl)["mde"] == pytest.approx(one["mde"])


def test_sft_seeds_are_a_random_effect_in_the_interval():
    """Two SFT seeds whose recipe effects differ (+4 and -2 points): resampling SFT seeds widens the interval
    beyond the within-SFT problem bootstrap."""
    rng = np.random.default_rng(2)
    base0, base1 = rng.random(N) < 0.5, rng.random(N) < 0.5
    rec0, rec1 = base0.copy(), base1.copy()
    rec0[np.flatnonzero(~base0)[:40]] = True
    rec1[np.flatnonzero(base1)[:20]] = False
    a, b = np.concatenate([rec0, rec1]), np.concatenate([base0, base1])
    cl = np.tile(np.arange(N), 2)
    fixed = paired_comparison(a, b, cl)                       # SFT seeds treated as one
    random = paired_comparison(a, b, cl, np.repeat([0, 1], N))
    assert random["n_sft_seeds"] == 2 and random["diff"] == pytest.approx(fixed["diff"])
    assert random["high"] - random["low"] > 1.5 * (fixed["high"] - fixed["low"])


def test_movement_of_a_recipe_against_itself_is_zero():
    ans = {f"p{i}": str(i % 7) for i in range(50)}
    assert changed_share(ans, ans) == 0.0
    runs = [{"seed": s, "sft_seed": 0, "eval_stage": f"e{s}"} for s in (0, 1)]
    m = movement(runs, runs, lambda r: ans)
    assert m["vs_sft"] == 0.0 and m["floor"] == 0.0 and m["at_floor"]


def test_movement_above_and_at_the_noise_floor():
    sft = {f"p{i}": "1" for i in range(100)}
    moved = {0: {**sft, **{f"p{i}": "2" for i in range(10)}}, 1: {**sft, **{f"p{i}": "2" for i in range(12)}}}
    noisy = {0: {**sft, **{f"p{i}": "2" for i in range(5)}}, 1: {**sft, **{f"p{i}": "3" for i in range(95, 100)}}}
    runs = [{"seed": s, "sft_seed": 0, "eval_stage": f"e{s}"} for s in (0, 1)]
    sft_runs = [{"seed": s, "sft_seed": 0, "eval_stage": "sft"} for s in (0, 1)]

    def of(table):
        return lambda r: sft if r["eval_stage"] == "sft" else table[int(r["eval_stage"][1:])]
    m = movement(runs, sft_runs, of(moved))
    assert m["vs_sft"] == pytest.approx(0.11) and m["floor"] == pytest.approx(0.02) and not m["at_floor"]
    n = movement(runs, sft_runs, of(noisy))
    assert n["vs_sft"] == pytest.approx(0.05) and n["floor"] == pytest.approx(0.10) and n["at_floor"]
    assert movement(runs[:1], sft_runs, of(moved))["floor"] is None  # one seed: no floor
