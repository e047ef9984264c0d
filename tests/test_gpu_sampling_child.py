"""The sampling child process (how vLLM runs, so its GPU memory returns to the next stage), exercised with the
hf backend on CPU: same records as in-process sampling, one-line errors, launcher variables not inherited."""
import importlib.util

import pytest

from harness.config import ConfigError, SamplingConfig
from harness.models.sampling import run_in_child, sample, sample_in_process

PROBLEMS = [{"id": f"p{i}", "question": f"What is {i} + {i + 1}?"} for i in range(3)]
TEMPLATE = "Question: {question}\nAnswer:"


def test_child_process_gives_the_same_samples_as_in_process(micro_model, monkeypatch):
    cfg = SamplingConfig(k=2, max_new_tokens=12, batch_size=4)
    here, here_stats = sample_in_process(str(micro_model), PROBLEMS, TEMPLATE, cfg, 7, "cpu", False, False)
    monkeypatch.setenv("RANK", "1")          # a launcher's variables must not reach the child's engine
    monkeypatch.setenv("WORLD_SIZE", "2")
    child, child_stats = run_in_child(str(micro_model), PROBLEMS, TEMPLATE, cfg, 7, "cpu", False, False)
    assert child == here and len(child) >= 3
    assert child_stats["isolated"] and child_stats["tokens"] == here_stats["tokens"]


def test_child_failure_is_an_error_naming_the_backend(tmp_path):
    with pytest.raises(RuntimeError, match="hf sampling child process failed"):
        run_in_child(str(tmp_path / "no-model"), PROBLEMS, TEMPLATE, SamplingConfig(), 0, "cpu", False, False)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed here")
def test_vllm_backend_without_vllm_is_a_config_error(micro_model):
    with pytest.raises(ConfigError, match="pip install"):
        sample(str(micro_model), PROBLEMS, TEMPLATE, SamplingConfig(backend="vllm"), 0, "cuda")


def test_static_cache_sampling_runs(micro_model):
    cfg = SamplingConfig(k=1, max_new_tokens=8, batch_size=3, cache="static")
    recs, stats = sample_in_process(str(micro_model), PROBLEMS, TEMPLATE, cfg, 0, "cpu", False, True)
    assert len(recs) == 3 and stats["tokens"] > 0


def test_static_cache_ignores_the_checkpoints_generation_config_as_the_dynamic_path_does(micro_model):
    """`generate` (the static cache) would apply a checkpoint's repetition_penalty and top_k (Qwen's instruct models
    ship 1.1 and 20; transformers' own default top_k is 50); our dynamic decoding reads only temperature and top_p.
    Pinned, both caches decode the same: greedy token ids equal under a generation_config that says otherwise."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.models.sampling import generate_samples
    tok = AutoTokenizer.from_pretrained(micro_model, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(micro_model, dtype=torch.float32).eval()
    model.generation_config.repetition_penalty = 50.0   # loud enough to change a greedy path were it applied
    model.generation_config.top_k = 1
    ids = {}
    for cache in ("dynamic", "static"):
        cfg = SamplingConfig(k=1, max_new_tokens=12, batch_size=3, cache=cache)
        recs, _ = generate_samples(model, tok, PROBLEMS, TEMPLATE, cfg, 0, "cpu", greedy=True)
        ids[cache] = [r["token_ids"] for r in recs]
    assert ids["static"] == ids["dynamic"] and any(ids["dynamic"])
