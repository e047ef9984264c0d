"""benchmarks/gpu_session.sh --dry-run: every default part runs at toy size on the CPU and leaves its own JSON with the
git revision; a ZeRO part without deepspeed says so in its JSON instead of failing silently. Also the small pieces the
session relies on: the datasheet peak table and the session's time caps."""
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest

from .conftest import ROOT

PARTS = ("engine_zero2", "engine_zero3", "engine_fsdp", "paper_train", "sampling")


@pytest.mark.slow
def test_gpu_session_dry_run_writes_every_part_with_its_revision(tmp_path):
    env = {**os.environ, "OUT": str(tmp_path), "PYTHON": sys.executable}
    r = subprocess.run(["bash", "benchmarks/gpu_session.sh", "--dry-run"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    have_ds = importlib.util.find_spec("deepspeed") is not None
    for name in PARTS:
        part = json.loads((tmp_path / f"{name}.json").read_text())
        assert part["git_revision"] and part["git_revision"] != "unknown", name
        assert "failed" not in part, (name, part)
    for e in ("zero2", "zero3"):
        part = json.loads((tmp_path / f"engine_{e}.json").read_text())
        assert have_ds or part["skipped"] == "deepspeed not installed"
    fsdp = json.loads((tmp_path / "engine_fsdp.json").read_text())
    assert fsdp["reload_matches"] and fsdp["steps"] == 3
    assert fsdp["engine_exercised"] or "needs a GPU" in fsdp["note"]  # accelerate runs FSDP on a CPU as MULTI_CPU
    train = json.loads((tmp_path / "paper_train.json").read_text())
    assert [c["case"] for c in train["results"]] == ["sft (ours)", "weighted DPO (ours)"]
    assert train["grad_accum"] == 2 and train["results"][1]["precompute_s"] > 0
    assert all(c["mfu"] is None and c["mfu_measured_peak"] > 0 for c in train["results"])  # a CPU has no spec peak
    samp = json.loads((tmp_path / "sampling.json").read_text())
    assert samp["settings"]["temperature"] == 0.8 and samp["settings"]["top_p"] == 0.95
    rows = {x["decoder"]: x for x in samp["results"]}
    assert set(rows) == {"ours", "dynamic", "static", "vllm"}
    assert all(rows[k]["tokens_per_s"] > 0 for k in ("ours", "dynamic", "static")) and "skipped" in rows["vllm"]


def test_gpu_session_caps_fit_eight_minutes_on_one_h100():
    """install (~20 s) + three engine parts + paper_train + sampling within 8 minutes; each part under its own timeout."""
    s = (ROOT / "benchmarks" / "gpu_session.sh").read_text()
    cap = {k: int(re.search(rf"{k}:-(\d+)", s).group(1)) for k in ("ENGINE_LIMIT", "PAPER_LIMIT", "SAMPLING_LIMIT")}
    assert 20 + 3 * cap["ENGINE_LIMIT"] + cap["PAPER_LIMIT"] + cap["SAMPLING_LIMIT"] <= 480
    for script in ("gpu_engines.py", "gpu_throughput.py", "sampling_throughput.py"):
        assert re.search(rf'part \S+ "\$\w+_LIMIT" .*\n?.*benchmarks/{script}', s), script


@pytest.mark.parametrize("name,label,tflops", [
    ("NVIDIA H100 80GB HBM3", "H100 SXM", 989.4), ("NVIDIA H100 PCIe", "H100 PCIe", 756.5),
    ("NVIDIA H100 NVL", "H100 NVL", 835.5), ("NVIDIA H200", "H200 SXM", 989.4),
    ("NVIDIA A100-SXM4-80GB", "A100", 312.0), ("NVIDIA A100 80GB PCIe", "A100", 312.0), ("NVIDIA L40S", "L40S", 362.05),
    ("NVIDIA A10G", "A10G (A10 figure)", 125.0), ("NVIDIA A10", "A10", 125.0)])
def test_spec_peak_matches_the_device_name(name, label, tflops):
    from harness.runtime.gpu_peaks import spec_peak
    assert spec_peak(name) == (label, tflops)


def test_spec_peak_is_none_for_an_unknown_card():
    from harness.runtime.gpu_peaks import spec_peak
    assert spec_peak("CPU") is None and spec_peak(None) is None


def test_committed_gpu_figures_carry_both_mfus():
    """The committed H200 run: mfu (datasheet 989.4) = mfu_measured_peak x measured peak / 989.4, from its own figures."""
    b = json.loads((ROOT / "benchmarks" / "results" / "gpu_throughput.json").read_text())
    assert b["spec_peak_tflops"] == 989.4
    for r in b["results"]:
        if r["mfu"] is not None:
            assert r["mfu"] == pytest.approx(r["mfu_measured_peak"] * b["matmul_peak_tflops"] / 989.4, abs=1e-4)
