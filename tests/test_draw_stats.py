"""Conclusions that survive the next SFT draw: intervals and tests over several draws, one Holm family per table,
report sentences generated from (and checked against) the statistics, and the within-model slice control."""
import itertools
import json

import numpy as np
import pytest
from scipy.stats import binomtest

from harness.reporting import claims
from harness.reporting.analysis import fix_shares, table_family
from harness.reporting.stats import paired_comparison, problem_matrix, sign_flip_test, two_sample_difference

N = 400


def _two_draws_that_disagree(seed=0):
    """Synthetic per-problem 0/1 rows, two SFT draws over the same N problems: the recipe fixes 60 of the baseline's
    errors in draw 0 and breaks 60 of its successes in draw 1 (+15 and -15 points)."""
    rng = np.random.default_rng(seed)
    b0, b1 = rng.random(N) < 0.5, rng.random(N) < 0.5
    a0, a1 = b0.copy(), b1.copy()
    a0[np.flatnonzero(~b0)[:60]] = True
    a1[np.flatnonzero(b1)[:60]] = False
    a, b = np.concatenate([a0, a1]).astype(float), np.concatenate([b0, b1]).astype(float)
    return a, b, np.tile(np.arange(N), 2), np.repeat([0, 1], N)


def test_an_effect_that_flips_between_draws_gets_a_pooled_interval_holding_zero_and_a_per_draw_flip():
    a, b, cl, gr = _two_draws_that_disagree()
    c = paired_comparison(a, b, cl, gr)
    assert c["n_sft_seeds"] == 2 and c["diff"] == pytest.approx(0.0)
    assert c["low"] < 0 < c["high"]
    per = {d["draw"]: d for d in c["per_draw"]}
    assert per[0]["diff"] == pytest.approx(0.15) and per[0]["low"] > 0       # draw 0: a clear gain
    assert per[1]["diff"] == pytest.approx(-0.15) and per[1]["high"] < 0     # draw 1: a clear loss
    assert c["p_perm"] > 0.5 and c["mde"] > 0.15  # the draw spread is in the MDE too


def test_the_per_draw_table_shows_the_flip():
    from harness.reporting.markdown import per_draw_lines
    a, b, cl, gr = _two_draws_that_disagree()
    rows = [{"recipe": "sft", "vs_sft": None}, {"recipe": "dpo", "vs_sft": paired_comparison(a, b, cl, gr)}]
    lines = per_draw_lines(rows, None)
    row = next(x for x in lines if x.startswith("| dpo |"))
    assert "SFT draw 0" in lines[2] and "SFT draw 1" in lines[2]
    assert "+15.0 [" in row and "-15.0 [" in row and row.endswith("| **no** |")
    one = paired_comparison(a[:N], b[:N], cl[:N])
    assert per_draw_lines([{"recipe": "dpo", "vs_sft": one}], None) == []  # one draw: no table


def test_one_draw_reduces_to_the_single_draw_figures():
    """With one draw the pooled figures are the per-problem bootstrap and sign test, and the one per-draw entry is
    the pooled difference with the same interval."""
    a, b, cl, _ = _two_draws_that_disagree()
    one = paired_comparison(a[:N], b[:N], cl[:N])
    grouped = paired_comparison(a[:N], b[:N], cl[:N], np.zeros(N, dtype=int))
    for k in ("diff", "low", "high", "se", "mde", "p", "p_perm"):
        assert one[k] == grouped[k]
    (d,) = one["per_draw"]
    assert (d["diff"], d["low"], d["high"]) == pytest.approx((one["diff"], one["low"], one["high"]))


def test_permutation_p_on_plus_minus_one_differences_is_the_sign_test():
    for pos, neg in ((15, 5), (7, 0), (30, 47)):
        v = np.array([1.0] * pos + [-1.0] * neg + [0.0] * 9)[None]
        assert sign_flip_test(v) == pytest.approx(binomtest(pos, pos + neg, 0.5).pvalue)


