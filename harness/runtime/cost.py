"""The cost of a stage: tokens generated, forwarded and trained, verifier calls, analytic FLOPs, wall seconds.

Pure Python (no torch at import): the trainers, the sampler and the evaluation count tokens (`count_sequences`,
`count_generation`, `TokenCounter`), the stage kinds turn counts into a cost record (`generation_cost`,
`training_cost`, `finish`), and the report adds records up (`combine`) from the saved index entries.

A cost record (every field always present; `COST_FIELDS`):

    generated_tokens  tokens sampled or greedily decoded (the prompt not included)
    prompt_tokens     prompt tokens run forward before generating (prefill; one per sequence: k samples of one problem
                      prefill their prompt k times, as the HF sampler does; vLLM's prefix cache may do less)
    reference_tokens  tokens run forward only, to score sequences: DPO's reference log-probs; an online trainer's
                      reference and old-policy log-probs
    trained_tokens    tokens run forward and backward through the trained policy (prompt and completion: every
                      position of a trained sequence carries activations the backward pass goes through)
    verifier_calls    MathVerifier verdicts asked for (pool: one per sample; evaluation: one per problem)
    flops             analytic FLOPs of all of the above (`forward_flops`, `training_flops`)
    seconds           wall seconds of the stage (None until `finish`)
    device            what it ran on ('cpu (2 threads)', 'cuda: NVIDIA H100 80GB HBM3 x1'; harness/training/counting.py
                      `device_label`)

and optionally `reused`: {"reference_tokens": n, "flops": f}, the part of the record another stage computed and
this one read from a content-keyed cache (DPO's reference log-probs, harness/training/dpo.py). It is part of the
stage's own cost (a recipe run alone pays it) and subtracted from a run's total, where the stage that computed it
counts it (`without_reused`; harness/reporting/costs.py `run_cost`).

Token counts travel as `{"sequences": s, "tokens": t, "attended": a}` (`count_sequences`): `attended` is the sum over
the tokens of how many positions each attends to (causal: the i-th token of a sequence attends to i), what the
attention term below needs.
"""
from __future__ import annotations

import json
from pathlib import Path

COST_FIELDS = ("generated_tokens", "prompt_tokens", "reference_tokens", "trained_tokens", "verifier_calls", "flops",
               "seconds", "device")
COUNT_FIELDS = COST_FIELDS[:5]

NON_GATED = {"gpt2", "gpt_neox", "gptj", "gpt_bigcode", "opt", "bloom", "falcon", "phi"}
"""model_type values whose MLP is two matrices (up, down); every other decoder (llama, qwen2, qwen3, mistral, gemma,
SmolLM2's llama, ...) has a gated MLP of three (gate, up, down)."""


# ---- the model --------------------------------------------------------------------------------------------------
def model_shape(model_dir: str | Path) -> dict:
    """The shape the FLOP formula needs, from the checkpoint's config.json alone (no weights are read):

        {"n_params_non_embedding": N, "layers": L, "hidden": d, "attention_width": h·hd, "heads": h,
         "kv_heads": kv, "head_dim": hd, "intermediate": ff, "vocab": V, "mlp_gated": bool,
         "embedding_params": V·d, "lm_head_params": 0 if tied else V·d, "model_type": ...}

    N counts the weight matrices of the decoder layers, the parameters every token multiplies its activations with:
    per layer q (d x h·hd), k and v (d x kv·hd each), o (h·hd x d) and the MLP (3·d·ff gated, 2·d·ff otherwise).
    Biases and norms (O(d) per layer, < 0.1% of N here) are left out, as Kaplan et al. (2020) leave them out; so are
    the token embedding and the unembedding (LM head), which are the `embedding_params` and `lm_head_params`
    beside it: the unembedding costs 2·V·d FLOPs per token forward, which the formula does not count (about 8% of the
    tiny model's forward, 18% of Qwen2.5-1.5B's), the same share for every recipe. A hub id is read through the
    local HF cache (offline)."""
    cfg = _read_config(model_dir)
    d = _get(cfg, "hidden_size", "n_embd", "d_model")
    layers = _get(cfg, "num_hidden_layers", "n_layer", "num_layers")
    heads = _get(cfg, "num_attention_heads", "n_head")
    kv = cfg.get("num_key_value_heads") or heads
    hd = cfg.get("head_dim") or d // heads
    ff = cfg.get("intermediate_size") or cfg.get("n_inner") or 4 * d
    vocab = _get(cfg, "vocab_size")
    model_type = cfg.get("model_type", "")
    gated = model_type not in NON_GATED
    attn = d * heads * hd + 2 * d * kv * hd + heads * hd * d
    mlp = (3 if gated else 2) * d * ff
    tied = cfg.get("tie_word_embeddings", True)
    return {"n_params_non_embedding": layers * (attn + mlp), "layers": layers, "hidden": d,
            "attention_width": heads * hd, "heads": heads, "kv_heads": kv, "head_dim": hd, "intermediate": ff,
            "vocab": vocab, "mlp_gated": gated, "embedding_params": vocab * d, "lm_head_params": 0 if tied else vocab * d,
            "model_type": model_type}


