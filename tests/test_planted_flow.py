"""Planted labels reach the pool samples, the pairs, the evaluation rows, results.json and the report (a micro
`harness compare` in the planted-flaw world)."""
import json

import pytest

from .test_pipeline import _compare

pytestmark = pytest.mark.slow


def _jsonl(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def test_planted_labels_reach_pool_pairs_and_eval_rows(tmp_path):
    run_dir = tmp_path / "run"
    r = _compare("sft,hs_ws_dpo", run_dir, "data.planted_rate=0.5", "eval.tasks=[hardneg_synth,hardneg_near_miss]",
                 timeout=900)
    assert r.returncode == 0, r.stderr[-4000:]
    test = _jsonl(next(run_dir.glob("data-*")) / "test.jsonl")
    by_id = {p["id"]: p["planted"] for p in test}
    assert any(v["trigger"] for v in by_id.values())
    samples = _jsonl(next(run_dir.glob("pool-*")) / "samples.jsonl")
    assert samples and all(set(s["planted"]) == {"trigger", "answer", "step", "shows", "reads"} for s in samples)
    pairs = _jsonl(next(run_dir.glob("pairs-*")) / "pairs.jsonl")
    assert pairs and all("rejected_shows" in p["planted"] for p in pairs)
    res = json.loads((run_dir / "results.json").read_text())
    assert res["pool"]["summary"]["planted"]["samples"] == len(samples)
    assert res["pairs"]["structural/structural"]["planted"]["pairs"] == len(pairs)
    for rec in res["recipes"]:
        rows = _jsonl(run_dir / rec["runs"][0]["samples"]["hardneg_synth"])
        assert rows and all(row["planted"]["trigger"] == by_id[row["id"]]["trigger"] for row in rows)
        assert all(row["planted"]["shows"] in (True, False) for row in rows)
    report = (run_dir / "report" / "report.md").read_text()
    assert "Planted-flaw world: ground truth" in report and "Mining precision" in report
    assert "The verifier on planted flaws" in report and "| hs_ws_dpo |" in report
