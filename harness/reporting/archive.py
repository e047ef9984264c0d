"""A run's evidence in a folder small enough to commit: `harness report RUN_DIR --archive DEST`.

    harness report runs/tiny-study --archive reports/tiny-study     # then: harness report reports/tiny-study

A run directory holds checkpoints and caches (hundreds of MB); the report needs only results.json, the manifest,
the frozen near-miss slice and the per-problem rows every figure is recomputed from (harness/reporting/analysis.py). DEST
gets exactly those, the rows gzipped under the run's own relative paths (`eval-<key>/samples_<task>.jsonl.gz`,
which harness/reporting/results.py reads in place of a missing `.jsonl`), plus the sweep table if the run has one, and the
report rebuilt inside DEST - so `harness report DEST` reproduces it byte for byte from committed files alone.
DEST is written under a temporary name and renamed into place (harness/runtime/io.py): a failed archive leaves nothing half-written.

DEST is replaced wholesale, so it must be safe to replace: a new or empty folder, or one an earlier archive wrote
(it holds the marker file `.hardneg-archive`, or - archives older than the marker - nothing but an archive's own
files). Anything else (`--archive runs`, `--archive reports`, `--archive .`) stops with one line and touches nothing.
"""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from harness.config import ConfigError
from harness.runtime.io import atomic_path

KEEP = ("results.json", "manifest.json", "near_miss_slice.json")
MARKER = ".hardneg-archive"


def _looks_like_an_archive(dest: Path) -> bool:
    """An archive written before the marker existed: results.json plus only what `archive` writes."""
    entries = list(dest.iterdir())
    if not (dest / "results.json").is_file():
        return False
    for e in entries:
        if e.is_file() and e.name in KEEP:
            continue
        if e.is_dir() and e.name in ("report", "sweep"):
            continue
        if e.is_dir() and e.name.startswith("eval-") and all(f.is_file() and f.name.endswith(".jsonl.gz")
                                                              for f in e.iterdir()):
            continue
        return False
    return True


def check_dest(run_dir: Path, dest: Path) -> None:
    """ConfigError unless `dest` may be replaced by an archive of `run_dir`."""
    run, out = run_dir.resolve(), dest.resolve()
    if out == run or out in run.parents:
        raise ConfigError(f"--archive {dest}: it holds the run directory {run_dir}; choose a new folder, "
                          f"e.g. reports/{run.name}")
    if run in out.parents:
        raise ConfigError(f"--archive {dest}: it lies inside the run directory {run_dir}; choose a folder outside it")
    if not dest.exists():
        return
    if not dest.is_dir():
        raise ConfigError(f"--archive {dest}: a file of that name exists; choose a new or empty folder")
    if not any(dest.iterdir()) or (dest / MARKER).is_file() or _looks_like_an_archive(dest):
        return
    raise ConfigError(f"--archive {dest}: the folder is not empty and was not written by `harness report --archive` "
                      f"(no {MARKER}); it would be replaced wholesale, so choose a new or empty folder")


def archive(run_dir: Path, dest: Path) -> list[Path]:
    """Copy the evidence of `run_dir` into `dest` (replacing it); -> the files written, relative to dest."""
    from harness.reporting.results import read_results, sample_path
    run_dir, dest = Path(run_dir), Path(dest)
    check_dest(run_dir, dest)
    results = read_results(run_dir)
    with atomic_path(dest) as tmp:
        tmp.mkdir(parents=True)
        (tmp / MARKER).write_text("written by `harness report RUN_DIR --archive DEST`, which may replace this folder\n")
        for name in KEEP:
            if (run_dir / name).is_file():
                shutil.copy2(run_dir / name, tmp / name)
        for rel in sorted({rel for r in results["recipes"] for run in r["runs"] for rel in run["samples"].values()}):
            src = sample_path(run_dir, rel)
            out = tmp / (rel if rel.endswith(".gz") else rel + ".gz")
            out.parent.mkdir(parents=True, exist_ok=True)
            if src.suffix == ".gz":  # archiving an archive
                shutil.copy2(src, out)
                continue
            # mtime=0: the same rows give the same bytes, so a re-archived run shows no spurious git diff
            with open(src, "rb") as f, open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as g:
                shutil.copyfileobj(f, g)
        if (run_dir / "sweep").is_dir():
            shutil.copytree(run_dir / "sweep", tmp / "sweep")
        from harness.reporting.build import build_report
        build_report(tmp, results)
    return sorted(p.relative_to(dest) for p in dest.rglob("*") if p.is_file())
