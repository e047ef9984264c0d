"""`accelerate launch --multi_gpu --num_processes 2 -m harness.cli compare` on CPU, for real (gloo): training runs data-parallel on
both ranks, everything else once on rank 0, and the result matches a one-process run with the same global batch.
A stage that fails on rank 0 stops both ranks with the same line, within a bound.

Which process wrote which file is recorded by an audit hook (sys.addaudithook, installed through a sitecustomize on
PYTHONPATH): every open() for writing and every rename, per rank."""
import json
import os
import subprocess
import sys
import time

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow

AUDIT = r'''
import os, sys
_log = os.environ.get("HARNESS_TEST_WRITE_LOG")
if _log:
    _rank = os.environ.get("RANK", "single")
    _out = open(f"{_log}.{_rank}.{os.getpid()}", "a", buffering=1)
    def _hook(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            mode, flags = args[1] or "", args[2] or 0
            if (any(c in str(mode) for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR)) and not os.path.isdir(args[0]):
                _out.write(f"open {os.fsdecode(args[0])}\n")  # files only: a folder opened to sync it is no write
        elif event in ("os.rename", "os.replace") and len(args) > 1:
            _out.write(f"rename {os.fsdecode(args[1])}\n")
    sys.addaudithook(_hook)
'''

RECIPES = "sft,dpo"


def _overrides(run_dir, batch):
    return [f"run_dir={run_dir}", "device=cpu", "data.n_train=96", "data.n_val=4", "data.n_test=8",
            "model.hidden_size=64", "model.layers=2", "model.heads=4", "model.kv_heads=2",
            "model.intermediate_size=128", "model.vocab_size=400", "sft.max_steps=6", f"sft.batch_size={batch}",
            "sft.logging_steps=1", "sft.warmup_steps=0", "sampling.n_problems=8", "sampling.k=2",
            "sampling.max_new_tokens=24", "dpo.max_steps=2", f"dpo.batch_size={batch}", "dpo.logging_steps=1",
            "dpo.learning_rate=1e-4", "eval.tasks=[hardneg_synth]", "eval.limit=8", "eval.max_gen_toks=24",
            "report.control=dpo",
            # fp32: the weights are compared to float tolerance, and a bf16 run saves bf16 weights (one ulp ~2e-3)
            "model.dtype=float32"]


def _env(tmp_path, extra=None):
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(AUDIT)
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env.update(PYTHONPATH=os.pathsep.join([str(site), str(ROOT), env.get("PYTHONPATH", "")]), OMP_NUM_THREADS="1",
               HARNESS_TEST_WRITE_LOG=str(tmp_path / "writes"), COLUMNS="200", **(extra or {}))
    return env


def _launch(tmp_path, overrides, procs=2, env=None, timeout=600):
    # not `--cpu`: accelerate 1.15 runs `--cpu --num_processes 2` as ONE process (its simple launcher, no RANK or
    # WORLD_SIZE). `--multi_gpu` starts torchrun's 2 processes; on a box without CUDA the trainers (use_cpu) join gloo.
    accel = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(procs),
             "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
             "--main_process_port", str(29600 + os.getpid() % 300)]
    cmd = [*accel, "-m", "harness.cli", "compare", "--recipes", RECIPES, *overrides] if procs > 1 else \
        [sys.executable, "-m", "harness.cli", "compare", "--recipes", RECIPES, *overrides]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env or _env(tmp_path))


def _writes(tmp_path, run_dir) -> dict[str, list[str]]:
    """rank -> paths under run_dir it opened for writing or renamed onto."""
    out: dict[str, list[str]] = {}
    for f in tmp_path.glob("writes.*"):
        rank = f.name.split(".")[1]
        root = str(run_dir.resolve())
        out.setdefault(rank, []).extend(line.split(" ", 1)[1] for line in f.read_text().splitlines()
                                        if line.split(" ", 1)[1].startswith(root))
    return out


def _final_model(run_dir, stage):
    from safetensors.torch import load_file
    return load_file(str(next(run_dir.glob(f"{stage}-*")) / "model" / "model.safetensors"))


