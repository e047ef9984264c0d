"""Sampling settings that cannot work, found before any stage (the CLI calls `check_sampling` before SFT), so a run
never trains for half an hour and then fails at its pool:
- `sampling.backend=vllm` without vLLM installed, or off a GPU;
- a `sampling.tensor_parallel_size` that does not divide the model's attention heads (vLLM shards heads: Qwen2.5-1.5B
  has 12, so 1, 2, 3, 4, 6 or 12 GPUs, never 8) or its key/value heads (each shard needs whole KV heads, or the
  tensor-parallel size a multiple of them);
- tensor parallelism under a launch of several processes: there every rank runs its own engine on its own GPU
  (data parallel, harness/runtime/shard.py), the better use of GPUs for a model that fits one.
The heads come from the config for the embedded/random model, from a local checkpoint's config.json, or from a hub
model's config.json where the hub cache already holds it; a hub model not cached is checked by vLLM itself.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from harness.config import ConfigError


def attention_heads(cfg) -> tuple[int, int] | None:
    """(attention heads, key/value heads) of the experiment's model, or None where they cannot be known offline."""
    if cfg.model.kind != "pretrained":
        return cfg.model.heads, cfg.model.kv_heads
    path = Path(cfg.model.name_or_path) / "config.json"
    if not path.is_file():
        try:
            from huggingface_hub import try_to_load_from_cache
            cached = try_to_load_from_cache(cfg.model.name_or_path, "config.json")
        except Exception:  # an id the hub library rejects: vLLM will say so
            return None
        if not isinstance(cached, str):
            return None
        path = Path(cached)
    conf = json.loads(path.read_text())
    conf = conf.get("text_config", conf)  # multimodal wrappers keep the language model's settings inside
    heads = conf.get("num_attention_heads")
    return (heads, conf.get("num_key_value_heads") or heads) if heads else None


def check_sampling(cfg) -> None:
    """One ConfigError line for a sampling setting that cannot run here (see the module docstring)."""
    from harness.runtime.device import resolve_device
    from harness.runtime.dist import world_size
    s = cfg.sampling
    if s.backend != "vllm":
        return
    problem = tensor_parallel_problem(s.tensor_parallel_size, attention_heads(cfg), world_size())
    if problem:  # a property of the model and the launch: said first, whatever is installed
        raise ConfigError(problem)
    if importlib.util.find_spec("vllm") is None:
        raise ConfigError("sampling.backend=vllm but vllm is not installed; pip install '.[vllm]' (GPU only) or set "
                          "sampling.backend=hf")
    if resolve_device(cfg.device) != "cuda":
        raise ConfigError("sampling.backend=vllm: vLLM samples on a GPU here; set sampling.backend=hf on this device")


def tensor_parallel_problem(tp: int, heads: tuple[int, int] | None, processes: int) -> str | None:
    """Why `tp` GPUs cannot run one engine of a model with (attention, key/value) `heads` under a launch of
    `processes`, or None."""
    if tp > 1 and processes > 1:
        return (f"sampling.tensor_parallel_size={tp} under a launch of {processes} processes: each rank samples its "
                f"share on its own GPU (one engine per GPU); set sampling.tensor_parallel_size=1")
    if tp > 1 and heads:
        q, kv = heads
        if q % tp or (kv % tp and tp % kv):
            fits = [n for n in range(1, q + 1) if q % n == 0 and (kv % n == 0 or n % kv == 0)]
            return (f"sampling.tensor_parallel_size={tp}: the model has {q} attention heads and {kv} key/value "
                    f"heads, which {tp} GPUs cannot split; use one of {fits}, or one engine per GPU under "
                    f"accelerate launch (data parallel)")
    return None
