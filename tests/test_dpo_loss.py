"""Weighted DPO: the pure loss without a model, then the trainer against TRL's own DPOTrainer."""
import copy

import pytest
import torch
import torch.nn.functional as F

from harness.training.dpo import WeightedDPOTrainer, weighted_dpo_loss


def _batch(seed=0, b=6):
    g = torch.Generator().manual_seed(seed)
    return [-(torch.rand(b, generator=g) * 50 + 5) for _ in range(4)]


def test_unit_weights_equal_trl_sigmoid_formula():
    pc, pr, rc, rr = _batch()
    beta = 0.1
    loss, cr, rj = weighted_dpo_loss(pc, pr, rc, rr, torch.ones(6), beta)
    trl = (-F.logsigmoid(beta * ((pc - rc) - (pr - rr)))).mean()  # trl 1.16 `sigmoid` branch, f=reverse_kl
    assert torch.allclose(loss, trl, atol=1e-6)
    assert torch.allclose(cr, beta * (pc - rc)) and torch.allclose(rj, beta * (pr - rr))


def test_weights_match_hand_computation():
    pc = torch.tensor([-10.0, -20.0, -5.0])
    pr = torch.tensor([-12.0, -18.0, -9.0])
    rc = torch.tensor([-11.0, -19.0, -6.0])
    rr = torch.tensor([-11.0, -19.0, -6.0])
    w = torch.tensor([2.0, 0.0, 1.0])
    beta = 0.5
    import math
    hand = (2 * -math.log(1 / (1 + math.exp(-0.5 * (1 - (-1))))) + 0 + 1 * -math.log(1 / (1 + math.exp(-0.5 * (1 - (-3)))))) / 3
    loss, _, _ = weighted_dpo_loss(pc, pr, rc, rr, w, beta)
    assert abs(loss.item() - hand) < 1e-6


def test_loss_gradient_vanishes_for_zero_weight():
    pc, pr, rc, rr = _batch(1, 3)
    pc.requires_grad_(True)
    loss, _, _ = weighted_dpo_loss(pc, pr, rc, rr, torch.tensor([1.0, 0.0, 1.0]), 0.1)
    loss.backward()
    assert pc.grad[1] == 0 and pc.grad[0] != 0


def _pairs(n=4, weights=None):
    from datasets import Dataset
    rows = [{"prompt": f"Question: Tom has {i + 3} apples and buys 2 more. How many?\nAnswer:",
             "chosen": f" He has {i + 3} + 2 = {i + 5} apples.\nThe answer is: {i + 5}",
             "rejected": f" He has {i + 3} + 2 = {i + 6} apples.\nThe answer is: {i + 6}"} for i in range(n)]
    if weights is not None:
        for r, w in zip(rows, weights):
            r["weight"] = w
    return Dataset.from_list(rows)


def _trainer(cls, micro_model, tmp_path, data, precompute, loss_type=("sigmoid",)):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig
    tok = AutoTokenizer.from_pretrained(micro_model)
    model = AutoModelForCausalLM.from_pretrained(micro_model)
    ref = None if precompute else copy.deepcopy(model)
    args = DPOConfig(output_dir=str(tmp_path / cls.__name__), per_device_train_batch_size=len(data), max_steps=1,
                     report_to=[], use_cpu=True, bf16=False, gradient_checkpointing=False, beta=0.1,
                     loss_type=list(loss_type), precompute_ref_log_probs=precompute, disable_tqdm=True, seed=0)
    return cls(model=model, ref_model=ref, args=args, train_dataset=data, processing_class=tok)


def _loss_on_first_batch(trainer):
    ds = trainer.train_dataset
    batch = trainer.data_collator([ds[i] for i in range(len(ds))])
    trainer.model.eval()
    with torch.no_grad():
        return trainer.compute_loss(trainer.model, batch).item()


@pytest.mark.parametrize("precompute", [True, False])
def test_trainer_with_unit_weights_equals_trl_dpo(micro_model, tmp_path, precompute):
    from trl import DPOTrainer
    trl_loss = _loss_on_first_batch(_trainer(DPOTrainer, micro_model, tmp_path, _pairs(), precompute))
    ours = _loss_on_first_batch(_trainer(WeightedDPOTrainer, micro_model, tmp_path, _pairs(weights=[1.0] * 4), precompute))
    assert abs(trl_loss - ours) < 1e-6, (trl_loss, ours)