def _read_config(model_dir: str | Path) -> dict:
    from harness.config import ConfigError
    path = Path(model_dir) / "config.json"
    if not path.is_file():
        try:  # a hub id of a pretrained base, already in the local cache
            from huggingface_hub import hf_hub_download
            path = Path(hf_hub_download(str(model_dir), "config.json"))
        except Exception:  # noqa: BLE001  (not cached, offline, not a repo id: one message for all)
            raise ConfigError(f"{model_dir}: no config.json to size the model for its cost; "
                              "pass a model directory or a hub id already in the local cache") from None
    cfg = json.loads(path.read_text())
    return cfg.get("text_config", cfg)  # a multimodal checkpoint: its language model


def _get(cfg: dict, *names: str) -> int:
    for n in names:
        if cfg.get(n):
            return int(cfg[n])
    from harness.config import ConfigError
    raise ConfigError(f"config.json has none of {', '.join(names)}: cannot size the model for its cost")


# ---- the formula ------------------------------------------------------------------------------------------------
def forward_flops(shape: dict, tokens: int, attended: int) -> float:
    """FLOPs of running `tokens` tokens forward, whose contexts add up to `attended` positions:

        C_forward = 2 · N · tokens  +  2 · n_layers · d_attn · attended

    - 2·N per token: each of the N non-embedding weights (`model_shape`) does one multiply and one add per token
      (Kaplan et al. 2020, "Scaling Laws for Neural Language Models", table 1: C_forward ≈ 2N + 2·n_layer·n_ctx·d_attn);
    - attention: a token scores its query against the keys of every position it attends to (2·d_attn FLOPs each, per
      layer). Kaplan counts the whole window n_ctx for every token; here each token counts its actual context (causal:
      the i-th token of a sequence attends to i positions, so a sequence of L tokens adds n_layers·d_attn·L·(L+1)),
      which is what `attended` sums. d_attn = heads x head_dim (= d_model in every model here).
    Used for generation (prompt prefill and generated tokens, each with its KV-cached context) and for the frozen
    reference's log-probs."""
    return 2.0 * shape["n_params_non_embedding"] * tokens + 2.0 * shape["layers"] * shape["attention_width"] * attended


def training_flops(shape: dict, tokens: int, attended: int) -> float:
    """FLOPs of training on `tokens` tokens (forward and backward): 3 x `forward_flops`, i.e.

        C_train = 6 · N · tokens  +  6 · n_layers · d_attn · attended

    the backward pass costs twice the forward (a gradient for the activations and one for the weights: Kaplan et
    al. 2020, section 2.1; the 6N of Hoffmann et al. 2022). Activation recomputation under gradient checkpointing
    (one more forward, 8N) is not counted: the figure is the method's cost, not the implementation's."""
    return 3.0 * forward_flops(shape, tokens, attended)


