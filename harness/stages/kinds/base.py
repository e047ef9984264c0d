"""The base model SFT starts from: for model.kind tiny/random a Qwen2-architecture model built here with a tokenizer
trained on the training split; for model.kind=pretrained the hub id or local directory itself (external: nothing is
computed, the key covers the name)."""
from __future__ import annotations

from pathlib import Path

from harness.stages.kind import StageKind, register

SHAPE = ("model.kind", "model.name_or_path", "model.hidden_size", "model.layers", "model.heads", "model.kv_heads",
         "model.intermediate_size", "model.vocab_size", "model.max_positions")


def produce(ctx, out: Path) -> dict:
    from harness.models.tiny import build_model, train_tokenizer
    m, tpl = ctx.cfg.model, ctx.cfg.data.prompt_template
    texts = [tpl.format(question=p["question"]) + " " + p["solution"] for p in ctx.split("train")[:5000]]
    tok = train_tokenizer(texts, m.vocab_size, out)
    model = build_model(tok, m.hidden_size, m.layers, m.heads, m.kv_heads, m.intermediate_size, m.max_positions,
                        ctx.cfg.seed)
    model.save_pretrained(out)
    return {"params": sum(p.numel() for p in model.parameters()), "vocab": len(tok)}


def external(pipe, node) -> str | None:
    m = pipe.cfg.model
    return m.name_or_path if m.kind == "pretrained" else None


def upstream(pipe, node) -> dict:
    return {} if pipe.cfg.model.kind == "pretrained" else {"data": node.at("data")}


KIND = register(StageKind(name="base", produce=produce, reads=SHAPE + ("data.prompt_template",), upstream=upstream,
                          seed="sft", external=external, code=("harness.models.tiny",)))
