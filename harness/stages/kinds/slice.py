"""The near-correct-error slice (harness/stages/near_slice.py): selected on the primary SFT's greedy solutions to the
test problems, through the same lm-eval task, settings and configured verifier as the evaluation, and frozen."""
from __future__ import annotations

from pathlib import Path

from harness.stages.kind import StageKind, register
from harness.stages.kinds.eval import READS, task_inputs


def source_task(cfg) -> str:
    """Synthetic runs select on their own test split; real-data runs on GSM8K test (never trained on)."""
    return "hardneg_synth" if cfg.data.source == "synthetic" else "hardneg_gsm8k_cot"


def _metadata(pipe, synth: str | None) -> dict:
    from harness.stages.evaluate import task_metadata
    return task_metadata(pipe.cfg, synth, None)


def inputs(pipe, node) -> dict:
    from harness.stages.near_slice import SLICE_RULE, SLICE_VERSION
    source = source_task(pipe.cfg)
    return {"source": source, "version": SLICE_VERSION, "rule": SLICE_RULE,
            **task_inputs(pipe.cfg, [source], _metadata(pipe, None))}


def produce(ctx, out: Path) -> dict:
    from harness.data.loaders import load_gsm8k, read_jsonl, write_jsonl
    from harness.runtime.progress import console
    from harness.stages.evaluate import run_lm_eval
    from harness.stages.near_slice import freeze_slice, select_near_miss
    cfg, source = ctx.cfg, source_task(ctx.cfg)
    synthetic = source == "hardneg_synth"
    problems = ctx.split("test") if synthetic else load_gsm8k("test", cfg.eval.gsm8k_path)
    metadata = _metadata(ctx.pipe, str(ctx.up("data").dir / "test.jsonl") if synthetic else None)
    with console.status(f"near-miss slice: SFT greedy on {source}"):
        _, throughput = run_lm_eval(ctx.model("sft"), cfg, [source], metadata, out)
    greedy = read_jsonl(out / f"samples_{source}.jsonl")
    rows, summary = select_near_miss(problems, greedy)
    write_jsonl(out / "near_miss.jsonl", rows)
    frozen = freeze_slice(out, rows, len(greedy), ctx.up("sft"), ctx.pipe.payload(ctx.node))
    from harness.runtime.cost import generation_cost, model_shape
    cost = generation_cost(model_shape(ctx.model("sft")), throughput, throughput.get("verifier_calls", 0))
    return {"n_problems": len(rows), "of": len(greedy), "source": source, "throughput": throughput,
            "cost": ctx.cost(cost),
            "summary": summary, "slice_hash": frozen["slice_hash"], "model_hash": frozen["model_hash"]}


KIND = register(StageKind(
    name="slice", produce=produce, data_parallel=True, seed="data", reads=READS, inputs=inputs,
    upstream=lambda pipe, node: {"sft": node.at("sft"), "data": node.at("data")},
    code=("harness.stages.near_slice", "harness.stages.evaluate", "harness.models.decode", "verifier")))
