"""Content-addressed, atomic stage artifacts, computed once however many processes ask.

A stage's directory is `<run_dir>/<stage>-<key>` where key hashes the stage's inputs (its config
sections and its upstream keys). Work happens in `<dir>.partial`; `meta.json` is written last and the
directory renamed into place, so a finished artifact is never half-written and a killed stage leaves
only a `.partial` that the next run resumes (training) or restarts (everything else).

Two kinds of concurrency meet here:
- Independent `harness compare` processes on one run directory (a second terminal, a job array): each
  stage is computed under a per-stage file lock (`<run_dir>/.locks/<dir>.lock`), so the second process waits and then
  reuses the first one's result instead of training the same stage again.
- The ranks of one `accelerate launch`/`torchrun` job: a *collective* stage (training: the trainer
  shards work across ranks) runs its function on every rank; any other stage (data, sampling, pairs,
  slice, evaluation) runs on rank 0 only while the other ranks wait for its `meta.json`. Only rank 0
  takes the lock, writes `meta.json` and renames; it tells its own job's ranks to join a collective
  stage through a claim file (`<dir>.claim`) naming the job, so ranks of a job waiting behind another
  job's lock do not start training early.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

from harness.runtime import dist
from harness.runtime.io import write_json_atomic

SCHEMA_VERSION = 1
POLL_SECONDS = 1.0
_PROCESS_START = time.time()  # a claim older than this process belongs to an earlier launch


def stage_key(name: str, payload) -> str:
    blob = json.dumps({"stage": name, "schema": SCHEMA_VERSION, "inputs": payload}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _say(msg: str) -> None:
    # plain stderr, not the rich console: this module must stay importable without transformers
    print(msg, file=sys.stderr, flush=True)


class Stage:
    """One cached step. `run(fn)` calls fn(partial_dir) -> meta dict unless already done.

    `collective` (default: `resumable`, i.e. the training stages) runs fn on every rank of a distributed job."""

    def __init__(self, run_dir: Path, name: str, payload, resumable: bool = False, collective: bool | None = None):
        self.name = name
        self.key = stage_key(name, payload)
        self.dir = Path(run_dir) / f"{name}-{self.key}"
        self.partial = self.dir.with_name(self.dir.name + ".partial")
        self.lock_path = Path(run_dir) / ".locks" / f"{self.dir.name}.lock"
        self.claim_path = self.dir.with_name(self.dir.name + ".claim")
        self.resumable = resumable
        self.collective = resumable if collective is None else collective

    @property
    def done(self) -> bool:
        return (self.dir / "meta.json").is_file()

    def meta(self) -> dict:
        return json.loads((self.dir / "meta.json").read_text())

    def _cached(self) -> dict:
        meta = self.meta()
        meta["cached"] = True
        return meta

    def run(self, fn) -> dict:
        if self.done:
            return self._cached()
        if dist.world_size() > 1 and not dist.is_main_process():
            return self._follow(fn)
        from filelock import FileLock, Timeout
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            _say(f"stage {self.dir.name}: another process is computing it; waiting to reuse its result")
            lock.acquire()
        try:
            if self.done:  # computed by the process we waited for
                return self._cached()
            return self._compute(fn)
        finally:
            lock.release()

    def _compute(self, fn) -> dict:
        if self.partial.exists() and not self.resumable:
            shutil.rmtree(self.partial)
        self.partial.mkdir(parents=True, exist_ok=True)
        if self.collective and dist.world_size() > 1:
            write_json_atomic(self.claim_path, {"job": dist.job_id(), "time": time.time()})
        t0 = time.time()
        try:
            meta = fn(self.partial) or {}
            meta = {"stage": self.name, "key": self.key, "seconds": round(time.time() - t0, 2), **meta}
            write_json_atomic(self.partial / "meta.json", meta)
            if self.dir.exists():  # finished by a process that did not take the lock (an older harness); keep theirs
                shutil.rmtree(self.partial)
            else:
                os.replace(self.partial, self.dir)
        except BaseException:
            if not self.resumable:  # nothing to resume: leave no half-written artifact behind
                shutil.rmtree(self.partial, ignore_errors=True)
            raise
        finally:
            self.claim_path.unlink(missing_ok=True)
        meta["cached"] = False
        return meta

    def _claimed_by_my_job(self) -> bool:
        try:
            claim = json.loads(self.claim_path.read_text())
        except (OSError, ValueError):
            return False
        return claim.get("job") == dist.job_id() and claim.get("time", 0) >= _PROCESS_START - 60

    def _follow(self, fn) -> dict:
        """A rank other than 0: join a collective stage once rank 0 claims it, else wait for rank 0's result."""
        announced = False
        while not self.done:
            if self.collective and self._claimed_by_my_job():
                fn(self.partial)  # the trainer synchronizes the ranks; rank 0 writes the artifact
                self.collective = False  # from here on only wait
                continue
            if not announced:
                _say(f"rank {dist.rank()}: waiting for rank 0 to finish stage {self.dir.name}")
                announced = True
            time.sleep(POLL_SECONDS)
        return self._cached()
