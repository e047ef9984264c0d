"""Content-addressed, atomic stage artifacts.

A stage's directory is `<run_dir>/<stage>-<key>` where key hashes the stage's inputs (its config
sections and its upstream keys). Work happens in `<dir>.partial`; `meta.json` is written last and the
directory renamed into place, so a finished artifact is never half-written and a killed stage leaves
only a `.partial` that the next run resumes (training) or restarts (everything else).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

SCHEMA_VERSION = 1


def stage_key(name: str, payload) -> str:
    blob = json.dumps({"stage": name, "schema": SCHEMA_VERSION, "inputs": payload}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def write_json_atomic(path: Path, obj) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=str))
    os.replace(tmp, path)


class Stage:
    """One cached step. `run(fn)` calls fn(partial_dir) -> meta dict unless already done."""

    def __init__(self, run_dir: Path, name: str, payload, resumable: bool = False):
        self.name = name
        self.key = stage_key(name, payload)
        self.dir = Path(run_dir) / f"{name}-{self.key}"
        self.partial = self.dir.with_name(self.dir.name + ".partial")
        self.resumable = resumable

    @property
    def done(self) -> bool:
        return (self.dir / "meta.json").is_file()

    def meta(self) -> dict:
        return json.loads((self.dir / "meta.json").read_text())

    def run(self, fn) -> dict:
        if self.done:
            meta = self.meta()
            meta["cached"] = True
            return meta
        if self.partial.exists() and not self.resumable:
            shutil.rmtree(self.partial)
        self.partial.mkdir(parents=True, exist_ok=True)
        t0 = time.time()
        meta = fn(self.partial) or {}
        meta = {"stage": self.name, "key": self.key, "seconds": round(time.time() - t0, 2), **meta}
        write_json_atomic(self.partial / "meta.json", meta)
        if self.dir.exists():  # a concurrent run finished first; keep theirs
            shutil.rmtree(self.partial)
        else:
            os.replace(self.partial, self.dir)
        meta["cached"] = False
        return meta
