"""`harness sweep` on a micro config: settings evaluated on the validation split only, cached, a table written;
the test split and the near-miss slice are never touched; bad input fails in one line with nothing written."""
import json
import os
import subprocess
import sys

import pytest

from harness.data.loaders import read_jsonl

from .conftest import ROOT
from .test_pipeline import micro_overrides

pytestmark = pytest.mark.slow


def _sweep(run_dir, *extra, grid=("dpo.beta=0.1,1.0",)):
    args = [a for g in grid for a in ("--grid", g)]
    return subprocess.run([sys.executable, "-m", "harness.cli", "sweep", "--recipes", "hn_dpo,rft", *args,
                           *micro_overrides(run_dir), "sampling.include_greedy=true", "pairs.max_per_problem=2", *extra],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, timeout=900)


def test_sweep_on_validation_never_touches_test(tmp_path):
    run_dir = tmp_path / "run"
    r = _sweep(run_dir)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads((run_dir / "sweep" / "sweep.json").read_text())
    assert (run_dir / "sweep" / "sweep.md").read_text().startswith("# Sweep on the validation split")
    assert out["split"] == "validation" and "verdict" in out
    assert [(x["recipe"], x["setting"]) for x in out["rows"]] == [
        ("sft", "(config)"), ("hn_dpo", "dpo.beta=0.1"), ("hn_dpo", "dpo.beta=1.0"), ("rft", "dpo.beta=0.1"),
        ("rft", "dpo.beta=1.0")]
    assert all(x["n"] == 8 for x in out["rows"])                      # every validation problem, not eval.limit
    # rft's NLL never reads beta: one rft training serves both settings; hn_dpo trains once per beta
    assert len(list(run_dir.glob("dpo-*"))) == 3
    rft = [x for x in out["rows"] if x["recipe"] == "rft"]
    assert rft[0]["accuracy"] == rft[1]["accuracy"]
    names = {p.name.split("-")[0] for p in run_dir.iterdir()}
    assert "eval" not in names and "slice" not in names                # no test evaluation, no near-miss slice
    data = next(run_dir.glob("data-*"))
    val, test, train = (read_jsonl(data / f"{s}.jsonl") for s in ("validation", "test", "train"))
    val_ids = {p["id"] for p in val}
    assert not val_ids & {p["id"] for p in test} and not val_ids & {p["id"] for p in train}
    for st in run_dir.glob("valeval-*"):
        assert {row["id"] for row in read_jsonl(st / "samples_hardneg_synth.jsonl")} == val_ids
    pool = read_jsonl(next(run_dir.glob("pool-*")) / "samples.jsonl")
    assert sum(s["greedy"] for s in pool) >= 1 and all("token_ids" in s for s in pool)
    before = sorted(p.name for p in run_dir.iterdir())
    r2 = _sweep(run_dir)                                               # every stage cached
    assert r2.returncode == 0 and "stage " not in r2.stderr + r2.stdout
    assert sorted(p.name for p in run_dir.iterdir()) == before


@pytest.mark.parametrize("extra,grid,msg", [
    ((), ("dpo.beta",), "--grid 'dpo.beta': expected key=v1,v2"),
    ((), ("dpo.betta=1",), "unknown config key 'dpo.betta'"),
    (("data.n_val=0",), ("dpo.beta=0.1",), "data.n_val=0"),
])
def test_sweep_bad_input_is_one_line_and_writes_nothing(tmp_path, extra, grid, msg):
    r = _sweep(tmp_path / "run", *extra, grid=grid)
    assert r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr[-2000:]
    assert not (tmp_path / "run").exists()
