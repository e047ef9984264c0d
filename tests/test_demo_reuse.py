"""Work `make demo` no longer repeats, end to end on a micro model: the SFT's synthetic evaluation is the
near-miss slice's greedy run (same model, task, settings), recipes on the same pairs share one reference pass, rft
needs none, and every logged verdict is the one lm-eval's metrics were computed from."""
import json

import pytest

from .test_pipeline import _compare

pytestmark = pytest.mark.slow


def test_demo_reuses_greedy_rows_and_reference_log_probs(tmp_path):
    run_dir = tmp_path / "run"
    r = _compare("sft,dpo,w_dpo,rft", run_dir, "eval.limit=null", "eval.tasks=[hardneg_synth,hardneg_near_miss]",
                 timeout=900)
    assert r.returncode == 0, r.stderr[-4000:]
    res = json.loads((run_dir / "results.json").read_text())
    runs = {x["name"]: x["runs"][0] for x in res["recipes"]}
    assert set(runs) == {"sft", "dpo", "w_dpo", "rft"}

    # eval:sft reuses the slice's greedy rows: identical responses and verdicts, no second lm-eval run over them
    slice_dir = next(run_dir.glob("slice-*"))
    sft_rows = [json.loads(x) for x in (run_dir / runs["sft"]["samples"]["hardneg_synth"]).read_text().splitlines()]
    slice_rows = [json.loads(x) for x in (slice_dir / "samples_hardneg_synth.jsonl").read_text().splitlines()]
    assert len(sft_rows) == 24 and sft_rows == slice_rows
    assert runs["sft"]["throughput"]["hardneg_synth_from"] == "slice"
    assert runs["sft"]["scores"]["hardneg_synth"]["equiv"] == pytest.approx(sum(r["equiv"] for r in sft_rows) / 24)
    # a DPO model's synthetic rows come from its own lm-eval run, with the task metrics and the logged verdict agreeing
    dpo_rows = [json.loads(x) for x in (run_dir / runs["dpo"]["samples"]["hardneg_synth"]).read_text().splitlines()]
    assert all(r["hard_negative"] == float(r["verdict"]["hard_negative"]) and
               r["wrongness"] == pytest.approx(r["verdict"]["wrongness"]) for r in dpo_rows)

    # dpo and w_dpo train on the same random pairs (different weights) from the same SFT: one reference pass;
    # rft's loss reads no reference
    assert len(list((run_dir / "cache" / "ref_logps").glob("*.pt"))) == 1
    assert res["manifest"]["precision"] in ("bf16", "fp32")
