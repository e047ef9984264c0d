"""Build the report of a run directory from its saved results: no training, no evaluation.

    harness report runs/tiny                       # report/report.md + plots + tables.tex + stats.json
    harness report runs/tiny --format md,tex       # a subset

`harness compare` ends by calling the same `build_report`, so `harness report` on a finished run
reproduces report.md byte for byte (the bootstrap is seeded; nothing reads the clock).

Several processes may end on one run directory at once (two `harness compare`, or a `harness report` beside one):
`report_locked` reads results.json and writes report/ under the run's lock (harness/runtime/cache.py `run_lock`),
so each report/ is built whole from the results.json on disk at that moment and no rename meets another's folder.
"""
from __future__ import annotations

import json
from pathlib import Path

from harness.config import ConfigError
from harness.runtime.io import atomic_path

FORMATS = ("md", "tex", "json")


def parse_formats(spec: str) -> list[str]:
    fmts = [f.strip() for f in spec.split(",") if f.strip()]
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise ConfigError(f"--format {spec!r}: choose a comma-separated subset of {', '.join(FORMATS)}")
    return fmts


def build_report(run_dir: Path, results: dict, formats=FORMATS) -> dict:
    """Write <run_dir>/report/ atomically (a .partial folder renamed into place); returns the statistics."""
    from harness.reporting.analysis import analyze
    run_dir = Path(run_dir)
    stats = analyze(results, run_dir)
    with atomic_path(run_dir / "report") as tmp:
        tmp.mkdir(parents=True)
        if "md" in formats:
            from harness.reporting.plots import all_plots
            from harness.reporting.markdown import markdown
            made = all_plots(results, stats, tmp)
            text = markdown(results, stats, made)
            check_claims(text, stats)
            (tmp / "report.md").write_text(text)
        if "tex" in formats:
            from harness.reporting.latex import latex
            (tmp / "tables.tex").write_text(latex(results, stats))
        if "json" in formats:
            (tmp / "stats.json").write_text(json.dumps(stats, indent=1, sort_keys=True))
    return stats


def check_claims(text: str, stats: dict) -> None:
    """Refuse a report.md whose sentences state a draw count, an interval property, an MDE range or a best recipe
    that stats.json contradicts (harness/reporting/claims.py); checked on the JSON round trip the reader gets."""
    from harness.reporting.claims import check
    bad = check(text, json.loads(json.dumps(stats)))
    if bad:
        raise ValueError("report.md disagrees with stats.json:\n  " + "\n  ".join(bad))


def report_locked(run_dir: Path, formats=FORMATS) -> tuple[dict, dict]:
    """(results, statistics): results.json as it is on disk and the report built from it, under the run's lock."""
    from harness.reporting.results import read_results
    from harness.runtime.cache import run_lock
    import contextlib
    run_dir = Path(run_dir)
    # a live run directory (its stages made .locks/); an archive has no concurrent writers and gets no lock file
    lock = run_lock(run_dir) if (run_dir / ".locks").is_dir() else contextlib.nullcontext()
    with lock:
        results = read_results(run_dir)
        return results, build_report(run_dir, results, formats)


def report(run_dir: str, formats: str = "md,tex,json") -> dict:
    from harness.runtime.progress import stdout
    from harness.reporting.markdown import rich_table
    fmts = parse_formats(formats)
    results, stats = report_locked(Path(run_dir), fmts)
    stdout.print(rich_table(results, stats))
    stdout.print(f"report: {Path(run_dir) / 'report'} ({', '.join(fmts)}) · {results['selection']}")
    return stats
