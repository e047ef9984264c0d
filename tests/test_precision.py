"""The precision rule: a trained policy keeps fp32 parameters (bf16 enters through autocast);
frozen and inference copies may be bf16. And why: AdamW on bf16 parameters loses every update at lr 5e-7."""
import pytest
import torch

from harness.config import load_config
from harness.runtime.device import param_dtype, use_bf16


def test_param_dtype_rule(monkeypatch):
    assert use_bf16("cuda", "bfloat16") and use_bf16("cpu", "bfloat16") and not use_bf16("cuda", "float32")
    assert not use_bf16("cpu", "float32") and not use_bf16("mps", "auto")
    assert param_dtype("cuda", "bfloat16", trainable=True) is torch.float32      # bf16 on: still fp32 masters
    assert param_dtype("cuda", "bfloat16", trainable=False) is torch.bfloat16    # frozen reference / sampler
    assert param_dtype("cuda", "float32", trainable=False) is torch.float32
    # `auto` on a CPU: bf16 only where it is native (AVX512-BF16/AMX); HARDNEG_CPU_BF16 overrides the detection
    monkeypatch.setenv("HARDNEG_CPU_BF16", "0")
    assert not use_bf16("cpu", "auto") and param_dtype("cpu", "auto", trainable=False) is torch.float32
    monkeypatch.setenv("HARDNEG_CPU_BF16", "1")
    assert use_bf16("cpu", "auto") and param_dtype("cpu", "auto", trainable=False) is torch.bfloat16
    assert param_dtype("cpu", "auto", trainable=True) is torch.float32


def test_auto_precision_enters_the_stage_keys(monkeypatch):
    """An fp32 run and a bf16 run of one config never share a cached stage: `auto` is resolved before any key."""
    from harness.config import load_config
    from harness.runtime.device import resolve_precision
    cfg = load_config("tiny", ["device=cpu"])
    monkeypatch.setenv("HARDNEG_CPU_BF16", "0")
    fp32 = resolve_precision(cfg)
    monkeypatch.setenv("HARDNEG_CPU_BF16", "1")
    bf16 = resolve_precision(cfg)
    assert (fp32.model.dtype, bf16.model.dtype, cfg.model.dtype) == ("float32", "bfloat16", "auto")
    assert fp32.model != bf16.model


def test_adamw_on_bf16_weights_loses_small_updates():
    """1,000 weights of typical size (|w| in [0.01, 0.05], Qwen's init scale), a loss pulling each one the same
    way, AdamW at the paper's DPO lr 5e-7 for 100 steps. A bf16 weight of that size has a spacing of 6e-5 to
    2.4e-4, far above one step (~5e-7), so every update rounds back: nothing moves. fp32 moves each by ~5e-5."""
    g = torch.Generator().manual_seed(0)
    init = (torch.rand(1000, generator=g) * 0.04 + 0.01) * torch.sign(torch.randn(1000, generator=g))
    moved = {}
    for dtype in (torch.bfloat16, torch.float32):
        w = torch.nn.Parameter(init.clone().to(dtype))
        opt = torch.optim.AdamW([w], lr=5e-7)
        for _ in range(100):
            opt.zero_grad()
            (w.float() * 1.0).sum().backward()   # d/dw = 1 for every weight: a steady push down
            opt.step()
        moved[dtype] = (w.detach().float() - init.to(dtype).float()).abs()
    assert int((moved[torch.bfloat16] > 0).sum()) == 0
    assert int((moved[torch.float32] > 0).sum()) == 1000
    assert moved[torch.float32].mean().item() == pytest.approx(100 * 5e-7, rel=0.05)


@pytest.fixture
def bf16_cfg(tmp_path):
    return load_config("tiny", [
        f"run_dir={tmp_path}", "device=cpu", "model.dtype=bfloat16", "sft.max_steps=3", "sft.batch_size=4",
        "sft.learning_rate=5e-7", "sft.warmup_steps=0", "sft.scheduler=constant"])


def test_loader_gives_fp32_policy_and_bf16_frozen_copy_when_bf16_is_on(micro_model, bf16_cfg):
    from harness.training.common import load_policy
    policy, _ = load_policy(str(micro_model), bf16_cfg, device="cuda")   # what the GPU path decides; no CUDA needed
    assert {p.dtype for p in policy.parameters()} == {torch.float32}
    ref, _ = load_policy(str(micro_model), bf16_cfg, trainable=False, device="cuda")
    assert {p.dtype for p in ref.parameters()} == {torch.bfloat16}
    assert not any(p.requires_grad for p in ref.parameters())


def _rows(n=40):
    from harness.data.synthetic import Difficulty, generate_splits
    return [{"prompt": f"Question: {r['question']}\nAnswer:", "completion": " " + r["solution"]}
            for r in generate_splits(n, 0, 0, 1, Difficulty())["train"]]


