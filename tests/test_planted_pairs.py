"""Ground truth in mining and verification: planted labels on pairs, mining precision per builder/scheme, the
structural picker and weights preferring logical flaws over arithmetic slips, the verifier's planted-flaw detection."""
import re

from harness.config import PairsConfig
from harness.data.planted import PlantedWorld, label_records
from harness.data.synthetic import Difficulty, generate_splits
from harness.pairs import build_pairs, pool_summary
from harness.pairs.weights import is_logical, structural_weight, verifier_weight
from verifier import MathVerifier


def _slip(solution: str, answer: str) -> str:
    """An arithmetic slip on the last step, carried to the final answer."""
    last = solution.rsplit(f"= {answer}", 1)
    wrong = str(int(answer) + 1)
    return f"= {wrong}".join(last).rsplit("The answer is: ", 1)[0] + f"The answer is: {wrong}"


def _pool():
    s = generate_splits(800, 10, 10, 0, Difficulty(max_operand=6, max_value=30, backward_rate=0.0), PlantedWorld(1.0))
    problems = [p for p in s["train"] if p["planted"]["flawed"]][:40]
    problems += [p for p in s["train"] if p["planted"]["trigger"] is None][:10]
    samples = []
    for p in problems:
        texts = [p["solution"], _slip(p["solution"], p["answer"])] + ([p["sft_solution"]] if "sft_solution" in p else [])
        for i, t in enumerate(texts):
            samples.append({"problem_id": p["id"], "sample_idx": i, "solution": t, "truncated": False})
    vs = MathVerifier().verify_batch([{"question": p["question"], "solution": x["solution"],
                                       "reference_answer": p["answer"], "reference_solution": p["solution"]}
                                      for x in samples for p in problems if p["id"] == x["problem_id"]], workers=1)
    for x, v in zip(samples, vs):
        x["verdict"] = v.to_dict()
    label_records(samples, {p["id"]: p for p in problems}, "problem_id", lambda r: r["verdict"]["pred_answer"])
    return problems, samples


def test_labels_reach_pairs_and_structural_mining_targets_the_planted_flaw():
    problems, samples = _pool()
    assert all(re.search(r"= \d+", x["solution"]) for x in samples)
    cfg = PairsConfig()
    stats = {}
    for builder, scheme in (("hard", "verifier"), ("random", "uniform"), ("structural", "structural")):
        rows, st = build_pairs(builder, scheme, problems, samples, cfg, "{question}", 0)
        assert all("planted" in r and "rejected_shows" in r["planted"] for r in rows)
        stats[f"{builder}/{scheme}"] = st["planted"]
        assert st["planted"]["pairs"] == len(rows) and st["planted"]["trigger_pairs"] == 40
    old, new = stats["hard/verifier"], stats["structural/structural"]
    assert new["precision"] > old["precision"] and new["weight_share"] > old["weight_share"]
    assert new["precision_on_trigger"] == 1.0  # every trigger problem offers its planted negative: structural takes it


def test_structural_weight_prefers_logical_flaws_over_slips():
    cfg = PairsConfig()
    logical = {"absurdity": 0.0, "distance": 0.4, "arithmetic": 0.0, "consistency": 0.0, "coverage": 0.5}
    slip = {"absurdity": 0.0, "distance": 0.1, "arithmetic": 0.5, "consistency": 0.0, "coverage": 0.0}
    assert is_logical(logical) and not is_logical(slip)
    assert verifier_weight(slip, cfg) > verifier_weight(logical, cfg)  # the verifier scheme: the slip wins
    assert structural_weight(logical, cfg) > structural_weight(slip, cfg)


def test_verifier_on_planted_flaws_in_the_pool_summary():
    problems, samples = _pool()
    summary = pool_summary(samples, len(problems))
    v = summary["planted"]
    # every planted text shows its flaw; a slip whose answer happens to equal the planted one counts too (answers decide)
    assert 40 <= v["planted_flaw_samples"] <= 42 and v["trigger_samples"] == 40 * 3
    assert 0 <= v["located"] <= v["located_within_one"] <= 1
    assert v["flagged"] > 0.5 and v["correct_left_clean"] == 1.0 and v["correct_samples"] == len(problems)
    clean = [{k: x[k] for k in x if k != "planted"} for x in samples]
    assert "planted" not in pool_summary(clean, len(problems))
