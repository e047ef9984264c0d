"""Files that are never seen half-written: the one atomic-write helper (write to a temporary name, then rename),
for single files and whole folders, and the JSONL readers and writers every stage uses.

Temporary names carry the process id, so two processes writing the same target never share a temporary.
"""
from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from harness.config import ConfigError


class DataError(ConfigError):
    """Data the user asked for cannot be found; the message says which option or path to set."""


def _tmp_name(path: Path) -> Path:
    return path.with_name(f"{path.name}.{os.getpid()}.partial")


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path next to `path`; on success rename it onto `path`, on failure remove it.
    Works for a file (write to the yielded path) and for a folder (create it and fill it)."""
    path = Path(path)
    tmp = _tmp_name(path)
    _remove(tmp)
    try:
        yield tmp
        if tmp.is_dir():
            _remove(path)  # os.replace cannot replace a non-empty folder
        os.replace(tmp, path)
    finally:
        _remove(tmp)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(path: str | Path, obj, indent: int | None = 2) -> None:
    write_text_atomic(path, json.dumps(obj, indent=indent, default=str))


def read_jsonl(path: str | Path) -> list[dict]:
    """Rows of a .jsonl file (or the list/object of a .json file)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"file '{p}' not found")
    text = p.read_text(encoding="utf-8")
    if p.suffix == ".json":
        data = json.loads(text)
        return data if isinstance(data, list) else [data]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def write_jsonl(path: str | Path, rows: list[dict]) -> None:
    """Rows to a .jsonl file, atomically."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
