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


# ---- the report ---------------------------------------------------------------------------------------------------
def _stage(key: str, flops: float, seconds: float, **counts) -> dict:
    rec = cost.finish({**cost.empty(), **counts, "flops": flops}, seconds, "cpu (2 threads)")
    return {"key": key, **rec}


POOL = _stage("pool-a", 4e12, 30.0, generated_tokens=100_000, prompt_tokens=40_000, verifier_calls=1536)
ROWS_HARD = _stage("pairrows-h", 0.0, 1.0)
COSTS = {
    "sft": {"eval": _stage("eval-sft", 1e12, 20.0, generated_tokens=50_000, verifier_calls=1000)},
    "sft_more": {"sftmore": _stage("sftmore-a", 9e12, 40.0, trained_tokens=300_000),
                 "eval": _stage("eval-more", 1e12, 20.0)},
    "dpo": {"pool": POOL, "pairrows": ROWS_HARD, "pairs": _stage("pairs-hu", 0.0, 0.5),
            "dpo": _stage("dpo-a", 20e12, 58.0, trained_tokens=600_000, reference_tokens=600_000),
            "eval": _stage("eval-dpo", 1e12, 20.0)},
    "rft": {"pool": POOL, "pairrows": ROWS_HARD, "pairs": _stage("pairs-hu", 0.0, 0.5),
            "dpo": _stage("dpo-rft", 9e12, 25.0, trained_tokens=300_000), "eval": _stage("eval-rft", 1e12, 20.0)},
    "hn_w_dpo": {"pool": POOL, "pairrows": ROWS_HARD, "pairs": _stage("pairs-hv", 0.0, 0.5),
                 "dpo": {**_stage("dpo-hn", 20e12, 45.0, trained_tokens=600_000, reference_tokens=600_000),
                         "reused": {"reference_tokens": 600_000, "flops": 2e12}},
                 "eval": _stage("eval-hn", 1e12, 20.0)},
}


def _run_dir_with_costs(tmp_path) -> dict:
    """An index of five recipes (one seed; dpo with two) whose entries carry costs as `harness compare` records them,
    assembled into results.json by the real `assemble`."""
    from harness.reporting.results import assemble, entry_name
    from harness.runtime.io import write_json_atomic

    from .test_results import N, _write_run
    base = [i % 2 == 0 for i in range(N)]
    correct = {"sft": base, "sft_more": base, "dpo": [b and i % 20 != 0 for i, b in enumerate(base)],
               "rft": [b or i % 10 == 1 for i, b in enumerate(base)], "hn_w_dpo": [b or i % 5 == 1 for i, b in enumerate(base)]}
    (tmp_path / "index").mkdir()
    for name, stages in COSTS.items():
        for seed in ((0, 1) if name == "dpo" else (0,)):
            e = _write_run(tmp_path, name, seed, 0, correct[name], stages["eval"]["key"])
            e["cost"] = stages
            if seed == 1:  # the second seed's training cost twice as much (its own stage)
                e["cost"] = {**stages, "dpo": {**stages["dpo"], "key": "dpo-a1", "flops": 40e12, "seconds": 62.0}}
            write_json_atomic(tmp_path / "index" / entry_name(name, seed, 0), e)
    cfg = load_config(None, [f"run_dir={tmp_path}", "eval.tasks=[hardneg_synth]", "eval.optional_tasks=[]"])
    return assemble(tmp_path, cfg, {"git_revision": "g", "libraries": {}, "created": "c", "stages": {}}, {})


