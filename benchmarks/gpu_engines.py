"""Weighted DPO through a sharded engine (DeepSpeed ZeRO-2, ZeRO-3, FSDP2): a few steps with precomputed reference
log-probs under `accelerate launch`, the final model saved as the stages save it, reloaded, and its logits compared with
the trained model's own.

    python benchmarks/gpu_engines.py --engine zero3 --out build/engine_zero3.json            # one GPU, ~1 min
    python benchmarks/gpu_engines.py --engine fsdp --dry-run --out /tmp/engine_fsdp.json     # toy size on the CPU

It launches itself as `accelerate launch --config_file harness/configs/accelerate/<engine>.yaml --num_processes N
benchmarks/gpu_engines.py --child ...`: one process exercises the engine's code path (wrapping, sharded optimizer,
gathered 16-bit save), which is what this checks; N > 1 also checks the collectives. The run goes through the
harness's own pieces (harness/training/dpo.py `dpo_trainer`, common.py `shared_dataset` and `save_final`), so what
breaks here breaks a stage. A ZeRO engine without deepspeed installed is recorded as skipped, and a launch that dies
is recorded with its exit code and the end of its log: the JSON always says what happened.
GPU shape: Qwen2.5-1.5B's layer and full vocabulary with 4 layers (the code path is the same at 28; the save and the
run take a quarter); --dry-run: a tiny Qwen2 in fp32 on the CPU (gloo).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ENGINES = ("zero2", "zero3", "fsdp")
EXPECTED = {"zero2": "DEEPSPEED", "zero3": "DEEPSPEED", "fsdp": "FSDP"}  # accelerate's distributed_type per engine


def _write(path: Path, row: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(row, indent=2) + "\n")


def child(args) -> None:
    """Runs on every rank under accelerate launch; the main process writes the JSON."""
    import torch
    from transformers import AutoModelForCausalLM

    from benchmarks.gpu_throughput import QWEN, TINY, build_model, digit_rows
    from harness.config import load_config
    from harness.data.synthetic import Difficulty, generate_splits
    from harness.models.tiny import train_tokenizer
    from harness.runtime import dist
    from harness.runtime.manifest import git_revision
    from harness.training.common import save_final, shared_dataset
    from harness.training.dpo import dpo_trainer

    t_start = time.perf_counter()
    device = "cpu" if args.dry_run else "cuda"
    shape = TINY if args.dry_run else {**QWEN, "layers": 4}
    P, C, B, GA = (8, 16, 2, 2) if args.dry_run else (128, 256, 4, 2)
    work = Path(args.work)
    problems = generate_splits(64, 0, 0, 0, Difficulty())["train"]
    tok = train_tokenizer([f"Question: {p['question']}\nAnswer: {p['solution']}" for p in problems] + ["0123456789"],
                          300 if args.dry_run else 2048, work / "tok")
    cfg = load_config("qwen2.5-1.5b", [
        f"device={device}", f"dpo.batch_size={B}", f"dpo.global_batch={B * GA}", f"dpo.max_steps={args.steps}",
        f"dpo.max_length={P + C}", "dpo.warmup_steps=0", "dpo.gradient_checkpointing=false",
        # a learning rate that moves bf16 weights within a few steps, so a save of the untrained model would show
        "dpo.learning_rate=1e-4", "dpo.precompute_ref_log_probs=true",
        *(["model.dtype=float32"] if args.dry_run else [])])
    from harness.runtime.dist import resolve_global_batch
    cfg = resolve_global_batch(cfg)
    model = build_model(shape, device, len(tok))
    before = {n: p.detach().float().cpu().clone() for n, p in model.named_parameters()}
    rows = [{**r, "eos": True} for r in digit_rows(B * GA * args.steps * dist.world_size(), P, C, 1)]
    ds = shared_dataset([{k: r[k] for k in ("prompt", "chosen", "rejected", "weight", "eos")} for r in rows], work)
    trainer = dpo_trainer(cfg, cfg.dpo, model, None, tok, ds, work / "w", ("sigmoid",), device=device)
    engine = trainer.accelerator.state.distributed_type.value
    t0 = time.perf_counter()
    trainer.train()
    train_s = time.perf_counter() - t0
    out_dir = work / "model"
    save_final(trainer, tok, out_dir)
    # the trained model's logits, through the engine itself (ZeRO-3 gathers each layer's parameters as it runs)
    ids = torch.tensor([tok(r["prompt"] + r["chosen"])["input_ids"] for r in rows[:4]], device=device)
    live_model = trainer.model_wrapped
    live_model.eval()
    with torch.no_grad(), trainer.accelerator.autocast():
        live = live_model(input_ids=ids).logits.float()
    row = {"part": f"engine:{args.engine}", "engine": args.engine, "distributed_type": engine,
           "world_size": dist.world_size(), "git_revision": git_revision(), "device": (
               torch.cuda.get_device_name() if device == "cuda" else "CPU (dry run: not a result)"),
           "shape": shape, "steps": trainer.state.global_step, "batch": B, "grad_accum": GA, "tokens": P + C,
           "train_s": round(train_s, 2), "train_loss": round(float(trainer.state.log_history[-1].get("train_loss", 0)), 4),
           "engine_exercised": engine == EXPECTED[args.engine]}
    if not row["engine_exercised"]:  # accelerate runs an FSDP (or a ZeRO) config on a CPU-only box as plain MULTI_CPU
        row["note"] = (f"ran as {engine}, not {EXPECTED[args.engine]}: the engine itself needs a GPU; this run checked "
                       "the launch, the harness's trainer, the save and the reload")
    if dist.is_main_process():
        saved_dtype = json.loads((out_dir / "config.json").read_text()).get("dtype")
        reloaded = AutoModelForCausalLM.from_pretrained(str(out_dir), dtype="auto").to(device).eval()
        with torch.no_grad(), trainer.accelerator.autocast():
            again = reloaded(input_ids=ids).logits.float()
        diff = (again - live).abs().max().item()
        scale = live.abs().max().item()
        changed = sum(not torch.equal(p.detach().float().cpu(), before[n]) for n, p in reloaded.named_parameters()
                      if n in before)
        row.update({
            "saved_dtype": saved_dtype, "saved_gib": round(sum(f.stat().st_size for f in out_dir.glob("*.safetensors"))
                                                           / 2 ** 30, 3),
            "reload_max_abs_logit_diff": round(diff, 6), "logit_scale": round(scale, 4),
            "reload_argmax_agreement": round((again.argmax(-1) == live.argmax(-1)).float().mean().item(), 4),
            "weights_changed": f"{changed}/{len(before)} tensors differ from the initial weights",
            # bf16 rounding of the saved copy against the live (possibly fp32-master) weights: a few per cent of the
            # largest logit at most; a wrong or untrained save differs by the logits' own size
            "reload_matches": diff <= 0.03 * scale + 1e-4 and changed > 0,
            "peak_gib": round(torch.cuda.max_memory_allocated() / 2 ** 30, 2) if device == "cuda" else None,
            "wall_s": round(time.perf_counter() - t_start, 1)})
        _write(Path(args.out), row)
        print("engine:", json.dumps(row), flush=True)
    trainer.accelerator.wait_for_everyone()


def parent(args) -> int:
    """Launch the child under accelerate with the engine's config; always leave a JSON behind."""
    from harness.runtime.manifest import git_revision
    out = Path(args.out)
    out.unlink(missing_ok=True)  # an earlier session's file must not pass for this one's
    base = {"part": f"engine:{args.engine}", "engine": args.engine, "git_revision": git_revision()}
    if args.engine.startswith("zero") and importlib.util.find_spec("deepspeed") is None:
        _write(out, {**base, "skipped": "deepspeed not installed"})
        print(f"engine {args.engine}: skipped: deepspeed not installed")
        return 0
    work = Path(tempfile.mkdtemp(prefix=f"engine-{args.engine}-"))
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file",
           str(ROOT / "harness" / "configs" / "accelerate" / f"{args.engine}.yaml"), "--num_processes",
           str(args.num_processes), "--main_process_port", str(29500 + ENGINES.index(args.engine)),
           str(Path(__file__).resolve()), "--child", "--engine", args.engine, "--out", str(out), "--work", str(work),
           "--steps", str(args.steps), *(["--dry-run"] if args.dry_run else [])]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=args.timeout)
        rc, log = r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        rc, log = "timeout", (e.stdout or b"").decode(errors="replace") + (e.stderr or b"").decode(errors="replace")
    (out.parent / f"{out.stem}.log").write_text(log)
    if rc != 0 or not out.exists():
        _write(out, {**base, "failed": f"exit {rc} after {time.perf_counter() - t0:.0f} s", "log_tail": log[-3000:]})
        print(f"engine {args.engine}: failed (exit {rc}); log in {out.parent / (out.stem + '.log')}")
        return 1
    row = json.loads(out.read_text())
    print(f"engine {args.engine}: {row['distributed_type']}, {row['steps']} steps in {row['train_s']} s, reload "
          f"matches: {row['reload_matches']} (max |logit diff| {row['reload_max_abs_logit_diff']} of "
          f"{row['logit_scale']})")
    # on a GPU the engine must be the one asked for; a dry run on a CPU cannot be (note in the JSON)
    return 0 if row["reload_matches"] and (row["engine_exercised"] or args.dry_run) else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", choices=ENGINES, required=True)
    ap.add_argument("--out", required=True, help="the part's JSON")
    ap.add_argument("--dry-run", action="store_true", help="tiny model on the CPU (gloo): proves the path runs")
    ap.add_argument("--steps", type=int, default=3, help="optimizer steps")
    ap.add_argument("--num-processes", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=600, help="seconds for the launched run")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--work", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args)
        return 0
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