def test_trainer_weights_are_linear_per_pair(micro_model, tmp_path):
    per_pair = []
    for i in range(4):
        w = [0.0] * 4
        w[i] = 4.0  # batch mean of a one-hot of 4 -> exactly pair i's loss
        per_pair.append(_loss_on_first_batch(_trainer(WeightedDPOTrainer, micro_model, tmp_path, _pairs(weights=w), True)))
    w = [2.0, 0.0, 1.5, 0.5]
    got = _loss_on_first_batch(_trainer(WeightedDPOTrainer, micro_model, tmp_path, _pairs(weights=w), True))
    assert abs(got - sum(wi * li for wi, li in zip(w, per_pair)) / 4) < 1e-6


def test_rpo_adds_the_sft_term(micro_model, tmp_path):
    dpo = _loss_on_first_batch(_trainer(WeightedDPOTrainer, micro_model, tmp_path, _pairs(weights=[1.0] * 4), True))
    rpo = _loss_on_first_batch(_trainer(WeightedDPOTrainer, micro_model, tmp_path, _pairs(weights=[1.0] * 4), True,
                                        ("sigmoid", "sft")))
    assert rpo > dpo + 1.0  # an untrained model's NLL per token is large


def test_unsupported_loss_is_rejected(micro_model, tmp_path):
    with pytest.raises(ValueError, match="supports loss_type"):
        _trainer(WeightedDPOTrainer, micro_model, tmp_path, _pairs(weights=[1.0] * 4), True, ("ipo",))


def _cached_trainer(micro_model, tmp_path, cache, loss_type=("sigmoid",), weights=None):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig
    tok = AutoTokenizer.from_pretrained(micro_model)
    args = DPOConfig(output_dir=str(tmp_path / "cached"), per_device_train_batch_size=4, max_steps=1, report_to=[],
                     use_cpu=True, bf16=False, beta=0.1, loss_type=list(loss_type), precompute_ref_log_probs=True,
                     disable_tqdm=True, seed=0)
    return WeightedDPOTrainer(model=AutoModelForCausalLM.from_pretrained(micro_model), ref_model=None, args=args,
                              train_dataset=_pairs(weights=weights or [1.0] * 4), processing_class=tok, ref_cache=cache)


def test_reference_log_probs_are_cached_by_content(micro_model, tmp_path):
    """Two recipes on the same pairs from the same model compute the reference once (the weights differ: they do not
    enter the reference), and the cached values are TRL's own."""
    cache = tmp_path / "ref_logps"
    first = _cached_trainer(micro_model, tmp_path, cache)
    files = list(cache.glob("*.pt"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    second = _cached_trainer(micro_model, tmp_path, cache, weights=[0.5, 1.5, 1.0, 1.0])
    assert [f.stat().st_mtime_ns for f in cache.glob("*.pt")] == [stamp]  # read, not recomputed
    uncached = _cached_trainer(micro_model, tmp_path, None)
    for col in ("ref_chosen_logps", "ref_rejected_logps"):
        want = uncached.train_dataset[col]
        assert first.train_dataset[col] == pytest.approx(want, abs=1e-6)
        assert second.train_dataset[col] == pytest.approx(want, abs=1e-6)
        assert all(v < 0 for v in want)


def test_sft_only_loss_runs_only_the_chosen_rows(micro_model, tmp_path):
    """rft's forward takes the chosen half of the batch; its loss is the chosen side's NLL of the full forward."""
    from harness.training.dpo import chosen_half
    trainer = _cached_trainer(micro_model, tmp_path, None, loss_type=("sft",))
    ds = trainer.train_dataset
    batch = trainer.data_collator([ds[i] for i in range(len(ds))])
    mask = batch["completion_mask"]
    with torch.no_grad():
        trainer.model.eval()
        full = trainer.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False,
                             labels=batch["input_ids"].masked_fill(mask == 0, -100), fused_lm_head=True)
    shift = mask[..., 1:]
    tok = full.log_probs[:, -shift.size(1):]
    want = -tok[: len(tok) // 2][shift[: len(tok) // 2].bool()].mean().item()
    assert _loss_on_first_batch(trainer) == pytest.approx(want, abs=1e-5)
    kwargs, cm, sm = chosen_half({"input_ids": batch["input_ids"], "use_cache": False}, mask, shift)
    assert kwargs["input_ids"].shape[0] == batch["input_ids"].shape[0] // 2 and kwargs["use_cache"] is False
    assert cm.shape[0] == sm.shape[0] == mask.shape[0] // 2


def test_sft_only_loss_needs_no_reference(micro_model, tmp_path):
    """rft's loss (the chosen side's NLL) never reads the reference: nothing is computed or cached for it."""
    cache = tmp_path / "ref_logps"
    trainer = _cached_trainer(micro_model, tmp_path, cache, loss_type=("sft",))
    assert not cache.exists() or not list(cache.glob("*.pt"))
    assert set(trainer.train_dataset["ref_chosen_logps"]) == {0.0}
    assert _loss_on_first_batch(trainer) > 0
