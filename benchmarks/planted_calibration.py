"""Calibrate the planted-flaw world on VALIDATION (never test): does SFT's greedy output show the planted flaw on a
clearly measurable share of problems, and are the other problems solved as well as in the clean world?

    nice -n 10 python benchmarks/planted_calibration.py --run-dir /tmp/planted-cal --rates 0.5 --clean
    python benchmarks/planted_calibration.py --run-dir /tmp/planted-cal --rates 0.5 --clean \
        --recipes rft,dpo                      # + a one-seed positive control (pool, pairs, training) on validation

Each world (data.planted_rate = r; 0 is the clean world) trains SFT through the ordinary cached stages and
evaluates it greedily on every validation problem (harness/stages/sweep.py `val_eval`). Ground truth comes from
the planted labels of the validation problems (identical in every world: the planted world changes training
solutions only), so the clean world is scored on the same trigger problems. Writes
benchmarks/results/planted_calibration.json (or --out), with the trigger design (planted.KINDS) it ran;
planted_calibration_v1.json is the first, wider design's calibration (target missed).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from pathlib import Path


def labels_of(cfg) -> dict[str, dict]:
    """Validation problems' planted labels (any rate > 0 gives the same validation labels)."""
    from harness.data.loaders import build_splits
    world = dataclasses.replace(cfg.data, planted_rate=1.0)
    return {p["id"]: p["planted"] for p in build_splits(world, cfg.seed)["validation"]}


def world_stats(cfg) -> dict:
    """What the planted world holds before any model sees it: triggers, planted answers and flawed training solutions
    per split and kind."""
    from harness.data.loaders import build_splits
    out = {}
    splits = build_splits(cfg.data, cfg.seed)
    out["verifier_on_planted_training_texts"] = verifier_on_texts(splits["train"])
    for name, rows in splits.items():
        kinds = sorted({p["planted"]["trigger"] for p in rows if p["planted"]["trigger"]})
        out[name] = {"n": len(rows), "trigger": sum(bool(p["planted"]["trigger"]) for p in rows),
                     "with_planted_answer": sum(p["planted"]["answer"] is not None for p in rows),
                     "flawed_solutions": sum(p["planted"]["flawed"] for p in rows),
                     "by_kind": {k: {"trigger": sum(p["planted"]["trigger"] == k for p in rows),
                                     "flawed_solutions": sum(p["planted"]["flawed"] and p["planted"]["trigger"] == k
                                                             for p in rows)} for k in kinds}}
    return out


def verifier_on_texts(train: list[dict], n: int = 1000) -> dict:
    """The verifier on the planted flawed training texts themselves (the generator's, not a model's): the ceiling
    of what it can see of a planted flaw, against the correct reference solution. Every flawed text shows its flaw."""
    from verifier import MathVerifier

    from harness.pairs.planted import verifier_on_planted
    flawed = [p for p in train if p["planted"]["flawed"]][:n]
    items = [{"question": p["question"], "solution": p["sft_solution"], "reference_answer": p["answer"],
              "reference_solution": p["solution"]} for p in flawed]
    out = {}
    for kind in sorted({p["planted"]["trigger"] for p in flawed}):
        idx = [i for i, p in enumerate(flawed) if p["planted"]["trigger"] == kind]
        vs = MathVerifier().verify_batch([items[i] for i in idx], workers=1)
        samples = [{"verdict": v.to_dict(), "planted": {**flawed[i]["planted"], "shows": True}} for i, v in zip(idx, vs)]
        out[kind] = verifier_on_planted(samples)
    return out