def test_recipe_totals_from_sfts_end(tmp_path):
    res = _run_dir_with_costs(tmp_path)
    by = {r["name"]: r["cost"] for r in res["recipes"]}
    assert by["sft"]["training"]["flops"] == 0 and by["sft"]["evaluation"]["flops"] == 1e12
    assert by["sft_more"]["training"]["flops"] == 9e12 and by["sft_more"]["training"]["trained_tokens"] == 300_000
    # rft: the shared pool and pair rows count fully, then its own training; evaluation apart
    assert by["rft"]["training"]["flops"] == 4e12 + 9e12 and by["rft"]["training"]["seconds"] == 30 + 1 + 0.5 + 25
    assert by["rft"]["training"]["verifier_calls"] == 1536 and by["rft"]["evaluation"]["seconds"] == 20.0
    assert by["rft"]["shared"] == {"pool": ["dpo", "hn_w_dpo"], "pairrows": ["dpo", "hn_w_dpo"], "pairs": ["dpo"]}
    # dpo: two seeds, the mean of its runs (24e12 and 44e12 in all)
    assert by["dpo"]["runs"] == 2 and by["dpo"]["training"]["flops"] == pytest.approx(34e12)
    # hn_w_dpo read dpo's reference log-probs from the cache: in its own total, once in the run's
    assert by["hn_w_dpo"]["training"]["flops"] == 24e12 and by["hn_w_dpo"]["training"]["reused"]["flops"] == 2e12
    total = res["cost"]
    once = 4e12 + 9e12 + 20e12 + 40e12 + 9e12 + (20e12 - 2e12)  # pool, sftmore, dpo x2 seeds, rft, hn (less reused)
    assert total["training"]["flops"] == pytest.approx(once)
    assert total["evaluation"]["flops"] == 5e12  # five evaluation stages (dpo's two seeds share one here)
    assert total["stages"] == 9 + 5 and "counts fully in each" in total["note"]


def test_report_renders_the_cost_table_and_plot(tmp_path):
    import matplotlib
    matplotlib.use("Agg")

    from harness.reporting.analysis import analyze
    from harness.reporting.latex import latex
    from harness.reporting.markdown import markdown
    from harness.reporting.plots import all_plots
    res = _run_dir_with_costs(tmp_path)
    stats = analyze(res, tmp_path)
    made = all_plots(res, stats, tmp_path)
    assert str(tmp_path / "accuracy_vs_compute.png") in made and (tmp_path / "accuracy_vs_compute.png").stat().st_size
    md = markdown(res, stats, made)
    section = md.split("## Cost from SFT's end")[1].split("\n## ")[0]
    assert "counts fully in each recipe's total" in section and "Evaluation is shown apart" in section
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in section.splitlines() if line.startswith("| ")}
    assert rows["rft"][1:4] == ["60.0", "13", "56.5"]  # accuracy, TFLOPs, seconds
    assert rows["sft"][2] == "0" and rows["hn_w_dpo"][2] == "24"
    assert "pool (with dpo, hn_w_dpo)" in rows["rft"][8]
    assert "Run total, each of its 14 stages counted once: training 100 TFLOPs" in section
    assert "cpu (2 threads)" in section and "mean over its runs" in section
    assert "![accuracy_vs_compute](accuracy_vs_compute.png)" in md
    tex = latex(res, stats)
    assert "tab:hardneg-cost" in tex and "hn\\_w\\_dpo" in tex


def test_results_without_costs_render_as_before(tmp_path):
    """Runs recorded before costs: no cost key in results.json, no section, no plot."""
    from harness.reporting.analysis import analyze
    from harness.reporting.markdown import markdown
    from harness.reporting.plots import compute_plot

    from .test_results import _results
    res = _results(tmp_path)
    stats = analyze(res, tmp_path)
    assert "Cost from SFT" not in markdown(res, stats, []) and compute_plot(res, stats, tmp_path) == []


def test_device_label_names_the_device():
    from harness.training.counting import device_label
    assert device_label("cpu").startswith("cpu (") and device_label("cpu", 2).endswith("x2")


