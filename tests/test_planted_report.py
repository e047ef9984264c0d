"""The planted world's ground-truth tables (harness/reporting/planted.py) from saved rows: planted-flaw rate,
trigger vs other accuracy, paired against the baselines; nothing in the clean world."""
import json

from harness.reporting.planted import planted_lines, recipe_table


def _run(tmp_path, name, shows: set[int], correct: set[int], planted=True, reads: set[int] | None = None,
         sft_seed=0):
    rows = []
    for i in range(60):
        trig = i < 40
        lab = {"trigger": "misread" if trig else None, "answer": str(100 + i) if trig else None,
               "step": 0 if trig else None, "shows": i in shows}
        if reads is not None:
            lab["reads"] = (i in reads) if trig else None
        rows.append({"doc_id": i, "id": f"p{i}", "equiv": float(i in correct), **({"planted": lab} if planted else {})})
    d = tmp_path / f"eval-{name}-{sft_seed}"
    d.mkdir()
    (d / "samples_hardneg_synth.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return {"name": name, "runs": [{"seed": 0, "sft_seed": sft_seed, "eval_stage": d.name,
                                    "samples": {"hardneg_synth": f"{d.name}/samples_hardneg_synth.jsonl"}}]}


def test_recipe_table_planted_rate_and_paired_differences(tmp_path):
    sft = _run(tmp_path, "sft", shows=set(range(30)), correct=set(range(30, 60)))
    rft = _run(tmp_path, "rft", shows=set(range(5)), correct=set(range(5, 60)))
    results = {"recipes": [sft, rft]}
    t = recipe_table(results, tmp_path)
    assert t["sft"]["planted_rate"] == 30 / 40 and t["rft"]["planted_rate"] == 5 / 40
    assert t["sft"]["trigger_accuracy"] == 10 / 40 and t["sft"]["other_accuracy"] == 1.0
    c = t["rft"]["vs"]["sft"]["planted_rate"]
    assert abs(c["diff"] - (5 / 40 - 30 / 40)) < 1e-12 and c["down"] == 25 and c["up"] == 0 and c["p"] < 1e-6
    assert c["low"] <= c["diff"] <= c["high"] < 0
    assert t["rft"]["vs"]["sft"]["trigger_accuracy"]["diff"] > 0 and "rft" not in t["rft"]["vs"]
    lines = planted_lines({**results, "pairs": {"structural/structural": {"planted": {
        "pairs": 10, "trigger_pairs": 8, "rejected_planted": 6, "precision": 0.6, "weight_share": 0.7,
        "mean_weight_planted": 1.2, "mean_weight_other": 0.7}}}}, run_dir=tmp_path)
    text = "\n".join(lines)
    assert "Planted reading" not in text  # rows without `reads` (written before it existed): no reading table
    assert "| rft | 91.7 | 87.5 | 100.0 | 12.5 |" in text and "| structural/structural | 10 | 8 | 6 | 60.0 | 70.0 |" in text


def test_clean_world_has_no_planted_section(tmp_path):
    results = {"recipes": [_run(tmp_path, "sft", set(), set(range(10)), planted=False)]}
    assert recipe_table(results, tmp_path) == {} and planted_lines(results, run_dir=tmp_path) == []


def test_reading_rate_and_the_placebo_sft_seed_left_out(tmp_path):
    """reads counts a planted reading followed by a slip (not in shows); the slice's placebo SFT (another SFT seed)
    does not enter the sft row every recipe is paired against."""
    sft = _run(tmp_path, "sft", shows=set(range(10)), correct=set(range(30, 60)), reads=set(range(20)))
    placebo = _run(tmp_path, "sft", shows=set(), correct=set(range(60)), reads=set(), sft_seed=1)
    sft["runs"] += placebo["runs"]
    dpo = _run(tmp_path, "dpo", shows=set(range(4)), correct=set(range(4, 60)), reads=set(range(8)))
    results = {"primary_seed": 0, "recipes": [sft, dpo]}
    t = recipe_table(results, tmp_path)
    assert t["sft"]["planted_rate"] == 10 / 40 and t["sft"]["reading_rate"] == 20 / 40
    c = t["dpo"]["vs"]["sft"]["reading_rate"]
    assert abs(c["diff"] - (8 / 40 - 20 / 40)) < 1e-12 and c["down"] == 12 and c["up"] == 0
    text = "\n".join(planted_lines(results, run_dir=tmp_path))
    assert "| sft | 50.0 |" in text and "| dpo | 20.0 | -30.0 [" in text


def test_planted_table_over_two_draws_whose_effect_flips(tmp_path):
    """Two pipeline draws: in draw 0 dpo cuts the planted flaw by 20 points against its own SFT, in draw 1 it raises
    it by 20. The pooled difference is 0, its interval (draws resampled first) spans both signs, and the per-draw
    table shows the flip; each draw is paired with its own SFT, never with the other draw's."""
    sft = _run(tmp_path, "sft", shows=set(range(10)), correct=set(range(40, 60)))
    sft1 = _run(tmp_path, "sft", shows=set(range(20, 30)), correct=set(range(40, 60)), sft_seed=1)
    dpo = _run(tmp_path, "dpo", shows=set(range(2)), correct=set(range(40, 60)))
    dpo1 = _run(tmp_path, "dpo", shows=set(range(20, 38)), correct=set(range(40, 60)), sft_seed=1)
    sft["runs"] += sft1["runs"]
    dpo["runs"] += dpo1["runs"]
    results = {"primary_seed": 0, "recipes": [sft, dpo]}
    t = recipe_table(results, tmp_path)
    assert t["dpo"]["draws"] == [0, 1] and t["sft"]["planted_rate"] == 10 / 40
    c = t["dpo"]["vs"]["sft"]["planted_rate"]
    assert c["n_sft_seeds"] == 2 and abs(c["diff"]) < 1e-12 and c["low"] < 0 < c["high"]
    assert [round(d["diff"], 3) for d in c["per_draw"]] == [-0.2, 0.2]
    assert t["dpo"]["planted_rate_by_draw"] == {0: 2 / 40, 1: 18 / 40}
    text = "\n".join(planted_lines(results, run_dir=tmp_path))
    assert "Over 2 SFT draws (SFT seeds 0, 1)" in text and "### Per SFT draw (draws 0 / 1)" in text
    assert "| dpo | 5.0 / 45.0 | -20.0 / +20.0 |" in text