def score(rows: list[dict], labels: dict[str, dict]) -> dict:
    """Accuracy overall / on trigger problems / on the others, and the planted-flaw rate (ground truth)."""
    from harness.data.planted import reads_flaw, shows_flaw

    def acc(rs):
        return None if not rs else round(sum(float(r["equiv"] or 0) for r in rs) / len(rs), 4)
    trig = [r for r in rows if labels[r["id"]]["trigger"]]
    other = [r for r in rows if not labels[r["id"]]["trigger"]]
    with_answer = [r for r in trig if labels[r["id"]]["answer"] is not None]
    shows = [r for r in with_answer if shows_flaw(labels[r["id"]], (r.get("verdict") or {}).get("pred_answer"))]
    reads = [r for r in with_answer if reads_flaw(labels[r["id"]], r.get("response"))]
    out = {"n": len(rows), "accuracy": acc(rows), "n_trigger": len(trig), "trigger_accuracy": acc(trig),
           "n_other": len(other), "other_accuracy": acc(other),
           "n_trigger_with_planted_answer": len(with_answer),
           "shows_planted_flaw": len(shows), "planted_flaw_share_of_all": round(len(shows) / max(len(rows), 1), 4),
           "planted_flaw_rate_on_trigger": round(len(shows) / max(len(with_answer), 1), 4),
           # the wider, step-level count: the planted sentence at the flawed step, whatever the arithmetic after it
           "reads_planted": len(reads), "planted_reading_share_of_all": round(len(reads) / max(len(rows), 1), 4),
           "planted_reading_rate_on_trigger": round(len(reads) / max(len(with_answer), 1), 4), "by_kind": {}}
    for kind in sorted({labels[r["id"]]["trigger"] for r in trig}):
        k_rows = [r for r in with_answer if labels[r["id"]]["trigger"] == kind]
        k_shows = [r for r in shows if labels[r["id"]]["trigger"] == kind]
        k_reads = [r for r in reads if labels[r["id"]]["trigger"] == kind]
        out["by_kind"][kind] = {"n": len(k_rows), "accuracy": acc(k_rows), "shows": len(k_shows),
                                "rate": round(len(k_shows) / max(len(k_rows), 1), 4), "reads": len(k_reads),
                                "reading_rate": round(len(k_reads) / max(len(k_rows), 1), 4)}
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="tiny-planted")
    ap.add_argument("--run-dir", default="/tmp/planted-calibration")
    ap.add_argument("--rates", default="0.5", help="comma-separated data.planted_rate values to train SFT on")
    ap.add_argument("--clean", action="store_true", help="also the clean world (data.planted_rate=0)")
    ap.add_argument("--recipes", default="", help="post-SFT recipes to train and score on validation per world")
    ap.add_argument("--out", default="benchmarks/results/planted_calibration.json")
    ap.add_argument("--data-only", action="store_true", help="only the world's data statistics (no training)")
    ap.add_argument("overrides", nargs="*", help="key=value config overrides")
    args = ap.parse_args(argv)
    from harness.config import load_config
    from harness.registry import get_recipe, resolve
    from harness.runtime.io import read_jsonl, write_json_atomic
    from harness.stages.pipeline import Pipeline
    from harness.stages.sweep import val_eval
    rates = [float(r) for r in args.rates.split(",") if r.strip()] + ([0.0] if args.clean else [])
    recipes = [get_recipe("sft")] + ([r for r in resolve(args.recipes) if r.name != "sft"] if args.recipes else [])
    worlds, data = [], {}
    for rate in rates:
        if rate > 0:
            data[str(rate)] = world_stats(load_config(args.config, [*args.overrides, f"data.planted_rate={rate}"]))
    for rate in [] if args.data_only else rates:
        cfg = load_config(args.config, [*args.overrides, f"run_dir={args.run_dir}", f"data.planted_rate={rate}"])
        labels = labels_of(cfg)
        pipe = Pipeline(cfg)
        world = {"planted_rate": rate, "recipes": {}}
        for r in recipes:
            t0 = time.time()
            _, emeta = val_eval(pipe, r)
            rows = read_jsonl(Path(emeta["dir"]) / "samples_hardneg_synth.jsonl")
            world["recipes"][r.name] = {**score(rows, labels), "seconds": round(time.time() - t0, 1),
                                        "eval_stage": Path(emeta["dir"]).name}
            print(rate, r.name, json.dumps(world["recipes"][r.name]), flush=True)
        worlds.append(world)
        write_json_atomic(args.out, _document(args, data, worlds))  # each finished world survives a later kill
    out = _document(args, data, worlds)
    write_json_atomic(args.out, out)
    return out


def _document(args, data: dict, worlds: list[dict]) -> dict:
    import os

    from harness.data.planted import KINDS
    return {"split": "validation", "config": args.config, "overrides": args.overrides,
            "kinds": {k: {"families": list(f), "op": op} for k, (f, op) in KINDS.items()},
            "data": data, "worlds": worlds,
            "machine": {"cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()],
                        "python": platform.python_version()}}


if __name__ == "__main__":
    main()
