"""The planted-reading rate of an archived planted-world study whose rows predate `reads` (harness/data/planted.py).

`shows` (the answer equals the planted answer) misses an output that adopts the planted reading and then slips on
the arithmetic; `reads` (the flawed step is the planted sentence) counts it. Rows written before `reads` existed
carry only `shows`: this script regenerates the problems' labels from the run's own config (the generator is
deterministic), labels every saved test row with `reads`, and prints the report's planted tables on a relabelled
copy. Nothing is fitted: it re-measures saved outputs with a ground-truth label.

    python benchmarks/planted_reading.py reports/tiny-planted-study --config tiny-planted-study
"""
from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "planted_reading.json"


def main() -> None:
    from harness.config import load_config
    from harness.data.loaders import build_splits
    from harness.data.planted import reads_flaw
    from harness.reporting.planted import planted_lines, recipe_table
    from harness.runtime.io import read_jsonl, write_jsonl

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", type=Path, help="an archived run directory (results.json + eval-*/ rows)")
    ap.add_argument("--config", required=True, help="the config the study ran (its data section is checked)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    results = json.loads((args.report / "results.json").read_text())
    cfg = load_config(args.config)
    ran = ((results.get("manifest") or {}).get("config") or {}).get("data")
    mine = json.loads(json.dumps(asdict(cfg.data)))
    if ran is not None and {k: v for k, v in ran.items() if k in mine} != mine:
        sys.exit(f"error: {args.config}'s data section differs from the one {args.report} ran; pass the study's config")
    labels = {p["id"]: p["planted"] for p in build_splits(cfg.data, cfg.seed)["test"]}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "run"
        shutil.copytree(args.report, work, ignore=shutil.ignore_patterns("report", "sweep"))
        n = 0
        for path in sorted(work.glob("eval-*/samples_hardneg_synth.jsonl*")):
            if path.suffix == ".gz":
                with gzip.open(path, "rt", encoding="utf-8") as f:
                    rows = [json.loads(line) for line in f if line.strip()]
            else:
                rows = read_jsonl(path)
            for r in rows:
                lab = labels.get(str(r.get("id")))
                if lab is not None and r.get("planted") is not None:
                    r["planted"]["reads"] = reads_flaw(lab, r.get("response"))
                    n += 1
            if path.suffix == ".gz":
                with gzip.open(path, "wt", encoding="utf-8") as f:
                    f.writelines(json.dumps(r) + "\n" for r in rows)
            else:
                write_jsonl(path, rows)
        table = recipe_table(results, work)
        lines = planted_lines(results, run_dir=work)
    i = next(k for k, line in enumerate(lines) if line.startswith("*Planted reading*"))
    print("\n".join(lines[i:i + 4 + len(table)]))
    print(f"({n} rows relabelled)")
    if not args.no_write:
        out = {"benchmark": "planted_reading", "report": str(args.report), "config": args.config,
               "manifest_git_revision": (results.get("manifest") or {}).get("git_revision"),
               "recipes": {k: {f: v[f] for f in ("n_planted", "planted_rate", "reading_rate", "trigger_accuracy")}
                           | {"vs": {b: {"reading_rate": c.get("reading_rate"), "planted_rate": c.get("planted_rate")}
                                     for b, c in v["vs"].items()}} for k, v in table.items()}}
        RESULTS.write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
