"""The cost of a recipe (harness/runtime/cost.py): the FLOP formula on a known shape, token counts of real training
runs against counts made by hand through the real tokenizer, the sampler's counts, and the report's cost table."""
import json

import pytest

from harness.config import load_config
from harness.runtime import cost

# the micro model of tests/conftest.py: Qwen2, d 64, 2 layers, 4 heads of 16, 2 KV heads, MLP 128 (gated)
MICRO_N = 2 * ((64 * 64) + 2 * (64 * 32) + (64 * 64) + 3 * 64 * 128)  # q, k+v, o, gate/up/down per layer = 73,728


def test_shape_of_the_micro_model(micro_model):
    s = cost.model_shape(micro_model)
    assert s["n_params_non_embedding"] == MICRO_N == 73_728
    assert (s["layers"], s["hidden"], s["attention_width"], s["kv_heads"], s["mlp_gated"]) == (2, 64, 64, 2, True)
    assert s["lm_head_params"] == 0 and s["embedding_params"] == s["vocab"] * 64  # tied embeddings


def test_shape_of_qwen25_15b_config(tmp_path):
    """Qwen2.5-1.5B's published config: 1.31B non-embedding parameters (the model card's figure)."""
    (tmp_path / "config.json").write_text(json.dumps({
        "model_type": "qwen2", "hidden_size": 1536, "num_hidden_layers": 28, "num_attention_heads": 12,
        "num_key_value_heads": 2, "intermediate_size": 8960, "vocab_size": 151936, "tie_word_embeddings": True}))
    s = cost.model_shape(tmp_path)
    assert round(s["n_params_non_embedding"] / 1e9, 2) == 1.31
    # a GPT-2 style config: non-gated MLP, its own key names
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12,
                                                      "vocab_size": 50257}))
    assert cost.model_shape(tmp_path)["n_params_non_embedding"] == 12 * (4 * 768 * 768 + 2 * 768 * 3072)  # 85M


def test_formula_on_a_known_shape():
    shape = {"n_params_non_embedding": 1000, "layers": 2, "attention_width": 8}
    seqs = cost.count_sequences([3, 5])  # attended: 1+2+3 + 1+2+3+4+5 = 21
    assert seqs == {"sequences": 2, "tokens": 8, "attended": 21}
    assert cost.forward_flops(shape, 8, 21) == 2 * 1000 * 8 + 2 * 2 * 8 * 21
    assert cost.training_flops(shape, 8, 21) == 3 * (2 * 1000 * 8 + 2 * 2 * 8 * 21)
    # generation: a 4-token prompt and 3 generated tokens attend as one 7-token forward does
    g = cost.count_generation([4], [3])
    assert g["prompt"]["attended"] + g["generated"]["attended"] == cost.count_sequences([7])["attended"]
    rec = cost.generation_cost(shape, {"counts": g, "greedy": {"counts": g}}, verifier_calls=2)
    assert (rec["prompt_tokens"], rec["generated_tokens"], rec["verifier_calls"]) == (8, 6, 2)
    assert rec["flops"] == 2 * cost.forward_flops(shape, 7, 28)
    t = cost.training_cost(shape, {"trained": seqs, "reference": seqs, "reference_reused": seqs})
    assert t["flops"] == cost.training_flops(shape, 8, 21) + cost.forward_flops(shape, 8, 21)
    assert t["reused"] == {"reference_tokens": 8, "flops": cost.forward_flops(shape, 8, 21)}
    assert cost.without_reused(t)["flops"] == cost.training_flops(shape, 8, 21)
    both = cost.combine(cost.finish(rec, 1.5, "cpu"), cost.finish(t, 2.0, "cpu"), None)
    assert (both["seconds"], both["device"], both["trained_tokens"], both["reused"]["reference_tokens"]) == \
        (3.5, "cpu", 8, 8)
    assert set(cost.COST_FIELDS) <= set(both)


ROWS = [("Question: What is 2 + 3?\nAnswer:", " 2 + 3 = 5. The answer is 5.", " 2 + 3 = 6. The answer is 6."),
        ("Question: Tom has 4 apples and eats 1. How many are left?\nAnswer:", " 4 - 1 = 3. The answer is 3.",
         " 4 - 1 = 5. The answer is 5."),
        ("Question: What is 7 times 2?\nAnswer:", " 7 * 2 = 14. The answer is 14.", " 7 * 2 = 12. So 12."),
        ("Question: Ann has 9 pens and gives away 4. How many does she keep?\nAnswer:", " 9 - 4 = 5. The answer is 5.",
         " 9 - 4 = 13. The answer is 13.")]


