"""Process identity from launcher env vars, and the rank-0 guard of cached stages (ranks simulated by env vars
in real subprocesses: the same variables `accelerate launch` and `torchrun` export)."""
import json
import os
import subprocess
import sys

import pytest

from harness.runtime import dist

from .conftest import ROOT

LAUNCH_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "ACCELERATE_PROCESS_INDEX", "ACCELERATE_NUM_PROCESSES",
               "ACCELERATE_LOCAL_PROCESS_INDEX", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
               "OMPI_COMM_WORLD_LOCAL_RANK", "PMI_RANK", "PMI_SIZE", "SLURM_PROCID", "MASTER_ADDR", "MASTER_PORT",
               "TORCHELASTIC_RUN_ID")


@pytest.fixture
def clean_env(monkeypatch):
    for k in LAUNCH_VARS:
        monkeypatch.delenv(k, raising=False)
    return monkeypatch


def test_single_process_defaults(clean_env):
    assert (dist.rank(), dist.world_size(), dist.local_rank()) == (0, 1, 0)
    assert dist.is_main_process() and not dist.is_distributed()


def test_torchrun_and_accelerate_variables(clean_env):
    clean_env.setenv("RANK", "3")
    clean_env.setenv("WORLD_SIZE", "8")
    clean_env.setenv("LOCAL_RANK", "1")
    assert (dist.rank(), dist.world_size(), dist.local_rank()) == (3, 8, 1)
    assert not dist.is_main_process() and dist.is_distributed()
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        clean_env.delenv(k)
    clean_env.setenv("OMPI_COMM_WORLD_RANK", "0")
    clean_env.setenv("OMPI_COMM_WORLD_SIZE", "2")
    assert dist.is_main_process() and dist.world_size() == 2


def test_malformed_variable_falls_through(clean_env):
    clean_env.setenv("RANK", "")
    clean_env.setenv("SLURM_PROCID", "2")
    assert dist.rank() == 2
    clean_env.setenv("WORLD_SIZE", "x")
    assert dist.world_size() == 1


RANK_WORKER = """
import json, sys, time
from pathlib import Path
from harness.runtime import cache
cache.POLL_SECONDS = 0.1
run_dir, log = Path(sys.argv[1]), Path(sys.argv[2])
def fn(label):
    def run(out):
        with open(log, "a") as f:
            f.write(f"{label} rank {sys.argv[3]}\\n")
        time.sleep(1.0)
        return {"label": label}
    return run
metas = [cache.Stage(run_dir, "pool", {"x": 1}).run(fn("sampling")),                  # rank 0 only
         cache.Stage(run_dir, "sft", {"x": 2}, resumable=True).run(fn("training")),   # every rank
         cache.Stage(run_dir, "pairs", {"x": 3}).run(fn("pairs"))]                    # rank 0 only
print(json.dumps(metas))
"""


