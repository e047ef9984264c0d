"""harness/configs/gpu-smoke.yaml: it validates, it has the Qwen2.5-1.5B shape, and (slow) the same file runs end to end,
every registered recipe, on CPU at a tiny shape with tiny step counts (overrides only: same code path)."""
import json
import os
import subprocess
import sys
import time

import pytest

from harness.config import CONFIGS_DIR, load_config
from harness.registry import all_recipes

from .conftest import ROOT

SMOKE = CONFIGS_DIR / "gpu-smoke.yaml"


def test_smoke_config_is_the_qwen_shape_on_cuda_without_downloads():
    cfg = load_config(SMOKE)
    m = cfg.model
    assert cfg.device == "cuda" and m.kind == "random" and m.dtype == "auto"
    assert (m.hidden_size, m.layers, m.heads, m.kv_heads, m.intermediate_size) == (1536, 28, 12, 2, 8960)
    assert cfg.data.source == "synthetic" and m.name_or_path is None
    assert set(cfg.eval.tasks) <= {"hardneg_synth", "hardneg_near_miss"}  # no benchmark data to fetch
    assert cfg.sft.gradient_checkpointing is False and cfg.dpo.precompute_ref_log_probs
    assert cfg.dpo.max_steps < 25 <= cfg.sft.max_steps  # SFT writes one checkpoint, DPO none (config comments)
    q = load_config("qwen2.5-1.5b")
    assert q.sampling.gpu_memory_utilization == 0.9 and q.sft.report_to == "none"


TINY = ["device=cpu", "data.n_train=200", "data.n_val=4", "data.n_test=8",
        "model.hidden_size=64", "model.layers=2", "model.heads=4", "model.kv_heads=2", "model.intermediate_size=128",
        "model.vocab_size=300", "model.max_positions=256", "sft.max_steps=6", "sft.logging_steps=3",
        "sft.max_length=160", "sampling.n_problems=8", "sampling.max_new_tokens=16", "sampling.batch_size=16",
        "dpo.max_steps=2", "dpo.logging_steps=1", "dpo.max_length=160", "grpo.max_steps=2", "grpo.prompts_per_step=2",
        "grpo.num_generations=2", "grpo.max_completion_length=12", "grpo.n_problems=4", "eval.limit=2",
        "eval.max_gen_toks=12", "eval.batch_size=8"]


@pytest.mark.slow
def test_smoke_config_runs_every_recipe_end_to_end_on_cpu(tmp_path):
    run_dir = tmp_path / "run"
    t0 = time.time()
    r = subprocess.run([sys.executable, "-m", "harness.cli", "compare", "--config", str(SMOKE), "--recipes", "all",
                        f"run_dir={run_dir}", *TINY], cwd=ROOT, capture_output=True, text=True, timeout=600,
                       env={**os.environ, "COLUMNS": "200"})
    assert r.returncode == 0, r.stderr[-4000:]
    res = json.loads((run_dir / "results.json").read_text())
    # step recipes need resampled continuations the verifier rates correct (step) or a correctable flawed step
    # (step_corrected): a 6-step micro model may have none, so compare skips them with the reason and runs
    # everything else (their training path: test_step_training.py)
    skipped = {s["recipe"] for s in res["skipped"]}
    assert all(r.pairs in ("step", "step_corrected") for r in all_recipes() if r.name in skipped)
    assert all("no usable pairs" in s["reason"] for s in res["skipped"])
    assert [x["name"] for x in res["recipes"]] == [x.name for x in all_recipes() if x.name not in skipped]
    assert res["manifest"]["config"]["model"]["kind"] == "random"
    evals = [json.loads(m.read_text()) for m in run_dir.glob("eval-*/meta.json")]
    assert len(evals) == len(res["recipes"]) >= 8 and all(e["scores"]["hardneg_synth"]["n"] == 2 for e in evals)
    assert not list(run_dir.glob("*.partial")) and not list(run_dir.glob("*.claim"))
    print(f"smoke variant on CPU: {time.time() - t0:.0f} s")
