"""`model.train_attention`: trained models run eager attention on a CPU (PyTorch's SDPA backward there is the slow
part of an SFT step), sdpa on a GPU; frozen and inference copies keep the checkpoint's default. The choice is
resolved before any stage key, and the two kernels compute the same function."""
import torch

from harness.config import load_config
from harness.runtime.device import resolve_precision, train_attention


def test_auto_resolves_per_device_and_enters_the_stage_keys():
    assert (train_attention("cpu", "auto"), train_attention("cuda", "auto")) == ("eager", "sdpa")
    assert train_attention("cpu", "sdpa") == "sdpa" and train_attention("cuda", "flash_attention_2") == "flash_attention_2"
    cfg = load_config("tiny", ["device=cpu"])
    assert cfg.model.train_attention == "auto" and resolve_precision(cfg).model.train_attention == "eager"
    sdpa = resolve_precision(load_config("tiny", ["device=cpu", "model.train_attention=sdpa"]))
    assert sdpa.model.train_attention == "sdpa" and sdpa.model != resolve_precision(cfg).model


def test_trained_copy_is_eager_frozen_copy_keeps_sdpa_and_both_agree(micro_model, tmp_path):
    from harness.training.common import load_policy
    cfg = load_config("tiny", [f"run_dir={tmp_path}", "device=cpu", "model.dtype=float32"])
    policy, tok = load_policy(str(micro_model), cfg)
    frozen, _ = load_policy(str(micro_model), cfg, trainable=False)
    assert policy.config._attn_implementation == "eager"
    assert frozen.config._attn_implementation == "sdpa"
    enc = tok(["Question: 3 + 4?\nAnswer: 3 + 4 = 7", "Question: 1?\nAnswer:"], return_tensors="pt", padding=True)
    with torch.no_grad():
        a, b = policy(**enc).logits, frozen(**enc).logits
    real = enc["attention_mask"].bool()
    assert torch.allclose(a[real], b[real], atol=1e-4), (a[real] - b[real]).abs().max()
