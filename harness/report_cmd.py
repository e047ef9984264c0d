"""Build the report of a run directory from its saved results: no training, no evaluation.

    harness report runs/tiny                       # report/report.md + plots + tables.tex + stats.json
    harness report runs/tiny --format md,tex       # a subset

`harness compare` ends by calling the same `build_report`, so `harness report` on a finished run
reproduces report.md byte for byte (the bootstrap is seeded; nothing reads the clock).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .config import ConfigError

FORMATS = ("md", "tex", "json")


def parse_formats(spec: str) -> list[str]:
    fmts = [f.strip() for f in spec.split(",") if f.strip()]
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise ConfigError(f"--format {spec!r}: choose a comma-separated subset of {', '.join(FORMATS)}")
    return fmts


def build_report(run_dir: Path, results: dict, formats=FORMATS) -> dict:
    """Write <run_dir>/report/ atomically (a .partial folder renamed into place); returns the statistics."""
    from .analysis import analyze
    run_dir = Path(run_dir)
    stats = analyze(results, run_dir)
    tmp = run_dir / "report.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if "md" in formats:
        from .plots import all_plots
        from .report import markdown
        made = all_plots(results, stats, tmp)
        (tmp / "report.md").write_text(markdown(results, stats, made))
    if "tex" in formats:
        from .latex import latex
        (tmp / "tables.tex").write_text(latex(results, stats))
    if "json" in formats:
        (tmp / "stats.json").write_text(json.dumps(stats, indent=1, sort_keys=True))
    shutil.rmtree(run_dir / "report", ignore_errors=True)
    os.replace(tmp, run_dir / "report")
    return stats


def report(run_dir: str, formats: str = "md,tex,json") -> dict:
    from .progress import stdout
    from .report import rich_table
    from .results import read_results
    fmts = parse_formats(formats)
    results = read_results(Path(run_dir))
    stats = build_report(Path(run_dir), results, fmts)
    stdout.print(rich_table(results, stats))
    stdout.print(f"report: {Path(run_dir) / 'report'} ({', '.join(fmts)}) · {results['selection']}")
    return stats