@pytest.mark.slow
def test_grpo_counts_generation_reward_calls_and_training(micro_model, tmp_path):
    """TRL's GRPOTrainer with counting (harness/training/counting.py), 2 steps of 2 prompts x 4 generations: 16
    completions, 16 reward calls, every completion trained once (one generation per optimizer step) with its prompt,
    no reference forward at beta 0."""
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig

    from harness.training.counting import counting_grpo_trainer, grpo_tokens
    tok = AutoTokenizer.from_pretrained(micro_model)
    tok.pad_token = tok.pad_token or tok.eos_token
    calls = []

    def reward(prompts, completions, **_):
        calls.extend(completions)
        return [float(len(c)) for c in completions]
    args = GRPOConfig(output_dir=str(tmp_path / "w"), max_steps=2, per_device_train_batch_size=8, num_generations=4,
                      gradient_accumulation_steps=1, max_completion_length=12, beta=0.0, use_cpu=True,
                      report_to=[], save_strategy="no", logging_steps=1, disable_tqdm=True, seed=0)
    ds = Dataset.from_list([{"prompt": p} for p, _, _ in ROWS])
    trainer = counting_grpo_trainer()(model=AutoModelForCausalLM.from_pretrained(micro_model), reward_funcs=[reward],
                                      args=args, train_dataset=ds, processing_class=tok)
    trainer.train()
    t = grpo_tokens(trainer.token_counter)
    assert t["verifier_calls"] == len(calls) == 16 and t["generated"]["sequences"] == 16
    assert t["trained"]["tokens"] == t["prompt"]["tokens"] + t["generated"]["tokens"]
    assert t["trained"]["attended"] == t["prompt"]["attended"] + t["generated"]["attended"]
    assert t["reference"]["tokens"] == 0 and 0 < t["generated"]["tokens"] <= 16 * 12
    # 2 steps x 2 prompts: one epoch of the 4 prompts, each prefilled once per generation
    assert t["prompt"] == cost.count_sequences([len(tok(p)["input_ids"]) for p, _, _ in ROWS for _ in range(4)])
    rec = cost.training_cost(cost.model_shape(micro_model), t)
    shape = cost.model_shape(micro_model)
    g = cost.add_counts(t["prompt"], t["generated"])
    assert rec["flops"] == cost.forward_flops(shape, g["tokens"], g["attended"]) \
        + cost.training_flops(shape, t["trained"]["tokens"], t["trained"]["attended"])
    assert rec["verifier_calls"] == 16 and rec["generated_tokens"] == t["generated"]["tokens"]


def test_evaluation_counts_prompts_responses_and_verdicts(micro_model, tmp_path):
    """run_lm_eval's throughput carries the evaluation's counts: each problem's prompt as lm-eval sent it and its
    response, re-tokenized, and one verifier call per problem."""
    from transformers import AutoTokenizer

    from harness.stages.evaluate import run_lm_eval, task_metadata

    from .test_tasks import _problems
    cfg = load_config(None, ["eval.limit=3", "eval.batch_size=8", "eval.max_gen_toks=16", "device=cpu",
                             "eval.tasks=[hardneg_synth]"])
    test = _problems(tmp_path)
    _, thr = run_lm_eval(str(micro_model), cfg, ["hardneg_synth"], task_metadata(cfg, str(tmp_path / "test.jsonl"), None),
                         tmp_path)
    tok = AutoTokenizer.from_pretrained(micro_model)
    prompts = [len(tok(cfg.data.prompt_template.format(question=p["question"]), add_special_tokens=False)["input_ids"])
               for p in test[:3]]
    c = thr["counts"]
    assert thr["verifier_calls"] == 3 and c["generated"]["tokens"] == thr["generated_tokens"]
    assert c["prompt"]["tokens"] == sum(prompts) and c["prompt"]["sequences"] == 3
    rec = cost.generation_cost(cost.model_shape(micro_model), thr, verifier_calls=thr["verifier_calls"])
    assert rec["prompt_tokens"] == sum(prompts) and rec["verifier_calls"] == 3 and rec["flops"] > 0