def test_permutation_p_uses_magnitudes_and_matches_brute_force():
    v = np.array([[1, 2 / 3, 1 / 3, -1 / 3, 1, 2 / 3, 0, -1 / 3, 1, 1 / 3]])
    s = abs(v.sum())
    brute = np.mean([abs((np.array(e) * v).sum()) >= s - 1e-9 for e in itertools.product([1, -1], repeat=v.size)])
    assert sign_flip_test(v) == pytest.approx(brute)
    # the sign test sees 7 up, 2 down; the magnitudes (big gains, small losses) make the permutation p smaller
    assert sign_flip_test(v) < binomtest(7, 9, 0.5).pvalue


def test_permutation_flips_stay_within_draws():
    """A matrix whose two draws are shuffled copies gives the same p as the flattened cells: each cell flips alone."""
    rng = np.random.default_rng(3)
    m = rng.integers(-3, 4, size=(2, 50)) / 3
    assert sign_flip_test(m) == pytest.approx(sign_flip_test(m[::-1]))
    assert sign_flip_test(np.zeros((2, 5))) == 1.0


def test_one_holm_family_per_table_over_every_comparison():
    comps = [(f"r{i} vs sft", {"p": p, "p_perm": p / 2}) for i, p in enumerate([0.01, 0.02, 0.03])]
    comps += [(f"r{i} vs rft", {"p": p, "p_perm": p}) for i, p in enumerate([0.04, 0.5])]
    fam = table_family(comps)
    assert fam["size"] == 5 and fam["members"][0] == "r0 vs sft"
    assert comps[0][1]["p_holm"] == pytest.approx(0.05)          # 5 x 0.01: the family is all five
    assert comps[0][1]["p_perm_holm"] == pytest.approx(0.025)


def test_planted_pairs_shown_both_ways_enter_the_family_once():
    from harness.reporting.planted import planted_families
    cell = lambda p: {"diff": 0.01, "low": 0.0, "high": 0.02, "p": p, "p_perm": p}  # noqa: E731
    table = {"rft": {"vs": {"dpo": {"planted_rate": cell(0.01), "trigger_accuracy": cell(0.02)}}},
             "dpo": {"vs": {"rft": {"planted_rate": cell(0.01), "trigger_accuracy": cell(0.02)}}}}
    fams = planted_families(table)
    assert fams["recipes"]["size"] == 2 and fams["reading"]["size"] == 0
    assert table["dpo"]["vs"]["rft"]["planted_rate"]["p_holm"] == table["rft"]["vs"]["dpo"]["planted_rate"]["p_holm"]
    assert table["rft"]["vs"]["dpo"]["planted_rate"]["p_holm"] == pytest.approx(0.02)


def test_within_model_slice_control_compares_fix_shares_with_an_interval():
    correct = {f"s{i}": float(i < 6) for i in range(20)} | {f"o{i}": float(i < 20) for i in range(200)}
    f = fix_shares(correct, [f"s{i}" for i in range(20)], [f"o{i}" for i in range(200)])
    assert (f["x"], f["y"]) == pytest.approx((0.3, 0.1)) and f["diff"] == pytest.approx(0.2)
    assert 0 < f["low"] < 0.2 < f["high"] and (f["n_x"], f["n_y"]) == (20, 200)
    assert two_sample_difference([], [1.0])["diff"] is None


# --- report text against the statistics ----------------------------------------------------------------------------

