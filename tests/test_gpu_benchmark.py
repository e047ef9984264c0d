"""benchmarks/gpu_throughput.py runs end to end (--cpu-smoke: tiny shape, CPU; its timings are not results), and
the GPU session scripts are valid shell."""
import json
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.slow
def test_gpu_throughput_cpu_smoke_runs_every_case(tmp_path):
    out = tmp_path / "bench.json"
    r = subprocess.run([sys.executable, "benchmarks/gpu_throughput.py", "--cpu-smoke", "--out", str(out),
                        "--cases", "sft,wdpo,stock_dpo,stock_dpo_no_ckpt,sample"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(out.read_text())
    assert "not a result" in res["device"] and res["matmul_peak_tflops"] > 0
    cases = [x["case"] for x in res["results"]]
    assert cases == ["sft (ours)", "weighted DPO (ours)", "stock TRL DPOTrainer", "stock TRL DPOTrainer, no grad ckpt",
                     "sampling, ours (KV buffer, finished rows leave)", "sampling, ours with DynamicCache (diagnostic)",
                     "sampling, stock generate, static cache (compiled; sampling.cache=static)",
                     "sampling, stock generate, dynamic cache"]
    for x in res["results"]:
        assert x["tokens_per_s"] > 0
    train = res["results"][:4]
    assert all(0 < x["mfu_measured_peak"] and x["bf16"] is False for x in train)  # CPU: no bf16
    assert all(x["mfu"] is None for x in train) and res["spec_peak_tflops"] is None  # a CPU has no datasheet peak
    assert [x["gradient_checkpointing"] for x in train] == [False, False, False, False]  # smoke turns it off on CPU
    # ours against stock: DPO against TRL's DPOTrainer, every sampling row of ours against stock `generate`
    assert [("vs_stock" in x) for x in res["results"]] == [False, True, False, False, True, True, True, False]
    sampling = res["results"][4:]
    assert all(len(x["rounds_s"]) == 2 for x in sampling)  # every decoder timed alike, rounds in turn
    counts = [x["tokens"] for x in sampling]  # the same batch and budget: comparable token counts
    assert min(counts) > 0.5 * max(counts), counts
    assert "case: {" in r.stdout  # each case is printed as it ends (a lease cut short keeps its rows)
    assert not (ROOT / "benchmarks" / "results" / "gpu_throughput_cpu_smoke.json").exists()


def test_gpu_throughput_refuses_to_time_without_cuda():
    import torch
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    r = subprocess.run([sys.executable, "benchmarks/gpu_throughput.py"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1 and "--cpu-smoke" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("script", ["gpu_wheels.sh", "gpu_session.sh"])
def test_gpu_shell_scripts_parse(script):
    r = subprocess.run(["bash", "-n", str(ROOT / "benchmarks" / script)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
