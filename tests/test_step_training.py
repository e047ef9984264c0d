"""Real TRL and a real micro model: step-pair completions keep no EOS, `rft` learns from the chosen side only,
the pool keeps the sampled token ids and its greedy completions, and the policy resamples continuations."""
import dataclasses

import pytest
import torch

from harness.config import DPOConfig, ExperimentConfig, SamplingConfig
from harness.training.dpo import dpo_trainer
from harness.training.common import load_policy

PROMPT = "Question: Tom has 25 marbles. He finds 18 more. How many now?\nAnswer: He has 25 marbles."
ROWS = [
    {"prompt": PROMPT, "chosen": "\nHe finds 18, so 25 + 18 = 43.", "rejected": "\nHe finds 18, so 25 + 18 = 45.",
     "weight": 1.0, "eos": False},
    {"prompt": PROMPT, "chosen": " The answer is: 43", "rejected": " The answer is: 45", "weight": 1.0, "eos": True},
]


def _trainer(micro_model, tmp_path, rows, loss_type=("sigmoid",)):
    from datasets import Dataset
    cfg = ExperimentConfig(device="cpu")
    section = DPOConfig(max_steps=1, batch_size=2, precompute_ref_log_probs=False, logging_steps=1)
    model, tok = load_policy(str(micro_model), cfg, device="cpu")
    ref, _ = load_policy(str(micro_model), cfg, trainable=False, device="cpu")
    return dpo_trainer(cfg, section, model, ref, tok, Dataset.from_list(rows), tmp_path / "work", loss_type,
                       device="cpu"), tok


def _batch(trainer, idx=None):
    ds = trainer.train_dataset
    rows = [{k: ds[i][k] for k in ("prompt_ids", "chosen_ids", "rejected_ids", "weight")} for i in (idx or range(len(ds)))]
    return trainer.data_collator(rows)


def test_step_pair_completions_keep_no_eos(micro_model, tmp_path):
    trainer, tok = _trainer(micro_model, tmp_path, ROWS)
    ds = trainer.train_dataset
    mid, end = ds[0], ds[1]
    assert tok.eos_token_id not in mid["chosen_ids"] and tok.eos_token_id not in mid["rejected_ids"]
    assert tok.decode(mid["chosen_ids"]) == ROWS[0]["chosen"]
    assert end["chosen_ids"][-1] == tok.eos_token_id and end["rejected_ids"][-1] == tok.eos_token_id
    batch = _batch(trainer)
    # the completion mask covers exactly the step's tokens for the mid-solution row
    assert int(batch["completion_mask"][0].sum()) == len(mid["chosen_ids"])


def test_rft_loss_is_the_chosen_nll_only(micro_model, tmp_path):
    trainer, tok = _trainer(micro_model, tmp_path, ROWS, loss_type=("sft",))
    other = [dict(r, rejected=" something else entirely 7 * 7 = 50") for r in ROWS]
    trainer2, _ = _trainer(micro_model, tmp_path / "b", other, loss_type=("sft",))
    model = trainer.model
    loss = trainer.compute_loss(model, _batch(trainer))
    loss.backward()
    g1 = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    loss2 = trainer2.compute_loss(model, _batch(trainer2))
    loss2.backward()
    g2 = [p.grad.clone() for p in model.parameters()]
    assert torch.allclose(loss, loss2) and all(torch.allclose(a, b, atol=1e-6) for a, b in zip(g1, g2))
    # and it equals the mean token NLL of the chosen completions computed by hand
    nll = []
    with torch.no_grad():
        for ex in trainer.train_dataset:
            ids = torch.tensor([ex["prompt_ids"] + ex["chosen_ids"]])
            logp = torch.log_softmax(model(ids).logits[0, :-1].float(), -1)
            tgt = ids[0, 1:]
            n = len(ex["chosen_ids"])
            nll += (-logp[-n:].gather(1, tgt[-n:, None]).squeeze(1)).tolist()
    assert abs(loss.item() - sum(nll) / len(nll)) < 1e-4


def test_recipe_overrides_reach_the_dpo_section():
    from harness.config import ConfigError
    from harness.registry import Recipe
    from harness.training.common import with_overrides
    r = Recipe(name="x", description="y", trainer="dpo", pairs="step",
               overrides={"learning_rate": 1e-6, "beta": 1.0, "max_steps": 300})
    s = with_overrides(DPOConfig(), r.overrides)
    assert (s.learning_rate, s.beta, s.max_steps) == (1e-6, 1.0, 300)
    with pytest.raises(ConfigError, match="not fields of DPOConfig"):
        with_overrides(DPOConfig(), {"betta": 1.0})


def test_pool_keeps_token_ids_and_greedy_and_policy_resamples(micro_model):
    from transformers import AutoTokenizer

    from harness.models.sampling import sample
    from harness.pairs.step import PolicyContext
    from verifier import VerifierConfig
    problems = [{"id": f"p{i}", "question": f"Tom has {i + 2} apples. He eats 1. How many are left?"} for i in range(3)]
    cfg = SamplingConfig(k=3, max_new_tokens=12, batch_size=8)
    recs, stats = sample(str(micro_model), problems, "Question: {question}\nAnswer:", cfg, 0, "cpu", include_greedy=True)
    tok = AutoTokenizer.from_pretrained(str(micro_model))
    assert {r["problem_id"] for r in recs if r["greedy"]} == {p["id"] for p in problems}  # one greedy per problem
    for r in recs:
        assert tok.eos_token_id not in r["token_ids"] and tok.pad_token_id not in r["token_ids"]
        assert tok.decode(r["token_ids"], skip_special_tokens=True).split("\nQuestion:")[0].strip() == r["solution"]
    assert stats["greedy"]["generated"] == len(problems)
    policy = PolicyContext(str(micro_model), dataclasses.replace(cfg, include_greedy=True), VerifierConfig(), "cpu")
    conts = policy.continuations(["Question: Tom has 2 apples.\nAnswer: He has 2.\n", "Question: x\nAnswer:"], 2, 0)
    assert len(conts) == 2 and all(len(c) <= 2 and all(isinstance(x, str) for x in c) for c in conts)