def _stats(n_sft_seeds=1, mdes_control=(0.011, 0.031)):
    def cmp(diff, low, high, mde, p=0.01):
        return {"diff": diff, "low": low, "high": high, "mde": mde, "p": p, "p_holm": p, "n_sft_seeds": n_sft_seeds,
                "n_units": 3000, "n_problems": 1000, "b10": 1, "b01": 0, "test": "exact sign test over problems"}
    rows = [{"recipe": "sft", "accuracy": {"mean": 0.61, "low": 0.58, "high": 0.64, "n": 1000, "n_sft_seeds": n_sft_seeds}},
            {"recipe": "rft", "accuracy": {"mean": 0.662, "n": 1000}, "vs_sft": cmp(0.052, 0.034, 0.072, 0.026)},
            {"recipe": "dpo", "accuracy": {"mean": 0.661, "n": 1000}, "vs_sft": cmp(0.051, 0.033, 0.069, 0.025),
             "vs_control": cmp(-0.001, -0.009, 0.006, mdes_control[0], p=1.0)},
            {"recipe": "sft_more", "accuracy": {"mean": 0.599, "n": 1000}, "vs_sft": cmp(-0.011, -0.03, 0.01, 0.03),
             "vs_control": cmp(-0.063, -0.085, -0.041, mdes_control[1])}]
    return json.loads(json.dumps({"tasks": {"hardneg_synth": rows}, "baselines": {"sft": True, "control": "rft"},
                                  "draws": {"recipes": [0], "sft_only": [1]},
                                  "families": {"hardneg_synth": {"name": "every comparison", "size": 5}},
                                  "sft_seed_spread": {"hardneg_synth": {"per_sft_seed": {0: 0.61, 1: 0.389}}}}))


def _generated(stats):
    labels = {"hardneg_synth": "synth"}
    return "\n\n".join([claims.draws_sentence(stats, "hardneg_synth"), claims.best_sentence(stats, labels),
                        claims.family_sentence(stats, "hardneg_synth"),
                        *claims.mde_sentences(stats, "hardneg_synth", "synth")])


def test_generated_sentences_agree_with_the_statistics():
    stats = _stats()
    text = _generated(stats)
    assert claims.check(text, stats) == []
    assert "SFT draws in every comparison: 1" in text and "no interval above includes" in text
    assert "MDE vs rft on synth: 1.1–3.1 points over all 2 recipes compared (smallest dpo, largest sft_more)" in text
    assert "No recipe is established as best on every count" in text and "(dpo)" in text


@pytest.mark.parametrize("wrong", [
    "SFT-seed spread on synth: SFT seed 0: 61.0, SFT seed 1: 38.9: every interval above includes it.",
    "With several SFT seeds, SFT seeds are resampled first.",
    "SFT draws in every comparison: 2 (SFT seeds 0, 1).",
    "MDE 1.1–1.6 vs rft.",
    "MDE vs rft on synth: 1.1–1.6 points over all 2 recipes compared.",
    "rft, the best on every count, leads the table.",
])
def test_a_sentence_the_statistics_contradict_is_caught(wrong):
    stats = _stats()
    text = _generated(stats) + "\n\n" + wrong
    bad = claims.check(text, stats)
    assert len(bad) == 1 and bad[0].startswith(wrong.split(":")[0][:20]), bad


def test_spread_claims_hold_once_every_comparison_spans_two_draws():
    stats = _stats(n_sft_seeds=2)
    stats["draws"] = {"recipes": [0, 1], "sft_only": []}
    text = _generated(stats)
    assert "SFT draws in every comparison: 2" in text and claims.check(text, stats) == []


def test_an_sft_row_averaging_another_draw_is_caught():
    stats = _stats()
    stats["tasks"]["hardneg_synth"][0]["accuracy"]["n_sft_seeds"] = 2   # sft row = mean of two checkpoints
    assert any("sft row" in x for x in claims.check("", stats))


def test_best_on_every_count_only_when_separated_from_every_other_recipe():
    stats = _stats()
    # make rft clear of dpo too: now rft is top and separated from sft (via its vs_sft), dpo and sft_more
    stats["tasks"]["hardneg_synth"][2]["vs_control"].update(diff=-0.02, low=-0.03, high=-0.01, p_holm=0.01)
    assert claims.best_status(stats)["best"] == "rft"
    text = claims.best_sentence(stats, {})
    assert text.startswith("rft is the best on every count") and claims.check(text, stats) == []


def test_problem_matrix_keeps_draws_apart():
    a, b, cl, gr = _two_draws_that_disagree()
    mat, ids, draws = problem_matrix(a - b, cl, gr)
    assert mat.shape == (2, N) and draws == [0, 1]


