"""End to end on a micro model: `harness compare` trains, samples, verifies, pairs, trains DPO, evaluates, reports;
a rerun is served from the cache; a run killed during training resumes from its checkpoint."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from .conftest import ROOT, SHARED

pytestmark = pytest.mark.slow


def micro_overrides(run_dir):
    return [f"run_dir={run_dir}", "device=cpu", "data.n_train=240", "data.n_val=8", "data.n_test=24",
            "model.hidden_size=64", "model.layers=2", "model.heads=4", "model.kv_heads=2", "model.intermediate_size=128",
            "model.vocab_size=400", "sft.max_steps=40", "sft.batch_size=8", "sft.logging_steps=10",
            "sampling.n_problems=24", "sampling.k=4", "sampling.max_new_tokens=40", "sampling.batch_size=48",
            "dpo.max_steps=4", "dpo.batch_size=4", "dpo.logging_steps=1", "dpo.learning_rate=1e-4",
            "eval.limit=4", "eval.max_gen_toks=32", "eval.batch_size=8",
            *(["eval.tasks=[hardneg_synth,hardneg_near_miss,hardneg_gsm8k_cot]", f"eval.gsm8k_path={SHARED / 'gsm8k'}"]
              if (SHARED / "gsm8k").is_dir() else ["eval.tasks=[hardneg_synth,hardneg_near_miss]"])]


def _compare(recipes, run_dir, *extra, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "harness.cli", "compare", "--recipes", recipes,
                           *micro_overrides(run_dir), *extra], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200", **(env or {})}, **kw)


def test_compare_end_to_end_and_cached_rerun(tmp_path):
    run_dir = tmp_path / "run"
    t0 = time.time()
    r = _compare("sft,dpo,hn_w_dpo", run_dir, timeout=900)
    first = time.time() - t0
    assert r.returncode == 0, r.stderr[-4000:]
    res = json.loads((run_dir / "results.json").read_text())
    assert res["schema_version"] == 2 and res["seeds"] == [0]
    assert [x["name"] for x in res["recipes"]] == ["sft", "dpo", "hn_w_dpo"]
    runs = {x["name"]: x["runs"][0] for x in res["recipes"]}
    for run in runs.values():
        assert 0 <= run["scores"]["hardneg_synth"]["equiv"] <= 1
        assert run["scores"]["hardneg_synth"]["n"] == 4
        rows = [json.loads(line) for line in (run_dir / run["samples"]["hardneg_synth"]).read_text().splitlines()]
        assert len(rows) == 4 and all("verdict" in r and r["equiv"] in (0.0, 1.0) for r in rows)
        assert abs(sum(r["equiv"] for r in rows) / 4 - run["scores"]["hardneg_synth"]["equiv"]) < 1e-9
    assert any("rewards/margins" in h and "logps/chosen" in h for h in runs["dpo"]["train"]["log_history"])
    assert any("weights/mean" in h for h in runs["hn_w_dpo"]["train"]["log_history"])
    assert set(res["pairs"]) == {"random/uniform", "hard/verifier"}
    assert res["pool"]["summary"]["samples"] > 0
    man = json.loads((run_dir / "manifest.json").read_text())
    assert man["seed"] == 0 and man["libraries"]["trl"] == "1.16.0" and man["git_revision"]
    assert man["config"]["sft"]["max_steps"] == 40
    report = (run_dir / "report" / "report.md").read_text()
    assert "| hn_w_dpo |" in report and "Paired comparisons" in report and "MDE" in report
    for f in ("dpo_curves.png", "accuracy.png", "paired_differences.png", "error_profile.png", "tables.tex", "stats.json"):
        assert (run_dir / "report" / f).is_file(), f
    assert not list(run_dir.glob("*.partial"))
    # the DPO recipes share one SFT checkpoint and one sample pool
    assert len(list(run_dir.glob("sft-*"))) == 1 and len(list(run_dir.glob("pool-*"))) == 1

    t0 = time.time()
    r2 = _compare("sft,dpo,hn_w_dpo", run_dir, timeout=600)
    assert r2.returncode == 0, r2.stderr[-3000:]
    res2 = json.loads((run_dir / "results.json").read_text())
    assert all(v["cached"] for v in res2["manifest"]["stages"].values())
    assert [x["runs"][0]["scores"] for x in res2["recipes"]] == [x["runs"][0]["scores"] for x in res["recipes"]]
    assert time.time() - t0 < first / 2

    moved = tmp_path / "moved"  # cache keys hold no run_dir paths: a copied run directory stays cached
    shutil.copytree(run_dir, moved)
    r3 = _compare("sft,dpo,hn_w_dpo", moved, timeout=600)
    assert r3.returncode == 0, r3.stderr[-3000:]
    res3 = json.loads((moved / "results.json").read_text())
    assert all(v["cached"] for v in res3["manifest"]["stages"].values())


def test_killed_training_resumes_from_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    cmd = [sys.executable, "-m", "harness.cli", "compare", "--recipes", "sft",
           *micro_overrides(run_dir), "sft.max_steps=600", "eval.tasks=[hardneg_synth]"]
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    ckpt = []
    while time.time() < deadline and not ckpt:
        ckpt = list(run_dir.glob("sft-*.partial/work/checkpoint-*/trainer_state.json"))
        time.sleep(0.5)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    assert ckpt, "no checkpoint appeared before the deadline"
    assert not list(run_dir.glob("sft-*[!l]/meta.json"))  # nothing finished
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, env={**os.environ, "COLUMNS": "400"})
    assert r.returncode == 0, r.stderr[-3000:]
    step = int(ckpt[0].parent.name.split("-")[-1])
    assert f"resuming training from {ckpt[0].parent}" in r.stderr.replace("\n", "")
    res = json.loads((run_dir / "results.json").read_text())
    logged = [h["step"] for h in res["recipes"][0]["runs"][0]["train"]["log_history"] if "loss" in h]
    assert logged == sorted(set(logged)) and logged[-1] == 600 and step < 600
    assert (run_dir / "results.json").is_file()


def test_tiny_demo_skips_benchmarks_without_data(tmp_path):
    """Offline with no local GSM8K copy, an optional benchmark is skipped with one line saying what to set (a required
    one stops the run before SFT: tests/test_config_data.py)."""
    run_dir = tmp_path / "run"
    r = _compare("sft", run_dir, "eval.tasks=[hardneg_synth]", "eval.optional_tasks=[hardneg_gsm8k_cot]",
                 "eval.gsm8k_path=/nonexistent/gsm8k",
                 "sft.max_steps=5", timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "skipping hardneg_gsm8k_cot" in r.stderr.replace("\n", "")
    res = json.loads((run_dir / "results.json").read_text())
    assert res["tasks"] == ["hardneg_synth"]
