import random
from statistics import mean

import pytest

from harness.config import ConfigError, PairsConfig
from harness.pairs import build_pairs, normalize_weights, pool_summary, verifier_weight
from verifier import MathVerifier

Q = "Tom has 25 marbles. He finds 18 more. Then he gives 7 to a friend. How many marbles does Tom have now?"
REF = "He finds 18 more, so he has 25 + 18 = 43 marbles.\nHe gives away 7, so he has 43 - 7 = 36 marbles.\nThe answer is: 36"
SAMPLES = {
    "clean": REF,
    "slip": REF.replace("25 + 18 = 43", "25 + 18 = 45").replace("43 - 7 = 36", "45 - 7 = 38").replace(": 36", ": 38"),
    "off_by_one": REF.replace(": 36", ": 37"),
    "absurd": "He has 25 * 18 * 7 = 3150 marbles.\nThe answer is: 3150",
    "degenerate": "He finds 18 more. He finds 18 more. He finds 18 more. He finds 18 more.",
}


@pytest.fixture(scope="module")
def pool():
    v = MathVerifier()
    problems = [{"id": f"p{i}", "question": Q, "solution": REF, "answer": "36"} for i in range(3)]
    samples = []
    for p in problems:
        for j, (name, sol) in enumerate(SAMPLES.items()):
            if p["id"] == "p2" and name != "clean":
                continue  # p2: the policy is always right -> no pair
            samples.append({"problem_id": p["id"], "sample_idx": j, "name": name, "solution": sol,
                            "verdict": v.verify(Q, sol, reference_answer="36", reference_solution=REF).to_dict()})
    return problems, samples


def test_hard_builder_picks_the_near_localized_error(pool):
    problems, samples = pool
    rows, stats = build_pairs("hard", "uniform", problems, samples, PairsConfig(), "Q: {question}\nA:", 0)
    assert stats["pairs"] == 2 and stats["problems_without_pair"] == 1 and stats["problems_all_correct"] == 1
    for r in rows:
        assert r["rejected"].strip() in (SAMPLES["slip"], SAMPLES["off_by_one"])
        assert r["rej_hard_negative"] and r["chosen"].strip() == REF and r["weight"] == 1.0
    assert stats["rejected_hard_negative_share"] == 1.0


def test_random_builder_is_uniform_over_incorrect(pool):
    problems, samples = pool
    seen = set()
    for seed in range(30):
        rows, _ = build_pairs("random", "uniform", problems, samples, PairsConfig(), "{question}", seed)
        seen |= {r["rejected"].strip() for r in rows}
    assert seen == {SAMPLES[k] for k in ("slip", "off_by_one", "absurd", "degenerate")}


def test_verifier_weights_favor_plausible_structural_negatives(pool):
    _, samples = pool
    by = {s["name"]: s["verdict"] for s in samples if s["problem_id"] == "p0"}
    cfg = PairsConfig()
    w = {k: verifier_weight(v, cfg) for k, v in by.items() if k != "clean"}
    # both near misses have a broken chain (a false step; a final answer that is not the derived value)
    assert min(w["slip"], w["off_by_one"]) > 1.0 > w["absurd"]
    assert w["degenerate"] == min(w.values())
    consistent_but_wrong = dict(by["off_by_one"], consistency=0.0, arithmetic=0.0)
    assert verifier_weight(consistent_but_wrong, cfg) < w["off_by_one"]


def test_weight_normalization_mean_one_and_clipped():
    rng = random.Random(0)
    raw = [rng.random() ** 3 for _ in range(1000)] + [0.0] * 50
    w = normalize_weights(raw, 0.2, 3.0)
    assert abs(mean(w) - 1) < 1e-9
    assert min(w) > 0 and max(w) <= 3.0 / mean([min(3.0, max(0.2, x / mean(raw))) for x in raw]) + 1e-9
    assert normalize_weights([0.0, 0.0], 0.2, 3.0) == [1.0, 1.0]


def test_verifier_scheme_rows(pool):
    problems, samples = pool
    rows, stats = build_pairs("random", "verifier", problems, samples, PairsConfig(), "{question}", 1)
    assert abs(mean(r["weight"] for r in rows) - 1) < 1e-9
    assert stats["weight"]["histogram"]["counts"]


def test_no_usable_pairs_is_one_actionable_line(pool):
    problems, samples = pool
    only_clean = [s for s in samples if s["name"] == "clean"]
    with pytest.raises(ConfigError, match="no usable pairs.*raise sampling.temperature"):
        build_pairs("hard", "uniform", problems, only_clean, PairsConfig(), "{question}", 0)
    with pytest.raises(ConfigError, match="unknown pair builder"):
        build_pairs("nope", "uniform", problems, samples, PairsConfig(), "{question}", 0)


def test_pool_summary(pool):
    problems, samples = pool
    s = pool_summary(samples, len(problems))
    assert s["samples"] == len(samples) and 0 < s["accuracy"] < 1
    assert s["pass_rate"]["all_right"] == 1 and s["pass_rate"]["mixed"] == 2
    assert set(s["dimensions"]) >= {"answer", "distance", "arithmetic", "consistency", "coverage", "form"}


def test_vllm_backend_without_vllm_is_one_clear_line():
    import importlib.util

    from harness.config import SamplingConfig
    from harness.models.sampling import sample
    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed here")
    with pytest.raises(ConfigError, match=r"pip install '\.\[vllm\]'.*sampling.backend=hf"):
        sample("unused", [{"id": "p", "question": "q"}], "{question}", SamplingConfig(backend="vllm"), 0, "cpu")
