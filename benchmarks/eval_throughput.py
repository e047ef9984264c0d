"""Greedy evaluation throughput through lm-eval (`harness.stages.evaluate.run_lm_eval`, the exact stage code).

    python benchmarks/eval_throughput.py --model runs/tiny/sft-<key>/model --n 1000 --batch-sizes 100,500

Evaluates one checkpoint on the first N synthetic test problems (`data.n_test` >= N, built exactly as
`harness compare` builds them) once per setting, alternating settings across `--repeats` rounds so machine
drift hits all of them alike; prints generated tokens/s (median over rounds), seconds and accuracy per
setting, and checks that every setting gives the same per-problem answers. Writes
benchmarks/results/eval_throughput.json.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="checkpoint directory (e.g. runs/tiny/sft-*/model)")
    ap.add_argument("--config", default="tiny")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--batch-sizes", default="100,250,500")
    ap.add_argument("--max-gen-toks", default="", help="comma-separated values to try (default: the config's)")
    ap.add_argument("--caches", default="dynamic,static", help="KV caches to try (eval.cache)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "eval_throughput.json"))
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()

    from rich.console import Console
    from rich.table import Table

    from harness.config import load_config
    from harness.data.loaders import build_splits, write_jsonl
    from harness.stages.evaluate import run_lm_eval, task_metadata
    from harness.runtime.manifest import git_revision

    cfg = load_config(args.config, [f"data.n_test={max(args.n, 1)}", "device=cpu", *args.overrides])
    tmp = Path(tempfile.mkdtemp(prefix="eval_tp_"))
    write_jsonl(tmp / "test.jsonl", build_splits(cfg.data, cfg.seed)["test"][: args.n])
    meta = task_metadata(cfg, str(tmp / "test.jsonl"), None)
    from harness.tasks import task
    gens = [int(x) for x in args.max_gen_toks.split(",") if x] or [cfg.eval.max_gen_toks or task("hardneg_synth").max_gen_toks]
    settings = [(b, g, c) for c in args.caches.split(",") for g in gens for b in (int(x) for x in args.batch_sizes.split(","))]
    runs: dict = {s: [] for s in settings}
    answers: dict = {}
    for _ in range(args.repeats):
        for b, g, cache in settings:
            import dataclasses
            c = dataclasses.replace(cfg, eval=dataclasses.replace(cfg.eval, batch_size=b, max_gen_toks=g, limit=args.n,
                                                                  cache=cache))
            out = tmp / f"b{b}_g{g}_{cache}"
            out.mkdir(exist_ok=True)
            scores, thr = run_lm_eval(args.model, c, ["hardneg_synth"], meta, out)
            runs[(b, g, cache)].append({**thr, "equiv": scores["hardneg_synth"]["equiv"]})
            rows = [json.loads(x) for x in (out / "samples_hardneg_synth.jsonl").read_text().splitlines()]
            answers[(b, g, cache)] = [r["equiv"] for r in rows]
    ref = answers[settings[0]]
    table = Table(title=f"lm-eval greedy generation, {args.n} synthetic problems, median of {args.repeats}")
    for col in ("batch", "max_gen_toks", "cache", "seconds", "tokens", "tokens/s", "accuracy", "answers = first setting"):
        table.add_column(col, justify="right")
    result = []
    for b, g, cache in settings:
        rs = runs[(b, g, cache)]
        med = {k: statistics.median(r[k] for r in rs) for k in ("seconds", "tokens_per_s", "generated_tokens")}
        agree = sum(x == y for x, y in zip(answers[(b, g, cache)], ref)) / len(ref)
        result.append({"batch_size": b, "max_gen_toks": g, "cache": cache, **med, "accuracy": rs[0]["equiv"],
                       "agreement": agree, "runs": rs})
        table.add_row(str(b), str(g), cache, f"{med['seconds']:.1f}", f"{med['generated_tokens']:.0f}",
                      f"{med['tokens_per_s']:.0f}", f"{100 * rs[0]['equiv']:.1f}", f"{100 * agree:.1f}%")
    Console().print(table)
    import os
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"model": args.model, "n": args.n, "git": git_revision(),
                                          "load_average": os.getloadavg(), "cpu_count": os.cpu_count(),
                                          "settings": result}, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
