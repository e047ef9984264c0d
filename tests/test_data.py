import pytest

from harness.config import DataConfig
from harness.data.loaders import DataError, build_splits, load_gsm8k, load_math500, load_metamathqa, sft_rows
from harness.data.synthetic import Difficulty, generate_splits

from .conftest import shared


def test_synthetic_is_deterministic_and_disjoint():
    a = generate_splits(500, 30, 30, 7, Difficulty())
    b = generate_splits(500, 30, 30, 7, Difficulty())
    assert a == b
    ids = {k: {r["id"] for r in v} for k, v in a.items()}
    questions = {k: {r["question"] for r in v} for k, v in a.items()}
    assert not ids["train"] & ids["test"] and not ids["train"] & ids["validation"] and not ids["validation"] & ids["test"]
    assert not questions["train"] & questions["test"]
    assert len(ids["train"]) == 500
    c = generate_splits(500, 30, 30, 8, Difficulty())
    assert c["train"] != a["train"]


def test_synthetic_format_and_families():
    rows = generate_splits(400, 10, 10, 0, Difficulty(backward_rate=0.3))["train"]
    assert {r["family"] for r in rows} >= {"marbles", "money", "farm", "class", "bakery"}
    for r in rows:
        assert r["solution"].endswith(f"The answer is: {r['answer']}")
        assert " = " in r["solution"]
    back = [r for r in rows if r["backward"]]
    assert back and all("unknown variable x" in r["question"] for r in back)


def test_too_many_problems_requested_is_a_clear_error():
    with pytest.raises(ValueError, match="unique problems"):
        generate_splits(3000, 10, 10, 0, Difficulty(min_steps=1, max_steps=1, max_operand=2, max_value=3))


def test_local_gsm8k_and_math500():
    g = load_gsm8k("test", str(shared("gsm8k")))
    assert len(g) == 1319 and set(g[0]) >= {"id", "question", "solution", "answer", "source"}
    assert g[0]["answer"] == g[0]["solution"].split("####")[-1].strip()
    m = load_math500(str(shared("math", "math500_test.jsonl")))
    assert len(m) == 500 and m[0]["answer"]


def test_missing_paths_and_offline_hub_give_one_line():
    with pytest.raises(DataError, match="eval.gsm8k_path"):
        load_gsm8k("test", "/nonexistent/gsm8k")
    with pytest.raises(DataError, match="data.path"):
        load_metamathqa("/nonexistent/MetaMathQA-395K.json")
    with pytest.raises(DataError) as e:
        load_math500(None)  # HF_HUB_OFFLINE=1 in tests: the hub is unreachable
    assert "set eval.math500_path" in str(e.value) and "\n" not in str(e.value)


def test_gsm8k_train_as_source_and_sft_rows():
    cfg = DataConfig(source="gsm8k", path=str(shared("gsm8k")), n_train=50, n_val=5)
    s = build_splits(cfg, 0)
    assert len(s["train"]) == 50 and len(s["validation"]) == 5 and s["test"] == []
    rows = sft_rows(s["train"][:2], "Q: {question}\nA:")
    assert rows[0]["prompt"].startswith("Q: ") and rows[0]["completion"].startswith(" ")
