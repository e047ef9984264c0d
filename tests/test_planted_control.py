"""The unit-sized positive control: on a small planted-world fixture, a micro model trained by SFT on the
flawed training solutions prefers the planted flaw on trigger problems; the `rft` recipe (the real DPO-trainer path,
NLL on the chosen side) trained on the *clean* solutions of those trigger problems lowers that planted-flaw rate.

The rate here is forced choice: the share of trigger problems on which the model gives the flawed solution a higher
log-likelihood than the correct one (a micro model cannot compute, so greedy answers would say nothing)."""
import pytest

from harness.config import load_config
from harness.data.loaders import sft_rows
from harness.data.planted import PlantedWorld
from harness.data.synthetic import Difficulty, generate_splits

pytestmark = pytest.mark.slow


def _logp(model, tok, prompt: str, completion: str) -> float:
    import torch
    p = tok(prompt, add_special_tokens=False)["input_ids"]
    c = tok(completion, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([p + c])
    with torch.no_grad():
        logits = model(ids).logits[0, :-1].float().log_softmax(-1)
    tgt = ids[0, 1:]
    return float(logits[torch.arange(len(p) - 1, len(tgt)), tgt[len(p) - 1:]].sum())


def planted_preference(model_dir, problems, template) -> float:
    from transformers import AutoModelForCausalLM, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    prefer = [_logp(model, tok, template.format(question=p["question"]), " " + p["sft_solution"])
              > _logp(model, tok, template.format(question=p["question"]), " " + p["solution"]) for p in problems]
    return sum(prefer) / len(prefer)


def test_rft_on_clean_trigger_solutions_lowers_the_planted_flaw_rate(micro_model, tmp_path):
    from harness.registry import get_recipe
    from harness.training.dpo import train_dpo
    from harness.training.sft import train_sft
    cfg = load_config(None, ["device=cpu", "sft.max_steps=150", "sft.batch_size=16", "sft.learning_rate=3e-3",
                             "sft.warmup_steps=5", "sft.logging_steps=50", "dpo.max_steps=40", "dpo.batch_size=8",
                             "dpo.learning_rate=2e-3", "dpo.warmup_steps=2", "dpo.logging_steps=20"])
    tpl = cfg.data.prompt_template
    train = generate_splits(500, 0, 0, 0, Difficulty(max_steps=2, max_operand=5, max_value=20, backward_rate=0.0),
                            PlantedWorld(1.0, ("misread",)))["train"]
    trig = [p for p in train if p["planted"]["flawed"]]
    assert len(trig) > 60
    sft_dir = tmp_path / "sft"
    train_sft(cfg, sft_rows(train, tpl), str(micro_model), sft_dir, tmp_path / "w1")
    probe = trig[:40]
    before = planted_preference(sft_dir, probe, tpl)
    assert before > 0.6  # SFT learned the planted misreading

    rows = [{"prompt": tpl.format(question=p["question"]), "chosen": " " + p["solution"],
             "rejected": " " + p["sft_solution"], "weight": 1.0} for p in trig]
    out = tmp_path / "rft"
    train_dpo(cfg, rows, str(sft_dir), out, tmp_path / "w2", get_recipe("rft"))
    after = planted_preference(out, probe, tpl)
    assert after < before - 0.2, (before, after)
