"""`model.train_compile: layers`: a trained model's decoder layers run through torch.compile (regional, in place). The
compiled model computes the eager model's function and gradients, keeps its parameter names (so its checkpoint is an
ordinary one), and the setting enters every stage key."""
import torch

from harness.config import load_config
from harness.stages.pipeline import Pipeline


def _cfg(tmp_path, *extra):
    return load_config("tiny", [f"run_dir={tmp_path}", "device=cpu", "model.dtype=float32",
                                                             *extra])


def test_compiled_layers_match_eager_values_gradients_and_checkpoint(micro_model, tmp_path):
    from harness.training.common import load_policy
    eager, tok = load_policy(str(micro_model), _cfg(tmp_path))
    compiled, _ = load_policy(str(micro_model), _cfg(tmp_path, "model.train_compile=layers"))
    assert all(hasattr(layer, "_compiled_call_impl") and layer._compiled_call_impl is not None
               for layer in compiled.model.layers)
    assert list(compiled.state_dict()) == list(eager.state_dict())
    # two lengths: dynamic shapes serve both from one graph
    for texts in (["Question: 3 + 4?\nAnswer: 3 + 4 = 7", "Question: 1?\nAnswer:"], ["Question: 12 - 5 = ?"]):
        enc = tok(texts, return_tensors="pt", padding=True)
        labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
        out_e, out_c = eager(**enc, labels=labels), compiled(**enc, labels=labels)
        real = enc["attention_mask"].bool()
        assert torch.allclose(out_e.logits[real], out_c.logits[real], atol=1e-4)
        out_e.loss.backward()
        out_c.loss.backward()
        for (name, pe), pc in zip(eager.named_parameters(), compiled.parameters()):
            assert torch.allclose(pe.grad, pc.grad, atol=1e-4, rtol=1e-3), name
        eager.zero_grad()
        compiled.zero_grad()
    compiled.save_pretrained(tmp_path / "saved")
    from transformers import AutoModelForCausalLM
    back = AutoModelForCausalLM.from_pretrained(tmp_path / "saved")
    assert all(torch.equal(a, b) for a, b in zip(back.state_dict().values(), compiled.state_dict().values()))


def test_train_compile_enters_the_stage_keys_and_frozen_copies_stay_eager(micro_model, tmp_path):
    from harness.training.common import load_policy
    off, on = Pipeline(_cfg(tmp_path)), Pipeline(_cfg(tmp_path, "model.train_compile=layers"))
    assert off.cfg.model.train_compile == "none" and on.cfg.model.train_compile == "layers"
    assert off.sft_key() != on.sft_key() and off.base_key() == on.base_key()
    frozen, _ = load_policy(str(micro_model), on.cfg, trainable=False)
    assert all(getattr(layer, "_compiled_call_impl", None) is None for layer in frozen.model.layers)


def test_no_cpu_compiler_is_a_one_line_config_error_with_the_fix(micro_model, tmp_path, monkeypatch):
    import shutil

    import pytest

    from harness.config import ConfigError
    from harness.training.common import load_policy
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match=r"needs a C\+\+ compiler.*model.train_compile=none"):
        load_policy(str(micro_model), _cfg(tmp_path, "model.train_compile=layers"))
