"""GPU throughput of the harness's own training and sampling paths against stock TRL, at the Qwen2.5-1.5B shape.

    python benchmarks/gpu_throughput.py                 # one GPU; ~3-4 min; writes benchmarks/results/gpu_throughput.json
    python benchmarks/gpu_throughput.py --cpu-smoke     # tiny shape, 2 steps: proves the script runs (not a result)
    python benchmarks/gpu_throughput.py --cases sft,wdpo --prompt-tokens 256 --completion-tokens 512 --grad-accum 4 \
        --steps 4                                       # the paper's training shape (768 tokens, accumulation 4)

Random weights, synthetic batches of prompt 128 + completion 256 tokens, batch 8 (DPO: 8 pairs = 16 sequences):
  sft        our SFT step: harness.training.sft.sft_trainer (TRL SFTTrainer, fp32 masters + bf16 autocast, TRL's fused
             LM head, SDPA, no gradient checkpointing; Liger kernels with --liger when installed)
  wdpo       our weighted DPO step: harness.training.dpo.dpo_trainer (WeightedDPOTrainer, precomputed reference log-probs)
  stock_dpo  stock TRL DPOTrainer, its defaults (gradient checkpointing on, reference model kept and run every step,
             model loaded by TRL from a path as its docs show), on the identical rows
  sample     batch 256, 256 new tokens, sampled at temperature 1 over the whole vocabulary, each decoder timed alike (the
             generate call only; one warm-up, then 2 rounds taken in turn, mean and both rounds kept): ours
             (harness/models/decode.py: preallocated KV buffer, finished rows leave), ours with transformers'
             DynamicCache (diagnostic), stock `model.generate` with a static compiled cache (what `sampling.cache=static`
             runs) and stock `model.generate` with its dynamic cache (the x-stock reference); `generate` gets top_k=0 and
             repetition_penalty=1.0, so that every decoder samples the same distribution
Each training case starts from a freshly built model, as every stage loads its own and as stock TRL's case does. (This
script's first H200 run handed DPO the model its SFT case had trained, and that step ran in fp32, 4,680 tok/s: the
trainer factories now undo an earlier trainer's wrappers, harness/training/common.py `unwrap_trained_forward`.)
MFU (`mfu`) = model FLOPs / (time x the card's dense-bf16 datasheet peak, harness/runtime/gpu_peaks.py), the field's
convention; `mfu_measured_peak` divides by the bf16 matmul peak measured in this run instead (higher: ~796 against 989
TFLOP/s on an H200); a card not in the table (a CPU) has `mfu` null. Model FLOPs per token: forward
2*(matmul params) + 2*layers*context*hidden (causal attention); a train step is 3x forward; stock DPO also runs the
reference forward (counted, as in the reference figures of /work/shared/notes/stack.md).
The token batches are digit strings: the project's tokenizer maps every digit to one token, so lengths are exact.
"""
from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QWEN = dict(hidden=1536, layers=28, heads=12, kv=2, inter=8960, vocab=151936)
TINY = dict(hidden=64, layers=2, heads=4, kv=2, inter=128, vocab=512)


def _sync(device):
    import torch
    if device == "cuda":
        torch.cuda.synchronize()


def matmul_peak(device: str, n: int, iters: int) -> float:
    """Best bf16 (GPU) / fp32 (CPU) matmul TFLOP/s over `iters` n x n x n products."""
    import torch
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    a, b = (torch.randn(n, n, device=device, dtype=dtype) for _ in range(2))
    for _ in range(3):
        a @ b
    best = 0.0
    for _ in range(iters):
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(5):
            a @ b
        _sync(device)
        best = max(best, 5 * 2 * n ** 3 / (time.perf_counter() - t0) / 1e12)
    return best


def build_model(shape: dict, device: str, tok_len: int):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM
    cfg = Qwen2Config(vocab_size=max(shape["vocab"], tok_len), hidden_size=shape["hidden"],
                      num_hidden_layers=shape["layers"], num_attention_heads=shape["heads"],
                      num_key_value_heads=shape["kv"], intermediate_size=shape["inter"], max_position_embeddings=4096,
                      rope_theta=1e6, tie_word_embeddings=True, attn_implementation="sdpa")
    torch.manual_seed(0)
    with torch.device(device):  # built on the GPU directly: a 1.5B init on the CPU takes a minute
        model = Qwen2ForCausalLM(cfg)
    return model


