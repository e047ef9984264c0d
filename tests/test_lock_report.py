"""Two `harness compare` on one run directory, started a second apart (the first used to die in the
report step with FileNotFoundError): both exit 0, every stage is computed once, and the report on disk is the one
`harness report` rebuilds from the final results.json."""
import os
import subprocess
import sys
import time

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow

MICRO = ["device=cpu", "data.n_train=64", "data.n_val=4", "data.n_test=8", "model.hidden_size=32", "model.layers=1",
         "model.heads=2", "model.kv_heads=1", "model.intermediate_size=64", "model.vocab_size=300", "sft.max_steps=4",
         "sft.batch_size=4", "sampling.n_problems=6", "sampling.k=2", "sampling.max_new_tokens=16", "dpo.max_steps=2",
         "dpo.batch_size=2", "eval.tasks=[hardneg_synth]", "eval.limit=6", "eval.max_gen_toks=16"]


def _start(run_dir):
    return subprocess.Popen([sys.executable, "-m", "harness.cli", "compare", "--recipes", "sft,dpo",
                             f"run_dir={run_dir}", *MICRO], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"})


def test_two_concurrent_runs_on_one_run_dir_both_finish_with_one_report(tmp_path):
    run_dir = tmp_path / "run"
    first = _start(run_dir)
    time.sleep(1)
    second = _start(run_dir)
    outs = [p.communicate(timeout=900) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], [e[-3000:] for _, e in outs]
    assert "Traceback" not in outs[0][1] + outs[1][1]
    assert len(list(run_dir.glob("sft-*"))) == 1 and len(list(run_dir.glob("dpo-*"))) == 1
    assert not list(run_dir.glob("*.partial")) and not list(run_dir.glob("report.*"))
    md = (run_dir / "report" / "report.md").read_bytes()
    r = subprocess.run([sys.executable, "-m", "harness.cli", "report", str(run_dir)], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (run_dir / "report" / "report.md").read_bytes() == md  # report/ matches the final results.json
    tables = [o.split("results:")[0] for o, _ in outs]
    assert "| sft" in md.decode() and "dpo" in tables[0] and "dpo" in tables[1]
