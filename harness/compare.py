"""`harness compare`: train every requested recipe, evaluate each through lm-eval, write the report."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from .cache import write_json_atomic
from .config import ExperimentConfig
from .manifest import build_manifest
from .pipeline import Pipeline
from .progress import console, stdout
from .registry import resolve
from .report import RESULTS_SCHEMA_VERSION, markdown, plots, rich_table


def compare(cfg: ExperimentConfig, recipes: str, argv: list[str] | None = None) -> dict:
    t0 = time.time()
    chosen = resolve(recipes)
    pipe = Pipeline(cfg)
    rows = []
    for i, r in enumerate(chosen, 1):
        console.rule(f"[bold]{i}/{len(chosen)} recipe {r.name}[/]: {r.description}")
        scores = pipe.evaluate(r)
        model_dir, meta, _ = pipe.train(r)
        rows.append({"name": r.name, "description": r.description, "trainer": r.trainer, "pairs": r.pairs,
                     "weights": r.weights if r.trainer == "dpo" else None, "loss_type": list(r.loss_type) if r.trainer == "dpo" else None,
                     "model_dir": model_dir, "eval": scores,
                     "train": {"seconds": meta.get("seconds"), "log_history": meta.get("log_history", [])}})
    tasks = sorted({t for r in rows for t in r["eval"]}, key=lambda t: list(cfg.eval.tasks).index(t))
    manifest = build_manifest(cfg, pipe.timings, argv)
    manifest["wall_seconds"] = round(time.time() - t0, 1)
    results = {"schema_version": RESULTS_SCHEMA_VERSION, "experiment": cfg.name, "tasks": tasks,
               "recipes": rows, "manifest": manifest}
    if "pool" in pipe._memo:
        results["pool"] = {k: v for k, v in pipe._memo["pool"][1].items() if k in ("summary", "sampling")}
    if "slice" in pipe._memo:
        results["slice"] = {k: v for k, v in pipe._memo["slice"][1].items() if k in ("n_problems", "of", "summary")}
    pairs = {label.split(":", 1)[1]: meta["stats"] for label, (_, meta) in pipe._memo.items() if label.startswith("pairs:")}
    if pairs:
        results["pairs"] = pairs
    run_dir = Path(cfg.run_dir)
    write_json_atomic(run_dir / "manifest.json", manifest)
    write_json_atomic(run_dir / "results.json", results)
    report_tmp = run_dir / "report.partial"
    shutil.rmtree(report_tmp, ignore_errors=True)
    report_tmp.mkdir(parents=True)
    made = plots(results, report_tmp)
    (report_tmp / "report.md").write_text(markdown(results, made))
    shutil.rmtree(run_dir / "report", ignore_errors=True)
    os.replace(report_tmp, run_dir / "report")
    stdout.print(rich_table(results))
    stdout.print(f"results: {run_dir / 'results.json'} · report: {run_dir / 'report' / 'report.md'} · "
                  f"wall {manifest['wall_seconds']:.0f}s")
    return results