def flops_per_token_fwd(model, context: int) -> float:
    c = model.config
    matmul = sum(p.numel() for n, p in model.named_parameters() if p.dim() == 2 and "embed_tokens" not in n)
    matmul += c.vocab_size * c.hidden_size  # tied LM head: the embedding matrix used as a matmul
    return 2 * matmul + 2 * c.num_hidden_layers * context * c.hidden_size


def digit_rows(n: int, prompt: int, completion: int, seed: int) -> list[dict]:
    """prompt/chosen/rejected/completion strings of exact token lengths (TRL appends EOS to completions)."""
    rng = random.Random(seed)
    digits = lambda k: "".join(rng.choice("0123456789") for _ in range(k))  # noqa: E731
    return [{"prompt": digits(prompt), "completion": digits(completion - 1), "chosen": digits(completion - 1),
             "rejected": digits(completion - 1), "weight": 1.0} for _ in range(n)]


class StepTimer:
    """Wall time of the steps after `warmup` (a TrainerCallback, made lazily so imports stay light)."""

    def __new__(cls, device: str, warmup: int):
        from transformers import TrainerCallback

        class _Timer(TrainerCallback):
            def __init__(self):
                self.t0 = self.t1 = None

            def on_step_end(self, args, state, control, **kw):
                if state.global_step in (warmup, state.max_steps):
                    _sync(device)
                    if state.global_step == warmup:
                        self.t0 = time.perf_counter()
                    else:
                        self.t1 = time.perf_counter()
        return _Timer()


def _peak_reset(device):
    import torch
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak_gib(device) -> float | None:
    import torch
    return round(torch.cuda.max_memory_allocated() / 2 ** 30, 1) if device == "cuda" else None


class PrecomputeTimer:
    """Seconds spent in WeightedDPOTrainer's reference log-prob precompute (it runs inside the trainer's __init__, so
    the case's set-up time would otherwise hide it among tokenizing)."""

    def __init__(self, device):
        self.device, self.seconds = device, None

    def __enter__(self):
        from harness.training.dpo import WeightedDPOTrainer
        self.cls, self.orig = WeightedDPOTrainer, WeightedDPOTrainer._precompute_counted
        timer = self

        def timed(trainer, *a, **kw):
            _sync(timer.device)
            t0 = time.perf_counter()
            try:
                return timer.orig(trainer, *a, **kw)
            finally:
                _sync(timer.device)
                timer.seconds = (timer.seconds or 0.0) + time.perf_counter() - t0
        self.cls._precompute_counted = timed
        return self

    def __exit__(self, *exc):
        self.cls._precompute_counted = self.orig


def run_train_case(name, make_trainer, device, warmup, steps, tokens_per_step, fwd_flops_tok, fwd_passes, peak,
                   spec=None, precompute_tokens=None):
    _peak_reset(device)
    timer = StepTimer(device, warmup)
    _sync(device)
    t_build = time.perf_counter()
    with PrecomputeTimer(device) as pre:
        trainer = make_trainer(timer)
    _sync(device)
    build_s = time.perf_counter() - t_build
    trainer.train()
    dt = timer.t1 - timer.t0
    tok_s = tokens_per_step * steps / dt
    # setup (tokenizing; for our DPO also the reference log-prob pass) covers warmup + steps batches: charge the
    # timed steps their share, so precomputing is not a free lunch in the comparison
    with_setup = tokens_per_step * steps / (dt + build_s * steps / (warmup + steps))
    achieved = tok_s * fwd_flops_tok * fwd_passes / 1e12  # TFLOP/s of model FLOPs
    row = {"case": name, "tokens_per_s": round(tok_s), "tokens_per_s_incl_setup": round(with_setup),
           "step_s": round(dt / steps, 4), "setup_s": round(build_s, 1),
           "mfu": round(achieved / spec, 4) if spec else None, "mfu_measured_peak": round(achieved / peak, 4),
           "peak_gib": _peak_gib(device), "gradient_checkpointing": bool(trainer.args.gradient_checkpointing),
           "bf16": bool(trainer.args.bf16), "grad_accum": int(trainer.args.gradient_accumulation_steps)}
    if pre.seconds is not None:
        row["precompute_s"] = round(pre.seconds, 2)
        if precompute_tokens:
            row["precompute_tokens_per_s"] = round(precompute_tokens / pre.seconds)
    del trainer
    _peak_reset(device)
    return row


