"""Seeds, per-problem results and `harness report` on a micro model: adding a seed retrains nothing old,
results cover every recipe of the run directory, the report rebuilds byte for byte, the slice is stable."""
import json
import shutil
import subprocess
import sys

import pytest

from harness.stages.near_slice import SLICE_VERSION, select_near_miss

from .conftest import ROOT
from .test_pipeline import _compare

pytestmark = pytest.mark.slow
TASKS = "eval.tasks=[hardneg_synth,hardneg_near_miss]"


def _stages(run_dir):
    return json.loads((run_dir / "manifest.json").read_text())["stages"]


def test_seeds_cached_results_merged_report_reproducible(tmp_path):
    run_dir = tmp_path / "run"
    r = _compare("sft,dpo", run_dir, "--seeds", "0,1", TASKS, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((run_dir / "results.json").read_text())
    assert res["seeds"] == [0, 1] and res["sft_seeds"] == [0]
    dpo = next(x for x in res["recipes"] if x["name"] == "dpo")
    assert [(x["seed"], x["sft_seed"]) for x in dpo["runs"]] == [(0, 0), (1, 0)]
    assert dpo["runs"][0]["train_stage"] != dpo["runs"][1]["train_stage"]  # DPO repeated per seed
    sft = next(x for x in res["recipes"] if x["name"] == "sft")
    assert len({x["eval_stage"] for x in sft["runs"]}) == 1  # one shared SFT, evaluated once
    slice_before = (run_dir / "near_miss_slice.json").read_text()

    # adding seed 2 trains and evaluates only seed 2
    r = _compare("sft,dpo", run_dir, "--seeds", "0,1,2", TASKS, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    fresh = {k for k, v in _stages(run_dir).items() if not v["cached"]}
    assert fresh and all(k.endswith("@seed2") for k in fresh), fresh
    assert (run_dir / "near_miss_slice.json").read_text() == slice_before

    # one recipe rerun in a full run directory: results still cover both recipes, and say so
    r = _compare("dpo", run_dir, TASKS, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((run_dir / "results.json").read_text())
    assert [x["name"] for x in res["recipes"]] == ["sft", "dpo"] and res["seeds"] == [0, 1, 2]
    assert "all 2 recipes" in res["selection"]

    # the report rebuilds from the saved run, byte for byte, with no training or evaluation
    md = (run_dir / "report" / "report.md").read_bytes()
    tex = (run_dir / "report" / "tables.tex").read_bytes()
    shutil.rmtree(run_dir / "report")
    r = subprocess.run([sys.executable, "-m", "harness.cli", "report", str(run_dir)], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (run_dir / "report" / "report.md").read_bytes() == md
    assert (run_dir / "report" / "tables.tex").read_bytes() == tex
    assert "\\toprule" in tex.decode() and "\\bottomrule" in tex.decode()
    stats = json.loads((run_dir / "report" / "stats.json").read_text())
    d = next(x for x in stats["tasks"]["hardneg_synth"] if x["recipe"] == "dpo")["vs_sft"]
    assert d["n_units"] == 3 * d["n_problems"] and d["low"] <= d["diff"] <= d["high"]

    # the archive (results, slice, gzipped rows, no checkpoints) rebuilds the same report from its own files
    dest = tmp_path / "archived"
    r = subprocess.run([sys.executable, "-m", "harness.cli", "report", str(run_dir), "--archive", str(dest)], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (dest / "report" / "report.md").read_bytes() == md
    files = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}
    assert not any("model" in f or f.endswith((".safetensors", ".bin")) for f in files), files
    rows = [f for f in files if f.startswith("eval-")]
    assert rows and all(f.endswith(".jsonl.gz") for f in rows)
    shutil.rmtree(dest / "report")
    r = subprocess.run([sys.executable, "-m", "harness.cli", "report", str(dest)], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (dest / "report" / "report.md").read_bytes() == md

    # a recomputed slice (same SFT, same settings) has the same ids and hash
    slice_dir = next(run_dir.glob("slice-*"))
    frozen = json.loads((slice_dir / "near_miss_ids.json").read_text())
    shutil.rmtree(slice_dir)
    r = _compare("sft", run_dir, TASKS, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    again = json.loads((next(run_dir.glob("slice-*")) / "near_miss_ids.json").read_text())
    assert again == frozen and again["model_hash"] and again["version"] == SLICE_VERSION


def test_report_errors_are_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "harness.cli", "report", str(tmp_path)], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "results.json not found" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = subprocess.run([sys.executable, "-m", "harness.cli", "compare", "--seeds", "0,x"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--seeds" in r.stderr


def test_slice_selection_rule():
    """v2: the SFT policy's greedy row is wrong, close (one unit / 5%) and structurally flawed (no sampling share)."""
    def row(pid, pred, arith, correct=False):
        return {"id": pid, "answer": "12", "equiv": float(correct),
                "verdict": {"correct": correct, "pred_answer": pred, "arithmetic": arith, "consistency": 0}}
    problems = [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}]
    rows = [row("a", "13", 0.5), row("b", "20", 0.5),   # close and flawed / far (within 2x: in the v1 slice)
            row("c", "11", 0.0), row("d", "12", 0.0, correct=True)]  # close but no flaw / right
    chosen, _ = select_near_miss(problems, rows)
    assert [r["id"] for r in chosen] == ["a"]
