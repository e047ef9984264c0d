"""A run's evidence in a folder small enough to commit: `harness report RUN_DIR --archive DEST`.

    harness report runs/tiny-study --archive reports/tiny-study     # then: harness report reports/tiny-study

A run directory holds checkpoints and caches (hundreds of MB); the report needs only results.json, the manifest,
the frozen near-miss slice and the per-problem rows every figure is recomputed from (harness/reporting/analysis.py). DEST
gets exactly those, the rows gzipped under the run's own relative paths (`eval-<key>/samples_<task>.jsonl.gz`,
which harness/reporting/results.py reads in place of a missing `.jsonl`), plus the sweep table if the run has one, and the
report rebuilt inside DEST - so `harness report DEST` reproduces it byte for byte from committed files alone.
DEST is written under a temporary name and renamed into place (harness/runtime/io.py): a failed archive leaves nothing half-written.
"""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from harness.config import ConfigError
from harness.runtime.io import atomic_path

KEEP = ("results.json", "manifest.json", "near_miss_slice.json")


def archive(run_dir: Path, dest: Path) -> list[Path]:
    """Copy the evidence of `run_dir` into `dest` (replacing it); -> the files written, relative to dest."""
    from harness.reporting.results import read_results, sample_path
    run_dir, dest = Path(run_dir), Path(dest)
    if dest.resolve() == run_dir.resolve():
        raise ConfigError(f"--archive {dest}: the archive must be another folder than the run directory")
    results = read_results(run_dir)
    with atomic_path(dest) as tmp:
        tmp.mkdir(parents=True)
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