STOCK_GENERATE = "sampling, stock generate, dynamic cache"
OURS_SAMPLING = "sampling, ours (KV buffer, finished rows leave)"


def sampling_references(new_tokens: int) -> list[tuple[str, callable]]:
    """(label, run(model, enc, stop_ids, pad_id) -> new ids): the decoders compared on the same batch."""
    from harness.models.decode import generate_compact

    def ours(kv_cache):
        def run(model, enc, stop_ids, pad_id):
            return generate_compact(model, enc["input_ids"], enc["attention_mask"], new_tokens, [*stop_ids, pad_id],
                                    pad_id, do_sample=True, kv_cache=kv_cache)
        return run

    def stock(cache):
        def run(model, enc, stop_ids, pad_id):
            extra = {"cache_implementation": "static"} if cache == "static" else {}
            ids = model.generate(**enc, max_new_tokens=new_tokens, do_sample=True, temperature=1.0, top_p=1.0, top_k=0,
                                 repetition_penalty=1.0, pad_token_id=pad_id, eos_token_id=stop_ids, **extra)
            return ids[:, enc["input_ids"].shape[1]:]
        return run
    return [(OURS_SAMPLING, ours("buffer")), ("sampling, ours with DynamicCache (diagnostic)", ours("dynamic")),
            ("sampling, stock generate, static cache (compiled; sampling.cache=static)", stock("static")),
            (STOCK_GENERATE, stock("dynamic"))]


