"""results.json -> statistics -> report, on a hand-made run directory (no model): every number comes from the
per-problem rows, the placebo (another SFT seed) is found, LaTeX bolds the best, the slice subset is scored from
synth rows, a v1 slice is re-derived with the v2 predicate."""
import json

import pytest

from harness.reporting.analysis import analyze
from harness.stages.evaluate import subset_task
from harness.reporting.latex import latex
from harness.reporting.markdown import markdown

N = 200


def _write_run(run_dir, name, seed, sft_seed, correct, eval_stage, slice_ids=None):
    d = run_dir / eval_stage
    d.mkdir(parents=True, exist_ok=True)
    samples = {"hardneg_synth": f"{eval_stage}/samples_hardneg_synth.jsonl"}
    with open(d / "samples_hardneg_synth.jsonl", "w") as f:
        for i, ok in enumerate(correct):
            # wrong answers: off by one behind an arithmetic flaw (near-correct errors) on even ids, far off on odd
            pred = "10" if ok else ("11" if i % 4 in (0, 1) else "40")
            v = {"correct": bool(ok), "distance": 0.0 if ok else 0.1, "wrongness": 0.0 if ok else 0.5, "absurdity": 0.0,
                 "answer": 0 if ok else 1, "arithmetic": 0 if ok else 0.5, "consistency": 0, "coverage": 0, "form": 0,
                 "pred_answer": pred}
            f.write(json.dumps({"doc_id": i, "id": f"p{i}", "answer": "10", "equiv": float(ok), "exact_match": float(ok),
                                "verdict": v}) + "\n")
    scores = {"hardneg_synth": {"equiv": sum(correct) / len(correct), "n": len(correct)}}
    if slice_ids is not None:
        subset_task(d, "hardneg_synth", "hardneg_near_miss", slice_ids, scores)
        samples["hardneg_near_miss"] = f"{eval_stage}/samples_hardneg_near_miss.jsonl"
    return {"recipe": name, "seed": seed, "sft_seed": sft_seed, "eval_stage": eval_stage, "scores": scores,
            "samples": samples, "train": {"seconds": 1, "log_history": []}, "train_stage": "x", "model_dir": "m"}


