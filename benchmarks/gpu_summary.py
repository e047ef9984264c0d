"""The figures of one `benchmarks/gpu_session.sh` run, printed and kept: the smoke run's manifest (libraries, stage
seconds, wall) and recipes (run or skipped with the reason) condensed into benchmarks/results/gpu_smoke.json, and the
throughput table of gpu_throughput.json.

    python benchmarks/gpu_summary.py build/gpu-session          # print
    python benchmarks/gpu_summary.py DIR --write                # and write gpu_smoke.json (gpu_session.sh: smoke exit 0)
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def smoke_summary(manifest: dict, results: dict | None) -> dict:
    """The smoke run in a few hundred lines of JSON: what ran where, how long each stage took, what each recipe did."""
    keep = ("created", "git_revision", "python", "platform", "cuda", "libraries", "precision", "train_attention",
            "wall_seconds", "jobs")
    out = {k: manifest.get(k) for k in keep}
    out["config"] = manifest.get("config", {}).get("name")
    out["stages"] = {k: v.get("seconds") for k, v in manifest.get("stages", {}).items()}
    if results:
        out["recipes_run"] = [r["name"] for r in results["recipes"]]
        out["skipped"] = [{"recipe": s["recipe"], "reason": s["reason"]} for s in results.get("skipped", [])]
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dest", help="the session's folder (gpu_session.sh's $OUT or build/gpu-session)")
    ap.add_argument("--write", action="store_true",
                    help="also write the smoke's figures to benchmarks/results/gpu_smoke.json and DEST/gpu_smoke.json")
    args = ap.parse_args(argv)
    d = Path(args.dest)
    if (d / "manifest.json").exists():
        res = json.loads((d / "results.json").read_text()) if (d / "results.json").exists() else None
        s = smoke_summary(json.loads((d / "manifest.json").read_text()), res)
        slow = sorted(s["stages"].items(), key=lambda kv: -(kv[1] or 0))[:6]
        print(f"smoke: wall {s['wall_seconds']} s; slowest stages:", ", ".join(f"{k} {v}s" for k, v in slow))
        if res:  # random weights: the step recipes find no step pairs (README, GPUs)
            print("smoke recipes run:", ", ".join(s["recipes_run"]))
            for sk in s["skipped"]:
                print(f"  skipped {sk['recipe']}: {sk['reason'][:160]}")
        if args.write:
            for path in (ROOT / "benchmarks" / "results" / "gpu_smoke.json", d / "gpu_smoke.json"):
                path.write_text(json.dumps(s, indent=2) + "\n")
                print(f"wrote {path}")
    if (d / "gpu_throughput.json").exists():
        b = json.loads((d / "gpu_throughput.json").read_text())
        print(f"benchmark on {b['device']}: matmul peak {b['matmul_peak_tflops']} TFLOP/s")
        for r in b["results"]:
            mfu = f"{r['mfu']:.1%}" if r.get("mfu") is not None else "-"
            print(f"  {r['case']:<46} {r['tokens_per_s']:>8,} tok/s  MFU {mfu:>6}  peak {r.get('peak_gib')} GiB  "
                  f"x stock {r.get('vs_stock', '-')}")


if __name__ == "__main__":
    main()
