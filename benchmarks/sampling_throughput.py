"""Sampling throughput at the paper's settings, every decoder timed alike, at the Qwen2.5-1.5B shape (random weights).

    python benchmarks/sampling_throughput.py --out build/sampling.json              # one GPU; batch 256, 512 new tokens
    python benchmarks/sampling_throughput.py --batch 256,512 --prompt-len 128 --max-new-tokens 512 \
        --temperature 0.8 --top-p 0.95                                             # the same, spelled out; two batches
    python benchmarks/sampling_throughput.py --smoke --out /tmp/s.json             # tiny random Qwen2 on CPU, seconds

Decoders (same prompts, same budget, same temperature/top-p, top_k=0 and repetition_penalty=1.0 for `generate` so
that every one samples the same distribution):
  ours      harness/models/decode.py generate_compact, preallocated KV buffer (what sampling.backend=hf runs)
  dynamic   stock `model.generate`, its DynamicCache
  static    stock `model.generate`, cache_implementation="static" (compiled; what sampling.cache=static runs)
  vllm      vLLM's LLM.generate on token ids (skipped with the reason when vllm is not importable, or on a CPU)
Prompts are random token ids of exactly --prompt-len (no padding); with random weights a row almost never draws EOS,
so every row decodes the full --max-new-tokens (a trained model's rows stop earlier: this is the worst case per row).
Timing: one warm-up per decoder and batch (--warmup-tokens long; the static cache's at the full budget, as it compiles
its cache's shape), then --rounds timed rounds;
tokens/s = generated tokens before a stop / mean round time. Peak memory is torch's max allocated over the decoder's
warm-up and rounds (vLLM: its preallocated share, gpu_memory_utilization, is what it holds). The JSON records the settings, the
device, the git revision and each decoder's rows.
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QWEN = dict(hidden=1536, layers=28, heads=12, kv=2, inter=8960, vocab=151936)
TINY = dict(hidden=64, layers=2, heads=4, kv=2, inter=128, vocab=512)
DECODERS = ("ours", "dynamic", "static", "vllm")


def build_model(shape: dict, device: str, dtype):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM
    cfg = Qwen2Config(vocab_size=shape["vocab"], hidden_size=shape["hidden"], num_hidden_layers=shape["layers"],
                      num_attention_heads=shape["heads"], num_key_value_heads=shape["kv"],
                      intermediate_size=shape["inter"], max_position_embeddings=4096, rope_theta=1e6,
                      tie_word_embeddings=True, attn_implementation="sdpa", bos_token_id=0,
                      eos_token_id=shape["vocab"] - 1, pad_token_id=shape["vocab"] - 2)
    torch.manual_seed(0)
    with torch.device(device):  # built on the GPU directly: a 1.5B init on the CPU takes a minute
        model = Qwen2ForCausalLM(cfg)
    return model.to(dtype).eval()


def _sync(device):
    import torch
    if device == "cuda":
        torch.cuda.synchronize()


def _reset_peak(device):
    import torch
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak_gib(device):
    import torch
    return round(torch.cuda.max_memory_allocated() / 2 ** 30, 2) if device == "cuda" else None


def hf_decoder(kind: str, args, eos: int, pad: int):
    """run(model, ids) -> (B, new) generated ids, `pad` after a row's stop."""
    from harness.models.decode import generate_compact

    def ours(model, ids):  # per-row seeded draws, as the pool samples (harness/models/sampling.py problem_seed)
        import torch
        return generate_compact(model, ids, ids.new_ones(ids.shape), args.max_new_tokens, [eos, pad], pad,
                                do_sample=True, temperature=args.temperature, top_p=args.top_p, kv_cache="buffer",
                                row_seeds=torch.arange(ids.shape[0], device=ids.device))

    def stock(model, ids):
        extra = {"cache_implementation": "static"} if kind == "static" else {}
        out = model.generate(input_ids=ids, attention_mask=ids.new_ones(ids.shape), max_new_tokens=args.max_new_tokens,
                             min_new_tokens=0, do_sample=True, temperature=args.temperature, top_p=args.top_p, top_k=0,
                             repetition_penalty=1.0, pad_token_id=pad, eos_token_id=[eos], **extra)
        return out[:, ids.shape[1]:]
    return ours if kind == "ours" else stock


def time_hf(kind, model, prompts, args, device, eos, pad) -> dict:
    import torch
    run = hf_decoder(kind, args, eos, pad)

    def once(seed):
        torch.manual_seed(seed)
        _sync(device)
        t0 = time.perf_counter()
        with torch.no_grad():
            new = run(model, prompts)
        _sync(device)
        return time.perf_counter() - t0, int((new != pad).sum())
    _reset_peak(device)
    full = args.max_new_tokens
    if kind != "static":  # a short warm-up warms kernels and the allocator; the static cache must compile its full shape
        args.max_new_tokens = min(full, args.warmup_tokens)
    try:
        warm_s, _ = once(0)
    finally:
        args.max_new_tokens = full
    times, tokens = [], 0
    for r in range(args.rounds):
        dt, tokens = once(1 + r)
        times.append(dt)
    peak = _peak_gib(device)
    return {"warmup_s": round(warm_s, 2), "rounds_s": [round(t, 3) for t in times], "tokens": tokens,
            "tokens_per_s": round(tokens / (sum(times) / len(times))), "peak_gib": peak}