def _results(run_dir, with_slice=False):
    base = [i % 2 == 0 for i in range(N)]            # SFT: 50%
    fixed = [b or i % 10 == 1 for i, b in enumerate(base)]  # fixes 20 problems, breaks none: 60%
    broken = [b and i % 20 != 0 for i, b in enumerate(base)]  # breaks 10: 45%
    ids = [f"p{i}" for i in range(0, N, 4)] if with_slice else None
    other_sft = [not b for b in base]  # another SFT seed: independent of the selecting SFT's failures
    recipes = [
        ("sft", [_write_run(run_dir, "sft", s, 0, base, "eval-sft", ids) for s in (0, 1)]
         + ([_write_run(run_dir, "sft", 0, 1, other_sft, "eval-sft1", ids)] if with_slice else [])),
        ("sft_more", [_write_run(run_dir, "sft_more", s, 0, base, f"eval-more{s}", ids) for s in (0, 1)]),
        ("dpo", [_write_run(run_dir, "dpo", s, 0, broken, f"eval-dpo{s}", ids) for s in (0, 1)]),
        ("hn_w_dpo", [_write_run(run_dir, "hn_w_dpo", s, 0, fixed, f"eval-hn{s}", ids) for s in (0, 1)]),
    ]
    tasks = ["hardneg_synth"] + (["hardneg_near_miss"] if with_slice else [])
    return {"schema_version": 2, "experiment": "t", "tasks": tasks, "primary_seed": 0, "seeds": [0, 1],
            "sft_seeds": [0], "control": "dpo", "near_distance": 0.3, "selection": "all 4 recipes",
            "recipes": [{"name": n, "description": n, "trainer": "sft" if n.startswith("sft") else "dpo",
                         "pairs": None, "weights": None, "loss_type": None, "runs": runs} for n, runs in recipes],
            "slice": {"n_problems": N // 4, "of": N, "version": 1, "slice_hash": "h", "model_hash": "m"} if with_slice else None,
            "manifest": {"git_revision": "g", "libraries": {}, "created": "c", "stages": {}}}


def test_statistics_come_from_per_problem_rows(tmp_path):
    res = _results(tmp_path)
    stats = analyze(res, tmp_path)
    rows = {r["recipe"]: r for r in stats["tasks"]["hardneg_synth"]}
    hn = rows["hn_w_dpo"]
    assert hn["accuracy"]["mean"] == pytest.approx(0.6)
    assert (hn["vs_sft"]["b10"], hn["vs_sft"]["b01"]) == (20, 0)  # problems, not 20 problems x 2 seeds
    assert (hn["vs_sft"]["units_b10"], hn["vs_sft"]["units_b01"]) == (40, 0)
    # 20 problems, 20/0: p = 2^-19 (not 2^-39: the two seeds repeat the same problems); Holm over the table's one
    # family of 5 comparisons (3 vs sft, 2 vs dpo), where hn_w_dpo vs dpo (30/0, 2^-29) ranks first: times 4
    assert hn["vs_sft"]["diff"] == pytest.approx(0.10) and hn["vs_sft"]["p_holm"] == pytest.approx(4 * 2 ** -19)
    assert stats["families"]["hardneg_synth"]["size"] == 5
    assert hn["vs_sft"]["n_problems"] == N and hn["vs_sft"]["n_units"] == 2 * N
    assert rows["dpo"]["vs_sft"]["diff"] == pytest.approx(-0.05)
    assert hn["vs_control"]["diff"] == pytest.approx(0.15)
    assert rows["sft_more"]["vs_sft"]["p"] == 1.0 and rows["sft_more"]["vs_sft"]["mde"] is None  # no discordance
    assert rows["sft_more"]["movement"]["vs_sft"] == 0.0 and rows["sft_more"]["movement"]["at_floor"]
    assert rows["hn_w_dpo"]["movement"]["vs_sft"] == pytest.approx(0.1) and not rows["hn_w_dpo"]["movement"]["at_floor"]
    assert rows["sft"]["movement"] is None
    # Holm over the three recipes compared with sft: adjusted >= raw
    assert all(r["vs_sft"]["p_holm"] >= r["vs_sft"]["p"] for r in rows.values() if r.get("vs_sft"))
    # one kind of interval for every row; the shared SFT evaluation counts once
    assert {r["accuracy"]["kind"] for r in rows.values()} == {"bootstrap over problems"}
    assert rows["sft"]["accuracy"]["high"] - rows["sft"]["accuracy"]["low"] > 0.1
    tex = latex(res, stats)
    assert "\\toprule" in tex and "\\textbf{60.0" in tex and "$^{\\dagger}$" in tex
    md = markdown(res, stats, [])
    assert "| hn_w_dpo | 60.0 [" in md and "MDE" in md and "b10/b01 count problems" in md
    assert "| 20/0 |" in md and "| – |" in md and "**at noise floor**" in md


def _freeze(run_dir, ids, version=2):
    (run_dir / "near_miss_slice.json").write_text(json.dumps({"version": version, "ids": ids, "slice_hash": "h",
                                                              "model_hash": "m"}))


def test_slice_subset_and_placebo(tmp_path):
    res = _results(tmp_path, with_slice=True)
    ids = [f"p{i}" for i in range(0, N, 4)]
    _freeze(tmp_path, ids)
    rows = [json.loads(x) for x in (tmp_path / "eval-sft" / "samples_hardneg_near_miss.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ids
    stats = analyze(res, tmp_path)
    assert stats["slice"]["status"] == "frozen" and stats["slice"]["ids"] == ids
    pl = stats["placebo"]
    assert pl["kind"] == "other SFT seeds" and pl["sft_accuracy"]["n"] == N // 4
    assert pl["vs_selecting_sft"]["diff"] == pytest.approx(-1.0)  # the fixture's other SFT inverts the selecting one
    md = markdown(res, stats, [])
    # the placebo-only SFT draw is named and its spread said to be outside every interval, never averaged into sft
    assert "placebo (other SFT seeds)" in md and "SFT seed(s) 1 trained no recipe" in md
    assert "| sft | 2 |" in md and "a spread no interval above includes" in md


def test_an_old_slice_is_rederived_with_the_one_predicate(tmp_path):
    res = _results(tmp_path, with_slice=True)
    _freeze(tmp_path, [f"p{i}" for i in range(0, N, 4)], version=1)
    stats = analyze(res, tmp_path)
    sl = stats["slice"]
    # SFT wrong on odd ids; off by one (near) where i % 4 == 1, far where i % 4 == 3
    assert sl["rederived"] and sl["ids"] == [f"p{i}" for i in range(1, N, 4)] and sl["version"] == 2
    assert sl["enrichment"]["covers_sft_errors"] == pytest.approx(0.5) and sl["enrichment"]["sft_solves"] == 0.0
    assert sl["legacy"]["n"] == N // 4 and sl["legacy"]["sft_solves"] == 1.0  # the old ids: all solved by SFT
    near = {r["recipe"]: r for r in stats["tasks"]["hardneg_near_miss"]}
    # the sft row is the selecting SFT the recipes start from, not averaged with the placebo SFT draw
    assert near["sft"]["accuracy"]["n"] == N // 4 and near["sft"]["accuracy"]["per_model"] == [0.0]
    assert stats["draws"] == {"recipes": [0], "sft_only": [1]}
    assert stats["placebo"]["sft_accuracy"]["mean"] == 0.0 and stats["placebo"]["placebo_accuracy"]["mean"] == 1.0
    assert near["hn_w_dpo"]["accuracy"]["mean"] == pytest.approx(0.2)  # fixes i % 10 == 1: of the ids i % 4 == 1, one in 5
    assert "re-derived by `harness report`" in markdown(res, stats, [])
