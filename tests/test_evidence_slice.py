"""The slice's one predicate, and results that cannot mix configurations."""
import json

import pytest

from harness.config import ConfigError
from harness.reporting.results import SLICE_VERSION, answer_close, check_compatible, near_correct_error
from harness.stages.near_slice import select_near_miss


def _row(pid, gold, pred, correct=False, arithmetic=0.5, consistency=0.0):
    return {"id": pid, "answer": gold, "equiv": float(correct),
            "verdict": {"correct": correct, "pred_answer": pred, "arithmetic": arithmetic, "consistency": consistency}}


@pytest.mark.parametrize("gold,pred,close", [
    ("9", "10", True), ("9", "8", True), ("9", "11", False),        # one unit for small integers
    ("200", "210", True), ("200", "211", False),                     # 5% above 20
    ("0.5", "0.52", True), ("0.5", "0.6", False),                   # non-integer gold: 5% of max(|gold|, 1)
    ("9", "9", False), ("9", None, False), ("9", "x", False),        # equal or non-numeric: not a near miss
])
def test_closeness_is_far_tighter_than_a_factor_of_two(gold, pred, close):
    assert answer_close(gold, pred) is close


def test_the_predicate_needs_wrong_close_and_a_structural_flaw():
    assert near_correct_error(_row("a", "9", "10"))
    assert not near_correct_error(_row("b", "9", "10", arithmetic=0.0))          # no flaw
    assert near_correct_error(_row("c", "9", "10", arithmetic=0.0, consistency=0.2))
    assert not near_correct_error(_row("d", "9", "18"))                          # within 2x, not close
    assert not near_correct_error(_row("e", "9", "9", correct=True))


def test_selection_is_the_predicate_on_greedy_rows_in_split_order():
    problems = [{"id": p} for p in "abcd"]
    rows = [_row("d", "9", "10"), _row("a", "30", "31"), _row("b", "9", "20"), _row("c", "9", "9", correct=True)]
    chosen, summary = select_near_miss(problems, rows)
    assert [p["id"] for p in chosen] == ["a", "d"]
    assert summary["sft_greedy_errors"] == 3 and summary["covers_sft_errors"] == pytest.approx(2 / 3, abs=1e-4)
    assert SLICE_VERSION == 2


def _entry(recipe, sft_key, max_steps, seed=0):
    return {"recipe": recipe, "seed": seed, "sft_seed": 0, "upstream": {"data": "d", "base": "b", "sft": sft_key},
            "settings": {"seed": 0, "run_dir": "r", "sft": {"max_steps": max_steps, "batch_size": 8}}}


def test_models_built_on_different_sfts_are_refused_in_one_line_naming_the_setting():
    ok = [{"name": "sft", "runs": [_entry("sft", "s1", 1000)]}, {"name": "dpo", "runs": [_entry("dpo", "s1", 1000)]}]
    check_compatible(ok)
    mixed = [{"name": "sft", "runs": [_entry("sft", "s2", 500)]}, {"name": "dpo", "runs": [_entry("dpo", "s1", 1000)]}]
    with pytest.raises(ConfigError) as e:
        check_compatible(mixed)
    msg = str(e.value)
    assert "\n" not in msg and "sft.max_steps: 500 vs 1000" in msg and "sft stages" in msg
    # other seeds are separate pairings; old entries without upstream keys are not checked
    check_compatible([{"name": "sft", "runs": [_entry("sft", "s2", 500, seed=1)]},
                      {"name": "dpo", "runs": [_entry("dpo", "s1", 1000), {"recipe": "dpo", "seed": 0, "sft_seed": 0}]}])


@pytest.mark.slow
def test_compare_refuses_a_new_sft_beside_models_of_the_old_one(tmp_path):
    """The issue's exact command after a run: `harness compare --recipes sft sft.max_steps=500` is refused before it
    trains anything, in one line naming the setting, and the run directory is left as it was."""
    from .test_pipeline import _compare
    run_dir = tmp_path / "run"
    r = _compare("sft,dpo", run_dir, "eval.tasks=[hardneg_synth,hardneg_near_miss]", timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    entry = json.loads(next((run_dir / "index").glob("dpo@*.json")).read_text())
    assert {"data", "base", "sft", "pool", "pairs", "train", "eval", "slice"} <= set(entry["upstream"])
    before = (run_dir / "results.json").read_text()
    index = sorted(p.read_text() for p in (run_dir / "index").glob("*.json"))
    r = _compare("sft", run_dir, "eval.tasks=[hardneg_synth,hardneg_near_miss]", "sft.max_steps=500", timeout=900)
    err = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(err) == 1 and "sft.max_steps: 500 vs 40" in err[0], r.stderr[-3000:]
    assert (run_dir / "results.json").read_text() == before  # nothing half-written: the last consistent results stay
    assert sorted(p.read_text() for p in (run_dir / "index").glob("*.json")) == index
    assert len(list(run_dir.glob("sft-*"))) == 1  # refused before training the new SFT
