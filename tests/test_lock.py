"""Two `harness compare` processes on one run directory: one computes a stage, the other waits and reuses it."""
import json
import os
import subprocess
import sys
import time

from .conftest import ROOT

# A real Stage from harness.runtime.cache in a real second process; the stage function takes long enough that the
# two processes overlap, and appends to a file so we can count how often it really ran.
WORKER = """
import json, sys, time
from pathlib import Path
from harness.runtime.cache import Stage
run_dir, log = Path(sys.argv[1]), Path(sys.argv[2])
def fn(out):
    with open(log, "a") as f:
        f.write("computed\\n")
    time.sleep(3)
    (out / "artifact.txt").write_text("result")
    return {"value": 42}
meta = Stage(run_dir, "sft", {"x": 1}, resumable=True).run(fn)
print(json.dumps(meta))
"""


def _start(run_dir, log):
    return subprocess.Popen([sys.executable, "-c", WORKER, str(run_dir), str(log)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "RANK": "", "WORLD_SIZE": ""})


def test_second_process_waits_and_reuses_the_first_ones_stage(tmp_path):
    run_dir, log = tmp_path / "run", tmp_path / "calls.log"
    first = _start(run_dir, log)
    time.sleep(1.5)  # the first holds the lock and is inside fn
    second = _start(run_dir, log)
    outs = [p.communicate(timeout=60) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], [e for _, e in outs]
    assert log.read_text() == "computed\n"  # one computation for two processes
    m1, m2 = (json.loads(o.strip().splitlines()[-1]) for o, _ in outs)
    assert m1["value"] == m2["value"] == 42 and m1["key"] == m2["key"]
    assert m1["cached"] is False and m2["cached"] is True
    waited = [line for line in outs[1][1].splitlines() if "another process is computing it" in line]
    assert len(waited) == 1 and m1["key"] in waited[0]
    assert "another process" not in outs[0][1]
    stage_dir = run_dir / f"sft-{m1['key']}"
    assert (stage_dir / "artifact.txt").read_text() == "result"
    assert not list(run_dir.glob("*.partial")) and not list(run_dir.glob("*.claim"))


def test_lock_left_by_a_killed_process_does_not_block(tmp_path):
    """A process killed inside a stage releases its OS-level lock; the next run recomputes (resumes) the stage."""
    run_dir, log = tmp_path / "run", tmp_path / "calls.log"
    victim = _start(run_dir, log)
    time.sleep(1.5)
    victim.kill()
    victim.communicate()
    again = _start(run_dir, log)
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["cached"] is False
    assert log.read_text() == "computed\ncomputed\n"