# ---- counting -----------------------------------------------------------------------------------------------------
def count_sequences(lengths) -> dict:
    """{"sequences", "tokens", "attended"} of sequences of the given lengths, each run forward whole (causal)."""
    lengths = [int(n) for n in lengths]
    return {"sequences": len(lengths), "tokens": sum(lengths), "attended": sum(n * (n + 1) // 2 for n in lengths)}


def count_generation(prompt_lengths, generated_lengths) -> dict:
    """{"prompt": counts, "generated": counts} of sequences that prefill a prompt of P tokens and then generate G:
    the prompt's tokens attend to 1..P positions, the i-th generated token to P + i (KV cache), so the pair together
    costs what one forward over P + G tokens does."""
    prompt, generated = [int(n) for n in prompt_lengths], [int(n) for n in generated_lengths]
    return {"prompt": count_sequences(prompt),
            "generated": {"sequences": len(generated), "tokens": sum(generated),
                          "attended": sum(g * p + g * (g + 1) // 2 for p, g in zip(prompt, generated))}}


def add_counts(*counts: dict | None) -> dict:
    """The sum of several {"sequences", "tokens", "attended"} dicts (None counts as nothing)."""
    out = {"sequences": 0, "tokens": 0, "attended": 0}
    for c in counts:
        for k in out:
            out[k] += int((c or {}).get(k, 0))
    return out


class TokenCounter:
    """Running token counts of a trainer, by name ('trained', 'reference', ...): `add(name, lengths)` with the real
    (unpadded) length of each sequence run. `state()`/`load()` carry them through a checkpoint, so a resumed run
    reports the whole training's counts (harness/training/dpo.py writes them beside each checkpoint)."""

    FILE = "token_counts.json"

    def __init__(self):
        self.counts: dict[str, dict] = {}

    def add(self, name: str, lengths) -> None:
        self.counts[name] = add_counts(self.counts.get(name), count_sequences(lengths))

    def add_counted(self, name: str, counts: dict) -> None:
        """Add counts made elsewhere (`count_generation`'s parts)."""
        self.counts[name] = add_counts(self.counts.get(name), counts)

    def get(self, name: str) -> dict:
        return add_counts(self.counts.get(name))

    def state(self) -> dict:
        return {k: dict(v) for k, v in self.counts.items()}

    def save(self, folder: str | Path) -> None:
        (Path(folder) / self.FILE).write_text(json.dumps(self.state(), sort_keys=True))

    def load(self, folder: str | Path | None) -> bool:
        """Counts of the run up to the checkpoint in `folder`; False (nothing loaded) when it holds none."""
        path = Path(folder) / self.FILE if folder else None
        if path is None or not path.is_file():
            return False
        self.counts = {k: add_counts(v) for k, v in json.loads(path.read_text()).items()}
        return True


# ---- cost records -----------------------------------------------------------------------------------------------
def empty() -> dict:
    return {**{k: 0 for k in COUNT_FIELDS}, "flops": 0.0, "seconds": None, "device": None}


def stage_cost(shape: dict, *, prompt: dict | None = None, generated: dict | None = None,
               reference: dict | None = None, trained: dict | None = None, verifier_calls: int = 0,
               reused: dict | None = None) -> dict:
    """A cost record (no seconds or device yet: `finish`) from token counts of any kind: prompt and generated tokens
    and reference tokens run forward (`forward_flops`), trained tokens forward and backward (`training_flops`).
    `reused`: the counts of reference tokens included in `reference` that a cache served (see the module doc)."""
    p, g, r, t = (add_counts(c) for c in (prompt, generated, reference, trained))
    rec = empty()
    rec.update(prompt_tokens=p["tokens"], generated_tokens=g["tokens"], reference_tokens=r["tokens"],
               trained_tokens=t["tokens"], verifier_calls=int(verifier_calls),
               flops=forward_flops(shape, p["tokens"] + g["tokens"] + r["tokens"],
                                   p["attended"] + g["attended"] + r["attended"])
               + training_flops(shape, t["tokens"], t["attended"]))
    if reused and reused.get("tokens"):
        u = add_counts(reused)
        rec["reused"] = {"reference_tokens": u["tokens"], "flops": forward_flops(shape, u["tokens"], u["attended"])}
    return rec


def generation_cost(shape: dict, stats: dict, verifier_calls: int = 0) -> dict:
    """The cost of sampling or greedy decoding from the counts its stats carry (`stats["counts"]`:
    harness/models/sampling.py `sample`, with its `greedy` part when `include_greedy` added one;
    harness/stages/evaluate.py `run_lm_eval`'s throughput), plus the verifier calls on what it generated."""
    parts = [stats, *([stats["greedy"]] if isinstance(stats.get("greedy"), dict) else [])]
    counts = [s.get("counts") or {} for s in parts]
    return stage_cost(shape, prompt=add_counts(*(c.get("prompt") for c in counts)),
                      generated=add_counts(*(c.get("generated") for c in counts)), verifier_calls=verifier_calls)


def training_cost(shape: dict, tokens: dict, verifier_calls: int = 0) -> dict:
    """The cost of a training run from the `tokens` dict its trainer returns (harness/training/dpo.py `train_dpo`,
    harness/training/sft.py `train_sft`): {"trained": counts, "reference": counts, "reference_reused": counts,
    "prompt": counts, "generated": counts}, each optional (an online trainer also generates)."""
    return stage_cost(shape, prompt=tokens.get("prompt"), generated=tokens.get("generated"),
                      reference=tokens.get("reference"), trained=tokens.get("trained"),
                      verifier_calls=verifier_calls + int(tokens.get("verifier_calls", 0)),
                      reused=tokens.get("reference_reused"))


def finish(record: dict, seconds: float | None, device: str | None) -> dict:
    """The record with the stage's wall seconds and device (the stage meta's `seconds`; harness/training/counting.py
    `device_label`)."""
    return {**record, "seconds": None if seconds is None else round(float(seconds), 2), "device": device}


def combine(*records: dict | None) -> dict:
    """The sum of cost records: counts, FLOPs, seconds (None only when no record has any) and `reused`; the device is
    the one they share, or their distinct devices joined by ' + '."""
    out, devices, reused, seconds = empty(), [], {"reference_tokens": 0, "flops": 0.0}, None
    for r in records:
        if not r:
            continue
        for k in COUNT_FIELDS:
            out[k] += int(r.get(k) or 0)
        out["flops"] += float(r.get("flops") or 0.0)
        if r.get("seconds") is not None:
            seconds = (seconds or 0.0) + float(r["seconds"])
        if r.get("device") and r["device"] not in devices:
            devices.append(r["device"])
        for k in reused:
            reused[k] += (r.get("reused") or {}).get(k, 0)
    out["seconds"] = None if seconds is None else round(seconds, 2)
    out["device"] = " + ".join(devices) or None
    if reused["reference_tokens"] or reused["flops"]:
        out["reused"] = reused
    return out


def without_reused(record: dict) -> dict:
    """The record less what a cache served it (`reused`): what this stage itself computed."""
    u = record.get("reused") or {}
    if not u:
        return record
    out = {k: v for k, v in record.items() if k != "reused"}
    out["reference_tokens"] -= int(u.get("reference_tokens", 0))
    out["flops"] -= float(u.get("flops", 0.0))
    return out
