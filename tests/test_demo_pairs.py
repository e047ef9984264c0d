"""A pair set built once per (pool, builder) and weighted after (`weigh`, harness/pairs/weights.py) is exactly the
pair set `build_pairs` builds for that weight scheme; and DPO precomputes reference log-probs only for the pairs
its steps will see (harness/training/dpo.py `pairs_seen`)."""
import pytest

from harness.config import ConfigError, PairsConfig
from harness.pairs import build_pairs, weigh
from harness.registry import weight_schemes
from harness.training.dpo import pairs_seen
from verifier import MathVerifier

Q = "Tom has 25 marbles. He finds 18 more. Then he gives 7 to a friend. How many marbles does Tom have now?"
REF = "He finds 18 more, so he has 25 + 18 = 43 marbles.\nHe gives away 7, so he has 43 - 7 = 36 marbles.\nThe answer is: 36"
WRONG = [REF.replace("25 + 18 = 43", "25 + 18 = 45").replace("43 - 7 = 36", "45 - 7 = 38").replace(": 36", ": 38"),
         REF.replace(": 36", ": 37"), "He has 25 * 18 * 7 = 3150 marbles.\nThe answer is: 3150"]


@pytest.fixture(scope="module")
def pool():
    v = MathVerifier()
    problems = [{"id": f"p{i}", "question": Q, "solution": REF, "answer": "36"} for i in range(4)]
    samples = [{"problem_id": p["id"], "sample_idx": j, "solution": sol,
                "verdict": v.verify(Q, sol, reference_answer="36", reference_solution=REF).to_dict()}
               for p in problems for j, sol in enumerate([REF, *WRONG[: 1 + int(p["id"][1]) % 3]])]
    return problems, samples


def _planted(problems):
    """The same problems in a planted-flaw world: the first two carry a misread whose answer is 38 (WRONG[0]'s)."""
    return [{**p, "planted": {"trigger": "misread" if i < 2 else None, "answer": "38" if i < 2 else None}}
            for i, p in enumerate(problems)]


@pytest.mark.parametrize("planted", [False, True])
@pytest.mark.parametrize("builder", ["hard", "random", "structural"])
def test_weighting_after_the_build_equals_building_per_scheme(pool, builder, planted):
    problems, samples = pool
    problems = _planted(problems) if planted else problems
    cfg = PairsConfig(max_per_problem=2)
    base_rows, base_stats = build_pairs(builder, "uniform", problems, samples, cfg, "Q: {question}\nA:", 3)
    for scheme in weight_schemes():
        want_rows, want_stats = build_pairs(builder, scheme, problems, samples, cfg, "Q: {question}\nA:", 3)
        got_rows, got_stats = weigh(base_rows, base_stats, scheme, cfg)
        assert got_rows == want_rows and got_stats == want_stats, scheme
        assert ("planted" in got_stats) == planted
        # a weighted set re-weighed gives the same as weighing the uniform rows: weights read only the verdicts
        other = "verifier" if scheme != "verifier" else "structural"
        assert weigh(*weigh(base_rows, base_stats, other, cfg), scheme, cfg) == (got_rows, got_stats), scheme
    for scheme in ("verifier", "structural"):  # the weights really differ from uniform (and the planted weight share)
        assert len({r["weight"] for r in weigh(base_rows, base_stats, scheme, cfg)[0]}) > 1, scheme
    assert all(r["weight"] == 1.0 for r in base_rows)  # the shared rows are not changed in place


def test_unknown_scheme_is_a_config_error(pool):
    problems, samples = pool
    rows, stats = build_pairs("hard", "uniform", problems, samples, PairsConfig(), "{question}", 0)
    with pytest.raises(ConfigError, match="unknown weight scheme 'wpo'"):
        weigh(rows, stats, "wpo", PairsConfig())


def test_pairs_seen_keeps_what_fits_and_subsamples_the_rest():
    rows = [{"i": i} for i in range(100)]
    assert pairs_seen(rows, 720, seed=0) is rows  # 90 steps x batch 8 > 100 pairs: all of them
    kept = pairs_seen(rows, 40, seed=0)
    assert len(kept) == 40 and len({r["i"] for r in kept}) == 40
    assert [r["i"] for r in kept] == sorted(r["i"] for r in kept)  # original order
    assert kept == pairs_seen(rows, 40, seed=0) and kept != pairs_seen(rows, 40, seed=1)
