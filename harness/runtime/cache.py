"""Content-addressed, atomic stage artifacts, computed once however many processes ask.

A stage's directory is `<run_dir>/<stage>-<key>` where key hashes the stage's inputs (what its kind declares:
harness/stages/kind.py). Work happens in `<dir>.partial`; `meta.json` is written last and the
directory renamed into place, so a finished artifact is never half-written and a killed stage leaves
only a `.partial` that the next run resumes (training) or restarts (everything else).

Two kinds of concurrency meet here:
- Independent `harness compare` processes on one run directory (a second terminal, a job array): each
  stage is computed under a per-stage file lock (`<run_dir>/.locks/<dir>.lock`), so the second process waits and then
  reuses the first one's result instead of training the same stage again.
- The ranks of one `accelerate launch`/`torchrun` job: a *collective* stage (training: the trainer
  shards work across ranks) runs its function on every rank; a *data-parallel* stage (sampling, the
  slice, evaluation) runs it on every rank too, each rank computing its share of the items
  (harness/runtime/shard.py) and every rank but 0 writing into a scratch folder; any other stage (data,
  base, pairs) runs on rank 0 only while the other ranks wait for its `meta.json`. Only rank 0
  takes the lock, writes `meta.json` and renames; it tells its own job's ranks to join a collective or
  data-parallel stage through a claim file (`<dir>.claim`) naming the job, so ranks of a job waiting
  behind another job's lock do not start early.

Every wait is bounded. A stage that fails on rank 0 (a bug, bad data, or the designed "no pairs: recipe skipped")
leaves a failure marker (`.locks/<dir>.failed`: job, exception type, one-line message); the other ranks read it, raise the
same error (a ConfigError subclass such as NoPairs is replayed as itself, so every rank skips the same recipe;
anything else becomes StageFailed with the same line) and acknowledge it, and rank 0 waits up to FAIL_ACK_SECONDS
for those acknowledgements before it raises, so no rank is left polling. While it holds the job, rank 0 refreshes a
heartbeat file (`.locks/rank0-<job>.alive`); a rank that sees it go stale for HEARTBEAT_TIMEOUT seconds (rank 0
killed without a marker: OOM, SIGKILL) stops with one line. WAIT_TIMEOUT bounds any single wait, lock or rank 0.
The end of a run (results.json, manifest.json, report/) is written under `run_lock` by whichever process gets there.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

from harness.config import ConfigError
from harness.runtime import dist
from harness.runtime.io import write_json_atomic

SCHEMA_VERSION = 2  # 2: keys from declared stage kinds (harness/stages/kind.py key_payload)
POLL_SECONDS = 1.0
_PROCESS_START = time.time()  # a claim older than this process belongs to an earlier launch


def _seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


# environment overrides, so a test (or an impatient user) can shorten them without a config field
WAIT_TIMEOUT = _seconds("HARNESS_WAIT_TIMEOUT", 48 * 3600)       # one stage on rank 0, or another job's lock
HEARTBEAT_SECONDS = _seconds("HARNESS_HEARTBEAT_SECONDS", 5)
HEARTBEAT_TIMEOUT = _seconds("HARNESS_HEARTBEAT_TIMEOUT", 300)  # rank 0 silent this long: it died
FAIL_ACK_SECONDS = _seconds("HARNESS_FAIL_ACK_SECONDS", 30)     # rank 0 waits this long for ranks to read a marker


class StageFailed(ConfigError):
    """A stage failed on rank 0 with an error that is not a ConfigError; the other ranks stop with its line."""


class WaitTimeout(ConfigError):
    """A bounded wait ran out (another job's lock, or rank 0 gone silent)."""


def _fresh(path: Path) -> dict | None:
    """A marker/claim JSON written by this job during this launch, else None."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if data.get("job") == dist.job_id() and data.get("time", 0) >= _PROCESS_START - 60 else None


def _heartbeat_path(run_dir: Path) -> Path:
    job = "".join(c if c.isalnum() else "_" for c in dist.job_id())
    return Path(run_dir) / ".locks" / f"rank0-{job}.alive"


_HEARTBEATS: set[str] = set()


def _start_heartbeat(run_dir: Path) -> None:
    """Rank 0 of a distributed job: refresh a heartbeat file from a daemon thread for the rest of the process."""
    path = _heartbeat_path(run_dir)
    if str(path) in _HEARTBEATS:
        return
    _HEARTBEATS.add(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)

    def beat():
        while True:
            with contextlib.suppress(OSError):
                write_json_atomic(path, {"job": dist.job_id(), "time": time.time()})
            time.sleep(HEARTBEAT_SECONDS)
    write_json_atomic(path, {"job": dist.job_id(), "time": time.time()})
    threading.Thread(target=beat, name="harness-rank0-heartbeat", daemon=True).start()


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return text if isinstance(e, ConfigError) else f"{type(e).__name__}: {text}" if text else type(e).__name__


def _replay(marker: dict) -> ConfigError:
    """The error a rank other than 0 raises for rank 0's failure marker: a ConfigError subclass as itself."""
    module, _, name = marker.get("type", "").rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
        if isinstance(cls, type) and issubclass(cls, ConfigError):
            return cls(marker["message"])
    except (ImportError, AttributeError, ValueError, TypeError):
        pass
    return StageFailed(marker["message"])


def _acquire(lock, what: str) -> None:
    """Wait at most WAIT_TIMEOUT for a file lock (released by the OS when its holder dies), else one line."""
    from filelock import Timeout
    try:
        lock.acquire(timeout=WAIT_TIMEOUT)
    except Timeout:
        raise WaitTimeout(f"{what}: another process held its lock for {WAIT_TIMEOUT:.0f}s ({lock.lock_file}); "
                          f"stop it or raise HARNESS_WAIT_TIMEOUT") from None


@contextlib.contextmanager
def run_lock(run_dir: Path, name: str = "run-end"):
    """Serialize the end of a run (results.json, manifest, report/) across processes sharing run_dir."""
    from filelock import FileLock
    path = Path(run_dir) / ".locks" / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    _acquire(lock, f"the end of the run in {run_dir}")
    try:
        yield
    finally:
        lock.release()


def stage_key(name: str, payload) -> str:
    blob = json.dumps({"stage": name, "schema": SCHEMA_VERSION, "inputs": payload}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _say(msg: str) -> None:
    # plain stderr, not the rich console: this module must stay importable without transformers
    print(msg, file=sys.stderr, flush=True)


class NotCached(Exception):
    """Raised by `Stage.run` inside `cache_only()` for a stage that would have to be computed."""


_CACHE_ONLY = False


@contextlib.contextmanager
def cache_only():
    """Within: a stage that is not done raises NotCached instead of computing (`harness compare --jobs` asks whether a
    task's stages all exist before handing it to a worker process)."""
    global _CACHE_ONLY
    old, _CACHE_ONLY = _CACHE_ONLY, True
    try:
        yield
    finally:
        _CACHE_ONLY = old


class Stage:
    """One cached step. `run(fn)` calls fn(partial_dir) -> meta dict unless already done.

    `collective` (default: `resumable`, i.e. the training stages) runs fn on every rank of a distributed job."""

    def __init__(self, run_dir: Path, name: str, payload, resumable: bool = False, collective: bool | None = None,
                 data_parallel: bool = False):
        self.name = name
        self.key = stage_key(name, payload)
        self.dir = Path(run_dir) / f"{name}-{self.key}"
        self.partial = self.dir.with_name(self.dir.name + ".partial")
        self.lock_path = Path(run_dir) / ".locks" / f"{self.dir.name}.lock"
        self.claim_path = self.dir.with_name(self.dir.name + ".claim")
        self.failed_path = self.lock_path.with_name(self.dir.name + ".failed")
        self.run_dir = Path(run_dir)
        self.resumable = resumable
        self.collective = resumable if collective is None else collective
        # a stage that only runs a model: every rank computes its share of the items (harness/runtime/shard.py)
        self.data_parallel = data_parallel
        self.shards = self.run_dir / ".shards" / self.dir.name

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
        if _CACHE_ONLY:
            raise NotCached(self.dir.name)
        if dist.world_size() > 1 and not dist.is_main_process():
            return self._follow(fn)
        from filelock import FileLock, Timeout
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        if dist.world_size() > 1:
            _start_heartbeat(self.run_dir)
            marker = _fresh(self.failed_path)
            if marker is not None:  # failed earlier in this job (a skipped recipe's pairs): fail alike, at once
                raise _replay(marker)
        lock = FileLock(str(self.lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            _say(f"stage {self.dir.name}: another process is computing it; waiting to reuse its result")
            _acquire(lock, f"stage {self.dir.name}")
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
        self._clear_failure()
        sharded = self.data_parallel and dist.world_size() > 1
        if sharded:
            shutil.rmtree(self.shards, ignore_errors=True)  # parts of an earlier launch
        if (self.collective or sharded) and dist.world_size() > 1:
            write_json_atomic(self.claim_path, {"job": dist.job_id(), "time": time.time()})
        t0 = time.time()
        try:
            from harness.runtime import shard
            # rank 0 of a data-parallel stage: its `all_gather` calls exchange parts with the other ranks
            with shard.sharding(self.shards, timeout=WAIT_TIMEOUT) if sharded else contextlib.nullcontext():
                meta = fn(self.partial) or {}
            meta = {"stage": self.name, "key": self.key, "seconds": round(time.time() - t0, 2), **meta}
            write_json_atomic(self.partial / "meta.json", meta)
            if self.dir.exists():  # finished by a process that did not take the lock (an older harness); keep theirs
                shutil.rmtree(self.partial)
            else:
                os.replace(self.partial, self.dir)
        except BaseException as e:
            if not self.resumable:  # nothing to resume: leave no half-written artifact behind
                shutil.rmtree(self.partial, ignore_errors=True)
            if dist.world_size() > 1:
                self._announce_failure(e)
            raise
        finally:
            self.claim_path.unlink(missing_ok=True)
        meta["cached"] = False
        return meta

    def _claimed_by_my_job(self) -> bool:
        return _fresh(self.claim_path) is not None

    # ---- failure markers (distributed jobs) ------------------------------------------------------------
    def _ack_path(self, rank: int) -> Path:
        return self.failed_path.with_name(f"{self.failed_path.name}.ack{rank}")

    def _clear_failure(self) -> None:
        self.failed_path.unlink(missing_ok=True)
        for r in range(1, dist.world_size()):
            self._ack_path(r).unlink(missing_ok=True)

    def _announce_failure(self, e: BaseException) -> None:
        """Rank 0: leave the marker, say the line every rank will say, wait (bounded) for the ranks to read it.

        Every rank prints its line *before* anyone exits: a launcher (torchrun) kills the other ranks as soon as one
        exits non-zero, so a line printed on the way out may never appear. The error is marked `announced` and the
        CLI does not print it again. A designed skip (`skip_recipe`, e.g. NoPairs) stops nobody and prints nothing."""
        line = _one_line(e)
        if not isinstance(e, ConfigError):
            line = f"stage {self.dir.name} failed on rank 0: {line}"  # rank 0's traceback follows its line
        skip = bool(getattr(e, "skip_recipe", False))
        kind = f"{type(e).__module__}.{type(e).__qualname__}"
        write_json_atomic(self.failed_path, {"job": dist.job_id(), "time": time.time(), "type": kind, "message": line,
                                             "skip": skip})
        if not skip:
            _say(f"error: {line}")
            with contextlib.suppress(AttributeError, TypeError):
                e.announced = True
        deadline = time.time() + FAIL_ACK_SECONDS
        waiting = set(range(1, dist.world_size()))
        while waiting and time.time() < deadline:
            waiting = {r for r in waiting if not self._ack_path(r).exists()}
            if waiting:
                time.sleep(POLL_SECONDS / 4)
        if not waiting:
            time.sleep(POLL_SECONDS)  # let them print their line and exit before a launcher reaps them for ours
        else:
            _say(f"rank 0: ranks {sorted(waiting)} did not read the failure marker of {self.dir.name} within "
                 f"{FAIL_ACK_SECONDS:.0f}s (busy in a collective?); exiting anyway")

    def _failure(self) -> ConfigError | None:
        marker = _fresh(self.failed_path)
        if marker is None:
            return None
        write_json_atomic(self._ack_path(dist.rank()), {"job": dist.job_id(), "time": time.time()})
        err = _replay(marker)
        if not marker.get("skip"):
            _say(f"error: {marker['message']}")  # before exiting: see _announce_failure
            err.announced = True
        return err

    def _follow(self, fn) -> dict:
        """A rank other than 0: join a collective stage once rank 0 claims it, else wait for rank 0's result;
        stop with rank 0's error if it leaves a failure marker, or with one line if it goes silent."""
        announced = False
        start = time.time()
        while not self.done:
            err = self._failure()
            if err is not None:
                raise err
            if self.data_parallel and self._claimed_by_my_job():
                from harness.runtime import shard
                scratch = shard.scratch(self.shards / "scratch")
                try:  # this rank's share of the items; what it writes besides is thrown away (rank 0 writes it)
                    with shard.sharding(self.shards, check=lambda: self._stop_if_rank0_gone(start),
                                        timeout=WAIT_TIMEOUT):
                        fn(scratch)
                finally:
                    shutil.rmtree(scratch, ignore_errors=True)
                self.data_parallel = False  # from here on only wait
                continue
            if self.collective and self._claimed_by_my_job():
                fn(self.partial)  # the trainer synchronizes the ranks; rank 0 writes the artifact
                self.collective = False  # from here on only wait
                continue
            if not announced:
                _say(f"rank {dist.rank()}: waiting for rank 0 to finish stage {self.dir.name}")
                announced = True
            self._check_rank0_alive(start)
            time.sleep(POLL_SECONDS)
        return self._cached()

    def _stop_if_rank0_gone(self, start: float) -> None:
        err = self._failure()
        if err is not None:
            raise err
        self._check_rank0_alive(start, bounded=False)

    def _check_rank0_alive(self, start: float, bounded: bool = True) -> None:
        now = time.time()
        beat = _fresh(_heartbeat_path(self.run_dir))
        last = beat["time"] if beat else start  # rank 0 may not have reached its first stage yet
        if now - last > HEARTBEAT_TIMEOUT:
            raise WaitTimeout(f"stage {self.dir.name}: rank 0 stopped answering (no heartbeat for {now - last:.0f}s); "
                              f"it was killed or hangs, see its log")
        if bounded and now - start > WAIT_TIMEOUT:
            raise WaitTimeout(f"stage {self.dir.name}: rank {dist.rank()} waited {WAIT_TIMEOUT:.0f}s for rank 0; "
                              f"raise HARNESS_WAIT_TIMEOUT for longer stages")
