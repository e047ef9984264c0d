"""The figures of one `benchmarks/gpu_session.sh` run, printed and kept: the smoke run's manifest (libraries, stage
seconds, wall) and recipes (run or skipped with the reason) condensed into benchmarks/results/gpu_smoke.json, and the
throughput tables (gpu_throughput.json, paper_train.json: MFU against the card's datasheet bf16 peak, and against the
matmul peak the run measured), and one line per part of the session (engine_*.json, sampling.json).

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
    for name in ("gpu_throughput.json", "paper_train.json"):
        if (d / name).exists():
            print_throughput(json.loads((d / name).read_text()), name)
    for path in sorted(d.glob("engine_*.json")):
        print(engine_line(json.loads(path.read_text())))
    if (d / "sampling.json").exists():
        s = json.loads((d / "sampling.json").read_text())
        for r in s.get("results", []):
            print(sampling_line(r, s.get("settings", {})))
        if "failed" in s:
            print(f"sampling: {s['failed']}")


def _pct(x) -> str:
    return f"{x:.1%}" if x is not None else "-"


def print_throughput(b: dict, name: str) -> None:
    if "failed" in b or "results" not in b:
        print(f"{name}: {b.get('failed', 'no results')}")
        return
    spec = f"{b['spec_card']} spec {b['spec_peak_tflops']}" if b.get("spec_peak_tflops") else "spec peak unknown"
    print(f"{name} on {b['device']}: {spec} TFLOP/s, matmul peak measured {b['matmul_peak_tflops']} TFLOP/s; "
          f"batch {b.get('batch')} x accumulation {b.get('grad_accum', 1)}, "
          f"{b.get('prompt_tokens')}+{b.get('completion_tokens')} tokens")
    for r in b["results"]:
        extra = f"  precompute {r['precompute_s']} s" if "precompute_s" in r else ""
        print(f"  {r['case']:<46} {r['tokens_per_s']:>8,} tok/s  MFU {_pct(r.get('mfu')):>6} "
              f"(measured peak {_pct(r.get('mfu_measured_peak')):>6})  peak {r.get('peak_gib')} GiB  "
              f"x stock {r.get('vs_stock', '-')}{extra}")


def engine_line(e: dict) -> str:
    head = f"{e.get('part', 'engine')}:"
    if "skipped" in e or "failed" in e:
        return f"{head} {e.get('skipped') or e.get('failed')}"
    return (f"{head} {e['distributed_type']} x{e['world_size']}, {e['steps']} steps in {e['train_s']} s, saved "
            f"{e['saved_dtype']}, reload matches: {e['reload_matches']} (max |logit diff| "
            f"{e['reload_max_abs_logit_diff']} of {e['logit_scale']})" + (f"; {e['note']}" if e.get("note") else ""))


def sampling_line(r: dict, settings: dict) -> str:
    head = f"sampling {r['decoder']:<8} batch {r['batch']:>4}"
    if "tokens_per_s" not in r:
        return f"{head}: {r.get('skipped') or r.get('failed')}"
    return (f"{head}: {r['tokens_per_s']:>8,} tok/s, peak {r['peak_gib']} GiB ({settings.get('max_new_tokens')} new "
            f"tokens, T={settings.get('temperature')}, top-p {settings.get('top_p')})")


if __name__ == "__main__":
    main()
