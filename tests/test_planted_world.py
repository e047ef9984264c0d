"""The planted-flaw world (harness/data/planted.py): flaws only in training solutions, at the configured rate,
deterministically, true arithmetic carried to the final answer; labels on every problem; ground-truth scoring."""
import random
import re

import pytest

from harness.config import ConfigError, DataConfig, load_config
from harness.data.loaders import build_splits, sft_rows
from harness.data.planted import PlantedWorld, label_records, reads_flaw, shows_flaw
from harness.data.synthetic import Difficulty, generate_splits
from verifier import MathVerifier

D = Difficulty(max_operand=6, max_value=30, backward_rate=0.25)


def _world(rate=0.5, seed=0, kinds=("misread", "omission")):
    return generate_splits(1500, 150, 150, seed, D, PlantedWorld(rate, kinds))


def test_flaws_only_in_training_at_the_configured_rate_deterministically():
    a, b = _world(), _world()
    assert a == b
    eligible = [p for p in a["train"] if p["planted"]["answer"] is not None]
    flawed = [p for p in a["train"] if p["planted"]["flawed"]]
    assert len(flawed) == round(0.5 * len(eligible)) and len(flawed) > 100
    assert all("sft_solution" in p for p in flawed)
    assert not [p for p in a["train"] if "sft_solution" in p and not p["planted"]["flawed"]]
    for split in ("validation", "test"):
        assert a[split] and all(not p["planted"]["flawed"] and "sft_solution" not in p for p in a[split])
        assert any(p["planted"]["trigger"] for p in a[split])  # labels on held-out problems too
    assert {p["planted"]["trigger"] for p in flawed} == {"misread", "omission"}
    other_seed = [p["id"] for p in _world(seed=1)["train"] if p["planted"]["flawed"]]
    assert other_seed != [p["id"] for p in flawed]
    full = [p for p in _world(rate=1.0)["train"] if p["planted"]["flawed"]]
    assert len(full) == len(eligible)
    only = _world(kinds=("misread",))
    assert {p["planted"]["trigger"] for p in only["train"]} == {"misread", None}


def test_planted_solutions_true_arithmetic_to_the_planted_answer_and_correct_references():
    s = _world()
    flawed = [p for p in s["train"] if p["planted"]["flawed"]]
    sample = random.Random(0).sample(flawed, 60)
    vs = MathVerifier().verify_batch([{"question": p["question"], "solution": p["sft_solution"],
                                       "reference_answer": p["answer"], "reference_solution": p["solution"]}
                                      for p in sample], workers=1)
    for p, v in zip(sample, vs):
        lab = p["planted"]
        assert p["sft_solution"].endswith(f"The answer is: {lab['answer']}") and lab["answer"] != p["answer"]
        assert p["solution"].endswith(f"The answer is: {p['answer']}")  # the reference stays correct
        assert v.arithmetic == 0 and not v.correct and v.pred_answer == lab["answer"]
        good, bad = p["solution"].split("\n"), p["sft_solution"].split("\n")
        assert good[:lab["step"]] == bad[:lab["step"]] and good[lab["step"]] != bad[lab["step"]]
    assert [r["completion"] for r in sft_rows(flawed[:3], "{question}")] == [" " + p["sft_solution"] for p in flawed[:3]]


def test_clean_world_is_the_same_problems_without_labels():
    clean = generate_splits(1500, 150, 150, 0, D)
    planted = _world()
    for k in clean:
        assert not any("planted" in p or "sft_solution" in p for p in clean[k])
        strip = [{f: v for f, v in p.items() if f not in ("planted", "sft_solution")} for p in planted[k]]
        assert strip == clean[k]


def test_config_knobs_and_bad_values():
    cfg = load_config("tiny-planted", ["data.n_train=300", "data.n_val=20", "data.n_test=20"])
    s = build_splits(cfg.data, cfg.seed)
    assert any(p["planted"]["flawed"] for p in s["train"])
    assert "planted" not in build_splits(DataConfig(n_train=50, n_val=5, n_test=5), 0)["train"][0]
    with pytest.raises(ConfigError, match="data.planted_rate"):
        load_config(None, ["data.planted_rate=1.5"])
    with pytest.raises(ConfigError, match="data.planted_kinds"):
        load_config(None, ["data.planted_rate=0.5", "data.planted_kinds=[typo]"])


def test_ground_truth_labels_on_records():
    s = _world()
    p = next(p for p in s["test"] if p["planted"]["answer"] is not None)
    q = next(p for p in s["test"] if p["planted"]["trigger"] is None)
    assert shows_flaw(p["planted"], p["planted"]["answer"]) and not shows_flaw(p["planted"], p["answer"])
    assert not shows_flaw(q["planted"], q["answer"]) and not shows_flaw(None, "3")
    recs = [{"problem_id": p["id"], "a": p["planted"]["answer"]}, {"problem_id": q["id"], "a": "1"}]
    assert label_records(recs, {x["id"]: x for x in (p, q)}, "problem_id", lambda r: r["a"])
    assert recs[0]["planted"]["shows"] and recs[0]["planted"]["trigger"] == p["planted"]["trigger"]
    assert recs[1]["planted"] == {"trigger": None, "answer": None, "step": None, "shows": False, "reads": None}
    clean = generate_splits(50, 5, 5, 0, D)["train"]
    assert not label_records([{"problem_id": clean[0]["id"]}], {x["id"]: x for x in clean}, "problem_id", lambda r: None)


def test_reads_flaw_is_the_planted_step_whatever_the_arithmetic():
    s = _world()
    flawed = [p for p in s["train"] if p["planted"]["flawed"]]
    assert {p["planted"]["trigger"] for p in flawed} == {"misread", "omission"}
    for p in flawed:
        lab = p["planted"]
        assert reads_flaw(lab, p["sft_solution"]) and not reads_flaw(lab, p["solution"]), p["id"]
        assert reads_flaw(lab, " " + p["sft_solution"])  # a model's response starts with a space
    # the planted sentence followed by a slip: read, not shown (its answer is no longer the planted one)
    p = next(p for p in flawed if p["planted"]["trigger"] == "misread"
             and _blank(p["planted"]["flawed_line"]) != _blank(p["planted"]["correct_line"]))
    lines = p["sft_solution"].split("\n")
    step = p["planted"]["step"]
    lines[step] = re.sub(r"= (\d+)", lambda m: f"= {int(m.group(1)) + 1}", lines[step])
    slipped = "\n".join(lines[:-1] + ["The answer is: 999"])
    assert reads_flaw(p["planted"], slipped) and not shows_flaw(p["planted"], "999")
    # no planted answer, no text, or labels from before flawed_line: not decidable
    q = next(p for p in s["test"] if p["planted"]["trigger"] is None)
    assert reads_flaw(q["planted"], q["solution"]) is None and reads_flaw(p["planted"], None) is None
    old = {k: v for k, v in p["planted"].items() if k not in ("flawed_line", "correct_line")}
    assert reads_flaw(old, p["sft_solution"]) is None
    recs = [{"problem_id": p["id"], "a": "999", "text": slipped}]
    label_records(recs, {p["id"]: p}, "problem_id", lambda r: r["a"], lambda r: r["text"])
    assert recs[0]["planted"]["reads"] is True and recs[0]["planted"]["shows"] is False


def _blank(line: str) -> str:
    return re.sub(r"\d+", "#", line)
