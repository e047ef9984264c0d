"""KV cache and row compaction in `generate_compact` (harness/models/decode.py): seconds and identical tokens.

    python benchmarks/decode_cache.py --run-dir /tmp/demo_run [--n 500] [--rounds 3] [--batch-sizes 100,250]

Greedy decoding of the first N synthetic test problems of a finished `harness compare` run (`--run-dir`, e.g. a
`make demo` run), one thread as a `--jobs auto` worker runs an evaluation, prompts sorted longest first as lm-eval
batches them, with the checkpoint `--model` names (default: the run's first DPO-family model). Settings: transformers'
DynamicCache with a finished row cut out at once (what the evaluation ran before the preallocated cache) against
the preallocated `BufferLayer` cache with finished rows cut out at once or when they are 25% / 50% of the batch.
Settings alternate within each round so machine drift hits all alike; medians are reported, and every setting's
tokens are compared with the first setting's at the same batch size; so are seeded sampled draws (temperature 1,
untimed) of the old path and the shipped one (`COMPACT_AT`). Writes benchmarks/results/decode_cache.json
(one entry per invocation, appended).
"""
from __future__ import annotations

import argparse
import glob
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
SETTINGS = (("dynamic", 0.0), ("buffer", 0.0), ("buffer", 0.25), ("buffer", 0.5))
STOP = ["\n\nQuestion:"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run-dir", required=True, help="a finished `harness compare` run directory")
    ap.add_argument("--model", default=None, help="checkpoint directory (default: the run's first dpo-*/model)")
    ap.add_argument("--config", default="tiny-planted")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-sizes", default="100,250")
    ap.add_argument("--label", default="")
    args = ap.parse_args()

    os.environ["OMP_NUM_THREADS"] = "1"
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.config import load_config
    from harness.models.decode import COMPACT_AT, generate_compact
    from harness.runtime.io import read_jsonl
    from train_attention import append_entry
    torch.set_num_threads(1)
    cfg = load_config(args.config, ["device=cpu"])
    run = Path(args.run_dir)
    model_dir = args.model or sorted(glob.glob(str(run / "dpo-*" / "model")))[0]
    problems = read_jsonl(glob.glob(str(run / "data-*" / "test.jsonl"))[0])[:args.n]
    tok = AutoTokenizer.from_pretrained(model_dir, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16).eval()
    prompts = sorted((cfg.data.prompt_template.format(question=p["question"]) for p in problems), key=len, reverse=True)
    from harness.tasks import task
    max_new = cfg.eval.max_gen_toks or task("hardneg_synth").max_gen_toks  # unset: the task's own budget

    def decode(bs: int, kv_cache: str, compact_at: float, sample: bool = False) -> tuple[float, torch.Tensor]:
        torch.manual_seed(0)
        t0, outs = time.perf_counter(), []
        for s in range(0, len(prompts), bs):
            enc = tok(prompts[s:s + bs], return_tensors="pt", padding=True)
            outs.append(generate_compact(model, enc["input_ids"], enc["attention_mask"], max_new,
                                         [tok.eos_token_id], tok.pad_token_id, stop_strings=STOP, tok=tok,
                                         compact_at=compact_at, kv_cache=kv_cache, do_sample=sample))
        return time.perf_counter() - t0, torch.cat([o.flatten() for o in outs])

    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    secs: dict[tuple, list[float]] = {}
    same: dict[tuple, bool] = {}
    first: dict[int, torch.Tensor] = {}
    for _ in range(args.rounds):
        for bs in batch_sizes:
            for kv_cache, compact_at in SETTINGS:
                took, tokens = decode(bs, kv_cache, compact_at)
                secs.setdefault((bs, kv_cache, compact_at), []).append(round(took, 3))
                ref = first.setdefault(bs, tokens)
                same[bs, kv_cache, compact_at] = same.get((bs, kv_cache, compact_at), True) and torch.equal(tokens, ref)
    sampled_same = {bs: torch.equal(decode(bs, "dynamic", 0.0, True)[1], decode(bs, "buffer", COMPACT_AT, True)[1])
                    for bs in batch_sizes}
    rows = [{"setting": f"batch {bs}, {kv}, cut at {cut:g}", "median_s": round(statistics.median(v), 3), "runs": v,
             "vs_dynamic": round(statistics.median(v) / statistics.median(secs[bs, "dynamic", 0.0]), 3),
             "tokens_identical": same[bs, kv, cut]} for (bs, kv, cut), v in secs.items()]
    entry = {"benchmark": "decode_cache", "label": args.label, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
             "model": model_dir, "n": len(prompts), "max_new_tokens": max_new, "threads": 1, "rounds": args.rounds,
             "cores": os.cpu_count(), "load_average": os.getloadavg(), "settings": rows,
             "sampled_tokens_identical": {f"batch {bs}": v for bs, v in sampled_same.items()}}
    dest = append_entry("decode_cache.json", entry)
    print(f"{'setting':34s} {'median s':>9s} {'vs dynamic':>11s} {'same tokens':>12s}")
    for r in rows:
        print(f"{r['setting']:34s} {r['median_s']:9.2f} {r['vs_dynamic']:11.3f} {str(r['tokens_identical']):>12s}")
    print("sampled draws, old path vs buffer cut at", COMPACT_AT, "identical:", entry["sampled_tokens_identical"])
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