def _changed_share(model, before) -> float:
    changed = sum(int((p.detach() != before[n]).sum()) for n, p in model.named_parameters())
    return changed / sum(p.numel() for p in model.parameters())


def test_real_sft_trainer_with_bf16_autocast_trains_the_fp32_policy(micro_model, bf16_cfg, tmp_path):
    """The real SFTTrainer with bf16=True (CPU autocast stands in for CUDA's) on the policy load_policy hands it:
    parameters stay fp32 and 3 steps at lr 5e-7 move nearly all of them. The same trainer on a bf16-loaded policy
    (the old bug) leaves nearly all of them where they were."""
    from datasets import Dataset

    from harness.training.common import load_policy
    from harness.training.sft import sft_trainer
    ds = Dataset.from_list(_rows())
    shares = {}
    for trainable in (True, False):
        model, tok = load_policy(str(micro_model), bf16_cfg, trainable=trainable, device="cuda")
        model.requires_grad_(True)
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        trainer = sft_trainer(bf16_cfg, bf16_cfg.sft, model, tok, ds, tmp_path / f"w{trainable}", device="cpu",
                              bf16=True, save_strategy="no")
        assert trainer.args.bf16
        trainer.train()
        if trainable:
            assert {p.dtype for p in trainer.model.parameters()} == {torch.float32}
        shares[trainable] = _changed_share(model, before)
    assert shares[True] > 0.95, shares
    assert shares[False] < 0.05, shares


def test_final_model_is_written_in_bf16_and_no_last_step_checkpoint(micro_model, bf16_cfg, tmp_path):
    """After bf16 training the stage writes a bf16 model (half the disk at 1.5B); the trained weights were fp32
    until then. No resumption checkpoint is written at the last step (the final model replaces it)."""
    from datasets import Dataset
    from transformers import AutoModelForCausalLM

    from harness.training.common import load_policy, save_final
    from harness.training.sft import sft_trainer
    model, tok = load_policy(str(micro_model), bf16_cfg, device="cuda")
    work = tmp_path / "work"
    trainer = sft_trainer(bf16_cfg, bf16_cfg.sft, model, tok, Dataset.from_list(_rows(16)), work, device="cpu", bf16=True)
    trainer.train()
    assert not list(work.glob("checkpoint-*"))
    save_final(trainer, tok, tmp_path / "out")
    saved = AutoModelForCausalLM.from_pretrained(tmp_path / "out", dtype="auto")
    assert {p.dtype for p in saved.parameters()} == {torch.bfloat16}


def test_dpo_step_computes_in_bf16_also_after_another_trainer_trained_the_same_model(micro_model, bf16_cfg, tmp_path):
    """Our DPO step (TRL's fused LM head under WeightedDPOTrainer) runs under bf16 autocast with bf16=True, also when
    the model object has already been through an SFT trainer, as in benchmarks/gpu_throughput.py. Without
    `unwrap_trained_forward` accelerate saw the first trainer's mark and did not wrap the second trainer's forward:
    that step ran in fp32 (on an H200: 4,680 against 32,430 tok/s). CPU autocast stands in for CUDA's; the wrappers
    are the same."""
    from datasets import Dataset

    from harness.training.common import load_policy
    from harness.training.dpo import dpo_trainer
    from harness.training.sft import sft_trainer
    model, tok = load_policy(str(micro_model), bf16_cfg, device="cuda")
    sft_trainer(bf16_cfg, bf16_cfg.sft, model, tok, Dataset.from_list(_rows(8)), tmp_path / "s", device="cpu",
                bf16=True, save_strategy="no", max_steps=1).train()
    rows = [{"prompt": r["prompt"], "chosen": r["completion"], "rejected": r["completion"][::-1], "weight": 1.0}
            for r in _rows(8)]
    seen = {"autocast": [], "mlp": []}
    on = lambda m, a: seen["autocast"].append(torch.is_autocast_enabled("cpu"))  # noqa: E731
    hooks = [model.model.register_forward_pre_hook(on),
             model.model.layers[-1].mlp.down_proj.register_forward_hook(lambda m, i, o: seen["mlp"].append(o.dtype))]
    trainer = dpo_trainer(bf16_cfg, bf16_cfg.dpo, model, None, tok, Dataset.from_list(rows), tmp_path / "w",
                          device="cpu", bf16=True, save_strategy="no", max_steps=2)
    for v in seen.values():
        v.clear()  # the reference log-prob pass at construction is not the training step
    trainer.train()
    for h in hooks:
        h.remove()
    assert seen["autocast"] and all(seen["autocast"]), seen["autocast"]   # the backbone the fused LM head calls
    assert set(seen["mlp"]) == {torch.bfloat16}, set(seen["mlp"])
    assert {p.dtype for p in trainer.model.parameters()} == {torch.float32}
