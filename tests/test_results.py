"""results.json -> statistics -> report, on a hand-made run directory (no model): every number comes from the
per-problem rows, the placebo is found, LaTeX bolds the best, the slice subset is scored from synth rows."""
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
            v = {"correct": bool(ok), "distance": 0.0 if ok else 0.1, "wrongness": 0.0 if ok else 0.5, "absurdity": 0.0,
                 "answer": 0 if ok else 1, "arithmetic": 0 if ok else 0.5, "consistency": 0, "coverage": 0, "form": 0}
            f.write(json.dumps({"doc_id": i, "id": f"p{i}", "equiv": float(ok), "exact_match": float(ok),
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
    recipes = [
        ("sft", [_write_run(run_dir, "sft", s, 0, base, "eval-sft", ids) for s in (0, 1)]),
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
    assert (hn["vs_sft"]["b10"], hn["vs_sft"]["b01"]) == (40, 0)  # 20 problems x 2 seeds
    assert hn["vs_sft"]["diff"] == pytest.approx(0.10) and hn["vs_sft"]["p_holm"] < 1e-6
    assert hn["vs_sft"]["n_problems"] == N and hn["vs_sft"]["n_units"] == 2 * N
    assert rows["dpo"]["vs_sft"]["diff"] == pytest.approx(-0.05)
    assert hn["vs_control"]["diff"] == pytest.approx(0.15)
    assert rows["sft_more"]["vs_sft"]["p"] == 1.0 and rows["sft_more"]["vs_sft"]["mde"] == 0.0
    # Holm over the three recipes compared with sft: adjusted >= raw
    assert all(r["vs_sft"]["p_holm"] >= r["vs_sft"]["p"] for r in rows.values() if r.get("vs_sft"))
    # the shared SFT evaluation counts once: Wilson interval over problems, not a zero-width t interval
    assert rows["sft"]["accuracy"]["kind"].startswith("Wilson")
    tex = latex(res, stats)
    assert "\\toprule" in tex and "\\textbf{60.0" in tex and "$^{\\dagger}$" in tex
    md = markdown(res, stats, [])
    assert "| hn_w_dpo | 60.0 [" in md and "MDE" in md


def test_slice_subset_and_placebo(tmp_path):
    res = _results(tmp_path, with_slice=True)
    rows = [json.loads(x) for x in (tmp_path / "eval-sft" / "samples_hardneg_near_miss.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [f"p{i}" for i in range(0, N, 4)]
    stats = analyze(res, tmp_path)
    pl = stats["placebo"]
    assert pl["kind"] == "sft_more" and pl["vs_selecting_sft"]["diff"] == 0.0
    assert pl["sft_accuracy"]["n"] == N // 4
    assert "placebo (sft_more)" in markdown(res, stats, [])