def time_vllm(model_dir: Path, prompts, args) -> dict:
    """vLLM on token ids (no tokenizer: skip_tokenizer_init); one engine, built once per batch size."""
    from vllm import LLM, SamplingParams
    llm = LLM(model=str(model_dir), skip_tokenizer_init=True, dtype="bfloat16", seed=0,
              gpu_memory_utilization=args.vllm_memory, max_model_len=args.prompt_len + args.max_new_tokens)
    sp = SamplingParams(temperature=args.temperature, top_p=args.top_p, top_k=-1, max_tokens=args.max_new_tokens,
                        seed=0, detokenize=False)
    reqs = [{"prompt_token_ids": row} for row in prompts.tolist()]
    warm_sp = SamplingParams(temperature=args.temperature, top_p=args.top_p, top_k=-1,
                             max_tokens=min(args.max_new_tokens, args.warmup_tokens), seed=0, detokenize=False)
    t0 = time.perf_counter()
    llm.generate(reqs, warm_sp, use_tqdm=False)
    warm = time.perf_counter() - t0
    times, tokens = [], 0
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        outs = llm.generate(reqs, sp, use_tqdm=False)
        times.append(time.perf_counter() - t0)
        tokens = sum(len(o.outputs[0].token_ids) for o in outs)
    del llm
    return {"warmup_s": round(warm, 2), "rounds_s": [round(t, 3) for t in times], "tokens": tokens,
            "tokens_per_s": round(tokens / (sum(times) / len(times))), "peak_gib": None,
            "gpu_memory_utilization": args.vllm_memory}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", "--dry-run", dest="smoke", action="store_true",
                    help="tiny random Qwen2 on the CPU, short budget: proves the script runs; not a result")
    ap.add_argument("--prompt-len", type=int, default=None, help="prompt tokens per row (default 128; smoke 8)")
    ap.add_argument("--max-new-tokens", type=int, default=None, help="new tokens per row (paper 512; smoke 8)")
    ap.add_argument("--temperature", type=float, default=0.8, help="paper: 0.8")
    ap.add_argument("--top-p", type=float, default=0.95, help="paper: 0.95")
    ap.add_argument("--batch", default=None, help="comma list of batch sizes (default 256; smoke 4)")
    ap.add_argument("--decoders", default=",".join(DECODERS), help=f"comma list of {', '.join(DECODERS)}")
    ap.add_argument("--rounds", type=int, default=None, help="timed rounds per decoder (default 2; smoke 1)")
    ap.add_argument("--warmup-tokens", type=int, default=32,
                    help="new tokens of the warm-up of ours/dynamic/vllm (static warms at the full budget: it compiles)")
    ap.add_argument("--vllm-memory", type=float, default=0.5, help="vLLM gpu_memory_utilization")
    ap.add_argument("--out", default=None, help="JSON path (default: print only)")
    args = ap.parse_args(argv)

    import torch
    from harness.runtime.manifest import git_revision
    smoke = args.smoke
    if not smoke and not torch.cuda.is_available():
        sys.exit("error: no CUDA device; run with --smoke to check the script on a CPU")
    device = "cpu" if smoke else "cuda"
    args.prompt_len = args.prompt_len or (8 if smoke else 128)
    args.max_new_tokens = args.max_new_tokens or (8 if smoke else 512)
    args.rounds = args.rounds or (1 if smoke else 2)
    batches = [int(b) for b in (args.batch or ("4" if smoke else "256")).split(",")]
    decoders = [d for d in args.decoders.split(",") if d]
    bad = set(decoders) - set(DECODERS)
    if bad:
        sys.exit(f"error: unknown decoders {sorted(bad)}; choose from {', '.join(DECODERS)}")
    shape = TINY if smoke else QWEN
    dtype = torch.float32 if smoke else torch.bfloat16
    model = build_model(shape, device, dtype)
    eos, pad = shape["vocab"] - 1, shape["vocab"] - 2
    device_name = "CPU (smoke: not a result)" if smoke else torch.cuda.get_device_name()
    out = {"device": device_name, "git_revision": git_revision(), "torch": torch.__version__,
           "settings": {"prompt_len": args.prompt_len, "max_new_tokens": args.max_new_tokens,
                        "temperature": args.temperature, "top_p": args.top_p, "batches": batches,
                        "rounds": args.rounds, "dtype": str(dtype).removeprefix("torch."), "shape": shape},
           "results": []}
    model_dir = None
    for batch in batches:
        g = torch.Generator().manual_seed(batch)
        prompts = torch.randint(1, shape["vocab"] - 2, (batch, args.prompt_len), generator=g).to(device)
        for kind in decoders:
            row = {"decoder": kind, "batch": batch}
            try:
                if kind != "vllm":
                    row.update(time_hf(kind, model, prompts, args, device, eos, pad))
                elif smoke or device != "cuda":
                    row["skipped"] = "vllm needs a GPU"
                else:
                    import importlib.util
                    if importlib.util.find_spec("vllm") is None:
                        row["skipped"] = "vllm not installed"
                    else:
                        if model_dir is None:  # vLLM loads from a folder: the same random weights, saved once
                            model_dir = Path(tempfile.mkdtemp(prefix="sampling-bench-"))
                            model.save_pretrained(model_dir)
                        row.update(time_vllm(model_dir, prompts, args))
            except Exception as e:  # one decoder failing (a compile, an OOM) must not hide the others' rows
                row["failed"] = f"{type(e).__name__}: {str(e)[:300]}"
            out["results"].append(row)
            print("row:", json.dumps(row), flush=True)
            if args.out:  # written after every row: a timeout still leaves what finished
                Path(args.out).parent.mkdir(parents=True, exist_ok=True)
                Path(args.out).write_text(json.dumps(out, indent=2))
    for r in out["results"]:
        if "tokens_per_s" in r:
            print(f"  batch {r['batch']:>4}  {r['decoder']:<8} {r['tokens_per_s']:>8,} tok/s  peak {r['peak_gib']} GiB")
        else:
            print(f"  batch {r['batch']:>4}  {r['decoder']:<8} {r.get('skipped') or r.get('failed')}")
    return out


if __name__ == "__main__":
    main()