def sampling_cases(model, tok, rows, template, device, new_tokens: int, rounds: int = 2) -> list[dict]:
    """Each decoder warmed once (the static cache compiles then), then `rounds` timed rounds taken in turn, so a drift
    of the machine touches every decoder alike; tokens = generated tokens before a stop or pad."""
    import torch
    from harness.models.sampling import stop_token_ids
    tok.padding_side = "left"
    stop_ids = stop_token_ids(tok)
    enc = tok([template.format(question=r["question"]) for r in rows], return_tensors="pt", padding=True).to(device)
    decoders = sampling_references(new_tokens)
    warm, times, tokens, peaks = {}, {label: [] for label, _ in decoders}, {}, {}

    def timed(run, seed):
        torch.manual_seed(seed)
        _sync(device)
        t0 = time.perf_counter()
        with torch.no_grad():
            new = run(model, enc, stop_ids, tok.pad_token_id)
        _sync(device)
        return time.perf_counter() - t0, int((new != tok.pad_token_id).sum())
    for label, run in decoders:
        _peak_reset(device)
        warm[label], _ = timed(run, 0)
        peaks[label] = _peak_gib(device)
    for r in range(rounds):
        for label, run in decoders:
            dt, tokens[label] = timed(run, 1 + r)
            times[label].append(dt)
    out = []
    for label, _ in decoders:
        mean = sum(times[label]) / rounds
        out.append({"case": label, "tokens_per_s": round(tokens[label] / mean), "step_s": round(mean, 2),
                    "rounds_s": [round(t, 2) for t in times[label]], "setup_s": round(warm[label], 1), "mfu": None,
                    "peak_gib": peaks[label], "tokens": tokens[label]})
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cpu-smoke", action="store_true", help="tiny shape, 2 steps, on CPU: proves it runs; not a result")
    ap.add_argument("--steps", type=int, default=10, help="timed training steps per case (after warm-up)")
    ap.add_argument("--cases", default="sft,wdpo,stock_dpo,sample", help="comma list; also: stock_dpo_no_ckpt")
    ap.add_argument("--prompt-tokens", type=int, default=None, help="prompt length (default 128; smoke 16)")
    ap.add_argument("--completion-tokens", type=int, default=None, help="completion length (default 256; smoke 32)")
    ap.add_argument("--batch", type=int, default=None, help="per-device batch (DPO: pairs; default 8; smoke 2)")
    ap.add_argument("--grad-accum", type=int, default=1, help="gradient accumulation steps per optimizer step")
    ap.add_argument("--liger", action="store_true", help="Liger kernels in our SFT/DPO steps (pip install liger-kernel)")
    ap.add_argument("--out", default=None, help="JSON path (default benchmarks/results/gpu_throughput.json on a GPU)")
    args = ap.parse_args(argv)

    import torch
    from datasets import Dataset
    from rich.console import Console
    from rich.table import Table

    from harness.config import load_config
    from harness.training.dpo import dpo_trainer
    from harness.data.synthetic import Difficulty, generate_splits
    from harness.models.tiny import train_tokenizer
    from harness.training.sft import sft_trainer

    smoke = args.cpu_smoke
    if not smoke and not torch.cuda.is_available():
        sys.exit("error: no CUDA device; run with --cpu-smoke to check the script on a CPU")
    device = "cpu" if smoke else "cuda"
    shape = TINY if smoke else QWEN
    P, C, B = (16, 32, 2) if smoke else (128, 256, 8)
    P, C, B = args.prompt_tokens or P, args.completion_tokens or C, args.batch or B
    GA = args.grad_accum
    warmup, steps = (1, 2) if smoke else (3, args.steps)
    S_BATCH, S_NEW = (4, 8) if smoke else (256, 256)
    cases = args.cases.split(",")
    console = Console(width=max(Console().width, 120))  # one line per case in a log, not a wrapped cell
    tmp = Path(tempfile.mkdtemp(prefix="gpu-bench-"))
    problems = generate_splits(max(S_BATCH, 64), 0, 0, 0, Difficulty())["train"]
    tok = train_tokenizer([f"Question: {p['question']}\nAnswer: {p['solution']}" for p in problems] + ["0123456789"],
                          300 if smoke else 2048, tmp / "tok")
    assert len(tok(digit_rows(1, P, C, 0)[0]["prompt"])["input_ids"]) == P  # one token per digit
    cfg = load_config("qwen2.5-1.5b",
                      [f"device={device}", "sft.gradient_checkpointing=false", "dpo.gradient_checkpointing=false",
                       f"sft.batch_size={B}", f"dpo.batch_size={B}", f"sft.global_batch={B * GA}", f"dpo.global_batch={B * GA}",
                       f"sft.max_length={P + C}", f"dpo.max_length={P + C}", f"sft.max_steps={warmup + steps}",
                       f"dpo.max_steps={warmup + steps}", f"sft.liger_kernel={str(args.liger).lower()}",
                       f"dpo.liger_kernel={str(args.liger).lower()}", "sft.warmup_steps=0", "dpo.warmup_steps=0",
                       # the CPU smoke compares ours with stock TRL at fp32 (the stock cases force bf16=False on CPU)
                       *(["model.dtype=float32"] if smoke else [])])
    from harness.runtime.dist import resolve_global_batch
    cfg = resolve_global_batch(cfg)
    rows = digit_rows(B * GA * (warmup + steps), P, C, 1)
    quiet = dict(save_strategy="no", logging_steps=10 ** 6)
    peak = matmul_peak(device, 256 if smoke else 8192, 3 if smoke else 10)
    from harness.runtime.gpu_peaks import spec_peak
    card = None if smoke else spec_peak(torch.cuda.get_device_name())
    spec = card[1] if card else None
    console.print(f"{'CPU fp32' if smoke else 'bf16'} matmul peak: {peak:.1f} TFLOP/s on "
                  f"{'CPU' if smoke else torch.cuda.get_device_name()}; spec peak: "
                  f"{f'{card[0]} {spec} TFLOP/s' if card else 'unknown (mfu left null)'}")
    results, ctx = [], P + C

    def add(row: dict) -> None:  # each case printed as it ends: a lease cut short still leaves its rows in the log
        results.append(row)
        print("case:", json.dumps(row), flush=True)
    model = build_model(shape, device, len(tok))
    fwd = flops_per_token_fwd(model, ctx)
    params = sum(p.numel() for p in model.parameters())
    model_dir = tmp / "model"
    if "stock_dpo" in cases or "stock_dpo_no_ckpt" in cases:  # stock TRL loads from a path (its documented use)
        model.to(torch.bfloat16).save_pretrained(model_dir)
        tok.save_pretrained(model_dir)
        model.float()

    if "sft" in cases:
        ds = Dataset.from_list([{"prompt": r["prompt"], "completion": r["completion"]} for r in rows])
        add(run_train_case(
            "sft (ours)", lambda t: sft_trainer(cfg, cfg.sft, model, tok, ds, tmp / "w_sft", [t], device, **quiet),
            device, warmup, steps, B * GA * ctx, fwd, 3, peak, spec))
    if "wdpo" in cases:
        del model  # fresh, as a DPO stage loads it and as stock TRL's case starts
        _peak_reset(device)
        model = build_model(shape, device, len(tok))
        ds = Dataset.from_list([{k: r[k] for k in ("prompt", "chosen", "rejected", "weight")} for r in rows])
        add(run_train_case(
            "weighted DPO (ours)", lambda t: dpo_trainer(cfg, cfg.dpo, model, None, tok, ds, tmp / "w_dpo", ("sigmoid",),
                                                        [t], device, **quiet),
            device, warmup, steps, 2 * B * GA * ctx, fwd, 3, peak, spec, precompute_tokens=2 * len(rows) * ctx))
    del model
    _peak_reset(device)
    for variant in [c for c in ("stock_dpo", "stock_dpo_no_ckpt") if c in cases]:
        from trl import DPOConfig, DPOTrainer
        ds = Dataset.from_list([{k: r[k] for k in ("prompt", "chosen", "rejected")} for r in rows])
        extra = {"gradient_checkpointing": False} if variant.endswith("no_ckpt") else {}
        if smoke:
            extra.update(bf16=False, use_cpu=True, gradient_checkpointing=False)

        def stock(t, extra=extra, ds=ds):
            a = DPOConfig(output_dir=str(tmp / variant), per_device_train_batch_size=B, max_steps=warmup + steps,
                          gradient_accumulation_steps=GA,
                          report_to=[], disable_tqdm=True, **quiet, **extra)
            return DPOTrainer(model=str(model_dir), args=a, train_dataset=ds, processing_class=tok, callbacks=[t])
        label = "stock TRL DPOTrainer" + (", no grad ckpt" if variant.endswith("no_ckpt") else "")
        add(run_train_case(label, stock, device, warmup, steps, 2 * B * GA * ctx, fwd, 4, peak, spec))

    if "sample" in cases:
        smodel = build_model(shape, device, len(tok)).to(torch.bfloat16 if device == "cuda" else torch.float32).eval()
        rows_s = [{"id": f"b{i}", "question": problems[i % len(problems)]["question"]} for i in range(S_BATCH)]
        for row in sampling_cases(smodel, tok, rows_s, "Question: {question}\nAnswer:", device, S_NEW):
            add(row)
        del smodel

    base = {r["case"]: r["tokens_per_s"] for r in results}
    for r in results:
        if r["case"].startswith("weighted DPO") and "stock TRL DPOTrainer" in base:
            r["vs_stock"] = round(r["tokens_per_s"] / base["stock TRL DPOTrainer"], 2)
        if r["case"].startswith("sampling") and r["case"] != STOCK_GENERATE and STOCK_GENERATE in base:
            r["vs_stock"] = round(r["tokens_per_s"] / base[STOCK_GENERATE], 2)
    device_name = "CPU (smoke: not a result)" if smoke else torch.cuda.get_device_name()
    from harness.runtime.manifest import git_revision
    out = {"device": device_name, "git_revision": git_revision(), "torch": torch.__version__, "shape": shape,
           "params": params,
           "prompt_tokens": P, "completion_tokens": C, "batch": B, "grad_accum": GA, "timed_steps": steps,
           "matmul_peak_tflops": round(peak, 3), "spec_peak_tflops": spec, "spec_card": card[0] if card else None,
           "results": results}
    table = Table(title=f"throughput on {device_name}, {params / 1e9:.2f}B params, batch {B} x accumulation {GA}, "
                        f"{P}+{C} tokens")
    for c in ("case", "tokens/s", "incl. setup", "MFU", "MFU (measured peak)", "peak GiB", "x stock", "grad ckpt"):
        table.add_column(c, justify="left" if c == "case" else "right")
    for r in results:
        table.add_row(r["case"], f"{r['tokens_per_s']:,}", f"{r['tokens_per_s_incl_setup']:,}" if "tokens_per_s_incl_setup" in r else "-",
                      f"{r['mfu']:.1%}" if r.get("mfu") is not None else "-",
                      f"{r['mfu_measured_peak']:.1%}" if r.get("mfu_measured_peak") is not None else "-",
                      str(r.get("peak_gib") or "-"),
                      str(r.get("vs_stock", "-")), str(r.get("gradient_checkpointing", "-")))
    console.print(table)
    path = Path(args.out) if args.out else (None if smoke else ROOT / "benchmarks" / "results" / "gpu_throughput.json")
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out, indent=2))
        console.print(f"wrote {path}")
    return out


if __name__ == "__main__":
    main()