def test_two_processes_train_data_parallel_and_match_one_process(tmp_path):
    two, one = tmp_path / "two", tmp_path / "one"
    t0 = time.time()
    r2 = _launch(tmp_path, _overrides(two, 4))
    wall2 = time.time() - t0
    assert r2.returncode == 0, r2.stdout[-3000:] + r2.stderr[-4000:]
    writes = _writes(tmp_path, two)
    for f in tmp_path.glob("writes.*"):
        f.unlink()
    r1 = _launch(tmp_path, _overrides(one, 8), procs=1)  # one process, the same global batch
    assert r1.returncode == 0, r1.stderr[-4000:]

    man = json.loads((two / "manifest.json").read_text())
    assert man["launch"] == {"world_size": 2, "backend": "gloo", "launcher": "accelerate", "data_parallel": True}
    assert json.loads((one / "manifest.json").read_text())["launch"]["world_size"] == 1
    # data-parallel: 2 ranks x batch 4 advance the epoch exactly as 1 process x batch 8 does
    res2, res1 = (json.loads((d / "results.json").read_text()) for d in (two, one))
    logs = {d: {x["name"]: x["runs"][0]["train"]["log_history"] for x in r["recipes"]} for d, r in ((2, res2), (1, res1))}
    for recipe in ("sft", "dpo"):
        e2 = [h["epoch"] for h in logs[2][recipe] if "loss" in h]
        e1 = [h["epoch"] for h in logs[1][recipe] if "loss" in h]
        assert e2 == pytest.approx(e1) and e2, recipe
        l2 = [h["loss"] for h in logs[2][recipe] if "loss" in h]
        l1 = [h["loss"] for h in logs[1][recipe] if "loss" in h]
        assert l2 == pytest.approx(l1, rel=2e-2, abs=1e-3), (recipe, l2, l1)  # same data, same steps
    # the trained weights agree to float tolerance (gradient all-reduce vs one batch: reduction order only)
    for stage in ("sft", "dpo"):
        w2, w1 = _final_model(two, stage), _final_model(one, stage)
        worst = max(float((w2[k] - w1[k]).abs().max()) for k in w1)
        assert worst < 2e-3, (stage, worst)
        print(f"{stage}: max |w_2proc - w_1proc| = {worst:.2e}")
    assert [x["runs"][0]["scores"] for x in res2["recipes"]] == [x["runs"][0]["scores"] for x in res1["recipes"]]
    # sampling and evaluation data-parallel (each rank its share of the problems): the same stages (one global batch,
    # one key) and the same rows, in the same order, as one process
    for pattern in ("pool-*/samples.jsonl", "eval-*/samples_hardneg_synth.jsonl", "slice-*/near_miss_ids.json"):
        two_files = {p.relative_to(two): p.read_text() for p in two.glob(pattern)}
        one_files = {p.relative_to(one): p.read_text() for p in one.glob(pattern)}
        assert two_files == one_files and (two_files or pattern.startswith("slice")), pattern

    # every artifact once, by rank 0. Rank 1 writes only its parts of the data-parallel stages (.shards/, with a
    # scratch folder that is thrown away) and datasets' cache of its own tokenized copy of the DPO set (TRL maps on
    # every rank, under the training stage's work/); no path is written by both ranks; "single" is the launcher.
    assert writes.get("0") and writes.get("single", []) == [], writes.keys()
    rank1 = writes.get("1", [])
    assert [p for p in rank1 if "/.shards/" in p and ".rank1." in p], rank1  # it sampled and evaluated its share
    assert not [p for p in rank1 if "/work/train_dataset/" not in p and "/.shards/" not in p], rank1
    assert not set(writes["0"]) & set(rank1), set(writes["0"]) & set(rank1)
    finals = [p for p in writes["0"] if ".partial" not in p and not p.endswith((".lock", ".alive", ".claim"))]
    dupes = {p for p in finals if finals.count(p) > 1 and "/work/" not in p and "checkpoint-" not in p}
    assert not dupes, sorted(dupes)[:20]
    print(f"two-process compare: {wall2:.0f}s")


def test_rank_0_failure_stops_both_ranks_with_one_line(tmp_path):
    """A stage that fails on rank 0 only (its data file is missing: only rank 0 builds the data split)."""
    run_dir = tmp_path / "run"
    t0 = time.time()
    r = _launch(tmp_path, [*_overrides(run_dir, 4), "data.source=metamathqa", f"data.path={tmp_path / 'missing.json'}"],
                timeout=180)
    took = time.time() - t0
    assert r.returncode != 0
    lines = [x for x in (r.stdout + r.stderr).splitlines() if x.startswith("error: ")]
    assert len(lines) == 2 and lines[0] == lines[1], r.stderr[-4000:]
    assert "data.path" in lines[0] and "missing.json" in lines[0]
    assert took < 120
    assert not (run_dir / "results.json").exists() and not list(run_dir.glob("data-*"))