def _by_hand(tok, texts: list[str]) -> dict:
    """Counts of sequences as TRL builds them: prompt + completion + the EOS token, tokenized whole."""
    lengths = [len(tok(t + tok.eos_token)["input_ids"]) for t in texts]
    return {"sequences": len(lengths), "tokens": sum(lengths), "attended": sum(n * (n + 1) // 2 for n in lengths)}


@pytest.mark.slow
def test_dpo_and_rft_cost_equals_the_count_by_hand(micro_model, tmp_path):
    """4 pairs, batch 2, 2 steps: every pair trained once. DPO trains prompt+chosen and prompt+rejected and runs
    each once through the reference (precomputed); rft trains the chosen side only and reads no reference; a second
    DPO on the same pairs reads the reference from the cache (reused)."""
    from transformers import AutoTokenizer

    from harness.registry import get_recipe
    from harness.training.dpo import train_dpo
    cfg = load_config(None, ["device=cpu", "dpo.max_steps=2", "dpo.batch_size=2", "dpo.grad_accum=1",
                             "dpo.logging_steps=1", "dpo.learning_rate=1e-4", "dpo.warmup_steps=0"])
    tok = AutoTokenizer.from_pretrained(micro_model)
    rows = [{"prompt": p, "chosen": c, "rejected": r, "weight": 1.0} for p, c, r in ROWS]
    chosen = _by_hand(tok, [p + c for p, c, _ in ROWS])
    pairs = cost.add_counts(chosen, _by_hand(tok, [p + r for p, _, r in ROWS]))
    assert max(len(tok(p + c + tok.eos_token)["input_ids"]) for p, c, _ in ROWS) < cfg.dpo.max_length  # no truncation

    cache = tmp_path / "ref_cache"
    dpo = train_dpo(cfg, rows, str(micro_model), tmp_path / "dpo", tmp_path / "w1", get_recipe("dpo"), ref_cache=cache)
    assert dpo.tokens["trained"] == pairs
    assert dpo.tokens["reference"] == pairs and dpo.tokens["reference_reused"]["tokens"] == 0
    assert any("loss" in h for h in dpo)  # still the log history

    rft = train_dpo(cfg, rows, str(micro_model), tmp_path / "rft", tmp_path / "w2", get_recipe("rft"), ref_cache=cache)
    assert rft.tokens["trained"] == chosen and rft.tokens["reference"]["tokens"] == 0

    again = train_dpo(cfg, rows, str(micro_model), tmp_path / "dpo2", tmp_path / "w3", get_recipe("dpo"),
                      ref_cache=cache)
    assert again.tokens["reference"] == pairs == again.tokens["reference_reused"]

    shape = cost.model_shape(micro_model)
    rec = cost.training_cost(shape, dpo.tokens)
    d_attn, layers = 64, 2
    expected = (6 * MICRO_N * pairs["tokens"] + 6 * layers * d_attn * pairs["attended"]     # policy, fwd + bwd
                + 2 * MICRO_N * pairs["tokens"] + 2 * layers * d_attn * pairs["attended"])  # reference, forward
    assert rec["flops"] == expected
    assert (rec["trained_tokens"], rec["reference_tokens"], rec["generated_tokens"]) == (pairs["tokens"],) * 2 + (0,)
    reused = cost.training_cost(shape, again.tokens)
    assert reused["flops"] == expected and cost.without_reused(reused)["flops"] == 6 * MICRO_N * pairs["tokens"] \
        + 6 * layers * d_attn * pairs["attended"]


@pytest.mark.slow
def test_sft_counts_its_trained_tokens_and_survives_a_resume(micro_model, tmp_path):
    """SFT's trained tokens are the rows it trained on, prompt and completion (+ EOS); a run killed after a checkpoint
    and resumed reports the whole training."""
    from transformers import AutoTokenizer

    from harness.runtime.cost import TokenCounter
    from harness.training.sft import train_sft
    tok = AutoTokenizer.from_pretrained(micro_model)
    rows = [{"prompt": p, "completion": c} for p, c, _ in ROWS]
    by_hand = _by_hand(tok, [p + c for p, c, _ in ROWS])
    over = ["device=cpu", "sft.max_steps=2", "sft.batch_size=2", "sft.logging_steps=1", "sft.warmup_steps=0"]
    log = train_sft(load_config(None, over), rows, str(micro_model), tmp_path / "m", tmp_path / "w")
    assert log.tokens["trained"] == by_hand

    # resumption: a checkpoint at step 2 of 4 holding the first two steps' counts, as the callback writes them
    work = tmp_path / "w2"
    first = train_sft(load_config(None, [*over, "sft.max_steps=4"]), rows, str(micro_model), tmp_path / "m2", work)
    assert first.tokens["trained"]["tokens"] == 2 * by_hand["tokens"]  # two epochs of the four rows
    from transformers import TrainerCallback

    class Kill(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == 2:
                control.should_save, control.should_training_stop = True, True
            return control
    work3 = tmp_path / "w3"
    train_sft(load_config(None, [*over, "sft.max_steps=4"]), rows, str(micro_model), tmp_path / "m3", work3,
              callbacks=[Kill()])
    ckpt = work3 / "checkpoint-2"
    saved = TokenCounter()
    assert saved.load(ckpt) and saved.get("trained")["tokens"] == by_hand["tokens"]
    (tmp_path / "m3").rename(tmp_path / "m3-killed")
    resumed = train_sft(load_config(None, [*over, "sft.max_steps=4"]), rows, str(micro_model), tmp_path / "m3", work3)
    assert resumed.tokens["trained"] == first.tokens["trained"]


def test_sampler_counts_prompt_and_generated_tokens(micro_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.models.sampling import generate_samples
    cfg = load_config(None, ["sampling.k=2", "sampling.max_new_tokens=12", "sampling.batch_size=3"])
    tok = AutoTokenizer.from_pretrained(micro_model)
    model = AutoModelForCausalLM.from_pretrained(micro_model).eval()
    problems = [{"id": str(i), "question": p.split("\n")[0][len("Question: "):]} for i, (p, _, _) in enumerate(ROWS)]
    tpl = cfg.data.prompt_template
    recs, stats = generate_samples(model, tok, problems, tpl, cfg.sampling, 0, "cpu")
    c = stats["counts"]
    prompts = [len(tok(tpl.format(question=p["question"]))["input_ids"]) for p in problems]
    assert c["prompt"] == cost.count_sequences([n for n in prompts for _ in range(2)])
    assert c["generated"]["sequences"] == 8 and c["generated"]["tokens"] == stats["tokens"]
    assert 0 < stats["tokens"] <= 8 * 12