def _rank(run_dir, log, rank, world=2, port="29500"):
    env = {**{k: v for k, v in os.environ.items() if k not in LAUNCH_VARS},
           "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(world), "MASTER_ADDR": "127.0.0.1",
           "MASTER_PORT": port, "TORCHELASTIC_RUN_ID": "job-a"}
    return subprocess.Popen([sys.executable, "-c", RANK_WORKER, str(run_dir), str(log), str(rank)], cwd=ROOT,
                            env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_non_training_stages_run_on_rank_0_only_and_training_on_every_rank(tmp_path):
    run_dir, log = tmp_path / "run", tmp_path / "calls.log"
    procs = [_rank(run_dir, log, r, world=3) for r in (2, 1, 0)]  # followers first: they must wait, not compute
    outs = [p.communicate(timeout=90) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [e[-2000:] for _, e in outs]
    lines = log.read_text().splitlines()
    assert lines.count("sampling rank 0") == 1 and lines.count("pairs rank 0") == 1
    assert not [x for x in lines if x.startswith(("sampling", "pairs")) and not x.endswith("rank 0")]
    assert sorted(x for x in lines if x.startswith("training")) == ["training rank 0", "training rank 1", "training rank 2"]
    results = [json.loads(o.strip().splitlines()[-1]) for o, _ in outs]
    assert all([m["label"] for m in r] == ["sampling", "training", "pairs"] for r in results)
    assert len({tuple(m["key"] for m in r) for r in results}) == 1  # every rank sees rank 0's artifacts
    assert any("waiting for rank 0" in e for _, e in outs[:2])
    assert not list(run_dir.glob("*.partial")) and not list(run_dir.glob("*.claim"))


def test_a_rank_of_another_job_does_not_join_a_claimed_training_stage(tmp_path):
    """Rank 1 of job B (another MASTER_PORT) sees job A's rank 0 training the stage: it must not run it too."""
    run_dir, log = tmp_path / "run", tmp_path / "calls.log"
    a0 = _rank(run_dir, log, 0, port="29500")
    b1 = _rank(run_dir, log, 1, port="29611")
    for p in (a0, b1):
        _, err = p.communicate(timeout=90)
        assert p.returncode == 0, err[-2000:]
    assert "training rank 1" not in log.read_text()


FAIL_WORKER = """
import sys, time
from pathlib import Path
from harness.runtime import cache
from harness.data.loaders import DataError
cache.POLL_SECONDS = 0.1
run_dir, kind = Path(sys.argv[1]), sys.argv[2]
def boom(out):
    time.sleep(0.5)  # rank 1 is already waiting
    raise (DataError("data.path='x.json' not found; set data.path") if kind == "config" else RuntimeError("boom"))
try:
    cache.Stage(run_dir, "pool", {"x": 1}).run(boom)
except (DataError, cache.StageFailed) as e:
    assert getattr(e, "announced", False)  # the line is printed once, before any rank exits
    print(f"class: {type(e).__name__}", file=sys.stderr)
    sys.exit(2)
"""


def _failing_rank(run_dir, rank, kind, extra_env=None):
    env = {**{k: v for k, v in os.environ.items() if k not in LAUNCH_VARS},
           "RANK": str(rank), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29501",
           "TORCHELASTIC_RUN_ID": "job-f", **(extra_env or {})}
    return subprocess.Popen([sys.executable, "-c", FAIL_WORKER, str(run_dir), kind], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("kind", ["config", "bug"])
def test_a_stage_failing_on_rank_0_stops_every_rank_with_its_line(tmp_path, kind):
    """Rank 0 fails a non-training stage; rank 1, waiting for it, must not poll forever: it reads the failure
    marker, raises the same error (a ConfigError as its own class, a bug as StageFailed) and both print one line."""
    import time
    run_dir = tmp_path / "run"
    t0 = time.time()
    procs = [_failing_rank(run_dir, 1, kind), _failing_rank(run_dir, 0, kind)]
    outs = [p.communicate(timeout=60) for p in procs]
    took = time.time() - t0
    lines = [[x for x in err.splitlines() if x.startswith("error: ")] for _, err in outs]
    assert all(len(x) == 1 for x in lines), outs
    if kind == "config":
        assert [p.returncode for p in procs] == [2, 2]
        assert lines[0] == lines[1] == ["error: data.path='x.json' not found; set data.path"]
        assert all("class: DataError" in err for _, err in outs)  # replayed as its own class
    else:
        assert procs[0].returncode == 2 and procs[1].returncode == 1  # rank 0: its traceback after the line
        assert lines[0] == lines[1] and "failed on rank 0: RuntimeError: boom" in lines[0][0]
    assert took < 30  # the acknowledgement comes within a poll, not after FAIL_ACK_SECONDS
    assert not list(run_dir.glob("pool-*.partial")) and not (run_dir / "pool").exists()


def test_a_rank_whose_rank_0_is_gone_stops_within_the_heartbeat_bound(tmp_path):
    import time
    t0 = time.time()
    p = _failing_rank(tmp_path / "run", 1, "bug", {"HARNESS_HEARTBEAT_TIMEOUT": "2"})
    _, err = p.communicate(timeout=60)
    assert p.returncode != 0 and "rank 0 stopped answering" in err
    assert time.time() - t0 < 30


SKIP_WORKER = """
import sys, time
from pathlib import Path
from harness.runtime import cache
from harness.pairs import NoPairs
cache.POLL_SECONDS = 0.1
def none(out):
    time.sleep(0.5)
    raise NoPairs("no step pairs in this pool")
for attempt in range(2):  # a second recipe on the same pairs stage fails alike, at once, on every rank
    try:
        cache.Stage(Path(sys.argv[1]), "pairs", {"x": 1}).run(none)
    except NoPairs as e:
        print(f"skipped: {e} [{attempt}]")
"""


def test_a_designed_skip_on_rank_0_is_the_same_skip_on_every_rank(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in LAUNCH_VARS}
    procs = [subprocess.Popen([sys.executable, "-c", SKIP_WORKER, str(tmp_path / "run")], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**env, "RANK": str(r), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
                                   "MASTER_PORT": "29502", "TORCHELASTIC_RUN_ID": "job-s"}) for r in (1, 0)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    for out, err in outs:
        assert out.splitlines() == ["skipped: no step pairs in this pool [0]", "skipped: no step pairs in this pool [1]"]
        assert "error:" not in err