def test_the_build_refuses_a_report_whose_text_the_statistics_contradict():
    from harness.reporting.build import check_claims
    stats = _stats()
    check_claims(_generated(stats), stats)
    with pytest.raises(ValueError, match="disagrees with stats.json"):
        check_claims(_generated(stats) + "\n\nMDE 2.3-3.0 points vs SFT and 1.1-1.6 vs\n`rft`.", stats)


# --- what a replicate varies, read from the runs' stage keys -------------------------------------------------------

def _recipes(vary: tuple[str, ...], n=3):
    """Two recipes with n runs each whose upstream keys differ per run on the `vary` stages only."""
    def run(i, name):
        up = {st: (f"{name}-{st}-{i}" if st in vary or st == "train" else f"{st}-shared")
              for st in ("data", "base", "sft", "pool", "pairs", "train")}
        return {"seed": i, "sft_seed": i if "sft" in vary else 0, "upstream": up}
    return {name: {"runs": [run(i, name) for i in range(n)]} for name in ("sft", "dpo", "rft")}


@pytest.mark.parametrize("vary,phrase,wrong", [
    (("base", "sft", "pool", "pairs"), "each replicate is a whole pipeline draw",
     "Replicates vary the training only, as before."),
    (("pool", "pairs"), "replicates share the SFT and vary the pool",
     "Each replicate is a whole pipeline draw."),
    ((), "replicates vary the training only", "Each replicate is a whole pipeline draw."),
])
def test_what_a_replicate_varies_is_read_from_the_keys_and_checked(vary, phrase, wrong):
    from harness.reporting.analysis import replicate_scope
    stats = {**_stats(), "replicates": replicate_scope(_recipes(vary))}
    text = claims.replicate_sentence(stats)
    assert phrase in text and "each recipe has 3 runs" in text and claims.check(text, stats) == []
    assert len(claims.check(text + "\n\n" + wrong, stats)) == 1


def test_one_run_per_recipe_says_nothing_is_replicated():
    from harness.reporting.analysis import replicate_scope
    assert replicate_scope(_recipes((), n=1)) is None
    assert claims.replicate_sentence({"replicates": None}).startswith("One run per recipe")


def test_the_manifest_states_what_a_seed_varies():
    from harness.config import load_config
    from harness.stages.compare import replicate_plan
    cfg = load_config("tiny-planted", [])
    assert replicate_plan(cfg, [0, 1, 2], True)["summary"] == "a seed is a whole pipeline draw"
    plan = replicate_plan(cfg, [0, 1], False)
    assert plan["base_and_sft"] == "shared (seed 0)" and plan["pool_and_pairs"] == "per seed"
    fixed = replicate_plan(load_config("tiny-planted", ["sampling.seed=0"]), [0, 1], False)
    assert fixed["summary"].startswith("a seed varies the training only") and fixed["pool_and_pairs"].startswith("shared")


@pytest.mark.parametrize("draws,row,caption", [
    ([0, 1, 2], "81.3", "per draw: 0: 81.9, 1: 77.0, 2: 85.0"),     # every draw trained recipes: the pooled row
    ([0], "81.9", "other SFT\nseeds: 1: 77.0, 2: 85.0"),            # the others a placebo: the start checkpoint
])
def test_the_terminal_sft_row_is_the_checkpoints_the_recipes_start_from(draws, row, caption):
    from rich.console import Console

    from harness.reporting.markdown import rich_table
    stats = _stats()
    stats["tasks"]["hardneg_synth"][0]["accuracy"]["mean"] = 0.813
    stats["draws"] = {"recipes": draws, "sft_only": [d for d in (0, 1, 2) if d not in draws]}
    stats["sft_seed_spread"] = {"hardneg_synth": {"per_sft_seed": {"0": 0.819, "1": 0.77, "2": 0.85}}}
    results = {"experiment": "x", "seeds": [0, 1, 2], "tasks": ["hardneg_synth"], "primary_seed": 0}
    table = rich_table(results, stats)
    console = Console(record=True, width=100)
    console.print(table)
    text = console.export_text()
    assert caption in table.caption and any(line.split()[:2] == ["sft", row] for line in text.splitlines())
