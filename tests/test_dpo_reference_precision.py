"""Precomputed reference log-probs are computed at the training precision, so the implicit rewards are zero at step 0.

TRL's `compute_ref_log_probs` runs the reference forward under `accelerator.autocast()`, and accelerate wraps the
training forward in that same context: with bf16 on, both passes are bf16 autocast over the same fp32 weights (CPU
autocast stands in for CUDA's; accelerate opens the same `torch.autocast` with the device's type). Here the first
training batch holds the very rows the precompute batched together, at the same padded length, so both passes run the
same kernels on the same inputs.

Tolerances. fp32: 1e-6, below one fp32 ulp of a sum of this size (|logp| ~ 300-850 nats: ulp 3e-5 to 6e-5), so in
effect the two passes must agree bit for bit, and they do. bf16: 8 fp32 ulps of the sum (2**-20 relative). Not one
bf16 ulp (2**-8 relative, ~3 nats here): the defect this guards against, an fp32 reference under a bf16 policy, moves
the sums by only ~1e-5 relative on this model (~0.014 nats), far inside bf16 rounding; a bf16 bound would pass it.
Identical autocast passes share every bf16 rounding; what may still differ is fp32 accumulation order (a row at
another position in the shuffled batch), a few fp32 ulps. `test_reference_cache_never_mixes_precisions` checks that
an fp32 reference would break this bf16 tolerance more than tenfold.
"""
import math

import pytest
import torch

FP32_TOL = 1e-6
BF16_REL_TOL = 2 ** -20


def _pairs(n=8):
    from harness.data.synthetic import Difficulty, generate_splits
    return [{"prompt": f"Question: {r['question']}\nAnswer:", "chosen": " " + r["solution"],
             "rejected": " " + r["solution"][::-1], "weight": 1.0}
            for r in generate_splits(n, 0, 0, 1, Difficulty())["train"]]


def _autocast_now(kind="cpu"):
    return torch.get_autocast_dtype(kind) if torch.is_autocast_enabled(kind) else torch.float32


def _trainer(micro_model, tmp_path, dtype, name, ref_cache=None):
    """The project's DPO trainer (precomputed reference, dataset = one batch) and the autocast dtype of every backbone
    forward its construction ran: the reference precompute."""
    from datasets import Dataset

    from harness.config import load_config
    from harness.training.common import load_policy
    from harness.training.dpo import dpo_trainer
    cfg = load_config("tiny", [f"run_dir={tmp_path}", "device=cpu", f"model.dtype={dtype}", "dpo.batch_size=8",
                               "dpo.precompute_ref_log_probs=true"])
    model, tok = load_policy(str(micro_model), cfg, device="cpu")
    seen = []
    hook = model.model.register_forward_pre_hook(lambda m, a: seen.append(_autocast_now()))
    trainer = dpo_trainer(cfg, cfg.dpo, model, None, tok, Dataset.from_list(_pairs()), tmp_path / name, device="cpu",
                          save_strategy="no", max_steps=1, ref_cache=ref_cache)
    hook.remove()
    return trainer, seen


def _step0(trainer):
    """The first training batch through the model as `train` prepares it and the trainer's own loss, no optimizer step:
    per-row policy log-probs (chosen, rejected), the batch, the loss and the autocast dtypes the policy forward ran."""
    model = trainer.accelerator.prepare_model(trainer.model)  # what `train` does: the bf16 autocast wrapper, if any
    model.train()
    captured, seen = [], []
    hooks = [model.register_forward_hook(lambda m, a, kw, out: captured.append(out.log_probs), with_kwargs=True),
             model.model.register_forward_pre_hook(lambda m, a: seen.append(_autocast_now()))]
    batch = next(iter(trainer.get_train_dataloader()))
    with torch.no_grad(), trainer.compute_loss_context_manager():
        loss = trainer.compute_loss(model, batch)
    for h in hooks:
        h.remove()
    assert len(captured) == 1  # the policy forward alone: the reference comes precomputed in the batch
    shift = batch["completion_mask"][..., 1:]
    chosen, rejected = captured[0][:, -shift.size(1):].sum(dim=1).chunk(2)  # as `_compute_loss` sums them
    return chosen, rejected, batch, loss.item(), set(seen)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_step0_margins_are_zero_at_the_training_precision(micro_model, tmp_path, dtype):
    from harness.training.dpo import reference_precision
    trainer, precompute_seen = _trainer(micro_model, tmp_path, dtype, "w")
    want = torch.bfloat16 if dtype == "bfloat16" else torch.float32
    assert trainer.args.bf16 == (dtype == "bfloat16")
    assert precompute_seen and set(precompute_seen) == {want}
    assert reference_precision(trainer.accelerator) == dtype
    chosen, rejected, batch, loss, step_seen = _step0(trainer)
    assert step_seen == {want}  # the training forward ran under the same autocast as the precompute
    assert len(chosen) == len(_pairs())  # every row of the precompute batch, in shuffled order
    for policy, ref in ((chosen, batch["ref_chosen_logps"]), (rejected, batch["ref_rejected_logps"])):
        assert policy.dtype == ref.dtype == torch.float32
        assert (ref < -10).all()  # real sums of log-probs, not placeholders
        tol = FP32_TOL if dtype == "float32" else BF16_REL_TOL * ref.abs()
        margin = (policy - ref).abs()
        assert (margin <= tol).all(), margin.max().item()
    # zero implicit rewards: every pair's loss is -log sigmoid(0) = log 2
    assert loss == pytest.approx(math.log(2), abs=1e-6)


def test_reference_cache_never_mixes_precisions(micro_model, tmp_path, monkeypatch):
    """One cache folder, one model, one pair set: fp32 and bf16 references go to two files. The precision in the key is
    the autocast the reference really runs under: `accelerate launch` with `mixed_precision: bf16` over an fp32 config
    (args.bf16 False, bf16 autocast through the environment) reads the bf16 file, not the fp32 one."""
    from harness.training.dpo import reference_precision
    cache = tmp_path / "ref_logps"
    cols = ("ref_chosen_logps", "ref_rejected_logps")
    fp32, seen = _trainer(micro_model, tmp_path, "float32", "a", cache)
    assert seen and len(list(cache.glob("*.pt"))) == 1
    bf16, seen = _trainer(micro_model, tmp_path, "bfloat16", "b", cache)
    assert seen and len(list(cache.glob("*.pt"))) == 2  # computed, not read from the fp32 file

    ref32 = torch.tensor([fp32.train_dataset[c] for c in cols])
    ref16 = torch.tensor([bf16.train_dataset[c] for c in cols])
    # an fp32 reference under a bf16 policy would break the bf16 margin tolerance above, by more than tenfold
    assert ((ref32 - ref16).abs() / (BF16_REL_TOL * ref16.abs())).max() > 10

    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "bf16")
    launched, seen = _trainer(micro_model, tmp_path, "float32", "c", cache)
    assert not launched.args.bf16 and reference_precision(launched.accelerator) == "bfloat16"
    assert not seen and len(list(cache.glob("*.pt"))) == 2  # served from the bf16 file
    assert torch.equal(torch.tensor([launched.train_dataset[c] for c in cols]), ref16)
