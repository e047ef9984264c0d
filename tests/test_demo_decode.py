"""Decoding in which finished rows leave the batch (harness/models/decode.py): the same greedy tokens as
`model.generate`, rows really stop, and lm-eval's HFLM generates through it with unchanged completions."""
import torch


def _load(micro_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(micro_model, padding_side="left")
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return AutoModelForCausalLM.from_pretrained(micro_model).eval(), tok


def _frequent_token(model, enc) -> int:
    """A token the random model emits often under greedy decoding: used as the stop token, so rows end early."""
    with torch.no_grad():
        ids = model.generate(**enc, max_new_tokens=12, do_sample=False, pad_token_id=0)
    new = ids[:, enc["input_ids"].shape[1]:].flatten()
    return int(new.bincount().argmax())


def test_greedy_matches_generate_and_rows_stop(micro_model):
    from harness.models.decode import generate_compact
    model, tok = _load(micro_model)
    prompts = ["Question: Tom has 3 apples and buys 4 more. How many?\nAnswer:", "Question: 2 + 2?\nAnswer:",
               "Question: A box holds 5 pens; 3 boxes hold how many pens in all?\nAnswer:", "Question: 9 - 4?\nAnswer:"]
    enc = tok(prompts, return_tensors="pt", padding=True)
    stop = _frequent_token(model, enc)
    ref = model.generate(**enc, max_new_tokens=24, do_sample=False, eos_token_id=[stop], pad_token_id=tok.pad_token_id)
    ref = ref[:, enc["input_ids"].shape[1]:]
    got = generate_compact(model, enc["input_ids"], enc["attention_mask"], 24, [stop], tok.pad_token_id)
    # generate stops at the longest row; the rest of ours is padding
    assert torch.equal(got[:, :ref.shape[1]], ref)
    assert (got[:, ref.shape[1]:] == tok.pad_token_id).all()
    stopped = [(row == stop).nonzero() for row in got]
    assert any(len(s) and s[0].item() < 23 for s in stopped), "no row stopped early: the test exercises nothing"
    for row, s in zip(got, stopped):
        if len(s):  # after its stop token a row holds only padding
            assert (row[s[0].item() + 1:] == tok.pad_token_id).all()


def test_sampling_is_seeded(micro_model):
    from harness.models.decode import generate_compact
    model, tok = _load(micro_model)
    enc = tok(["Question: 2 + 3?\nAnswer:"] * 6, return_tensors="pt", padding=True)
    draws = []
    for _ in range(2):
        torch.manual_seed(7)
        draws.append(generate_compact(model, enc["input_ids"], enc["attention_mask"], 16, [tok.eos_token_id],
                                      tok.pad_token_id, do_sample=True, temperature=1.0, top_p=0.9))
    assert torch.equal(draws[0], draws[1])
    assert len({tuple(r.tolist()) for r in draws[0]}) > 1  # six draws of one prompt are not all the same


def test_stop_string_ends_a_row(micro_model):
    """A row ends once its text contains a stop string, as lm-eval's `until` would cut it."""
    from harness.models.decode import generate_compact
    model, tok = _load(micro_model)
    enc = tok(["Question: 7 + 1?\nAnswer:"], return_tensors="pt", padding=True)
    full = generate_compact(model, enc["input_ids"], enc["attention_mask"], 20, [tok.eos_token_id], tok.pad_token_id)
    text = tok.decode(full[0], skip_special_tokens=True)
    needle = text.strip()[3:6] if len(text.strip()) >= 6 else text.strip()[:1]
    cut = generate_compact(model, enc["input_ids"], enc["attention_mask"], 20, [tok.eos_token_id], tok.pad_token_id,
                           stop_strings=[needle], tok=tok)
    kept = (cut[0] != tok.pad_token_id).sum().item()
    assert kept < (full[0] != tok.pad_token_id).sum().item()
    assert needle in tok.decode(cut[0], skip_special_tokens=True)
    assert torch.equal(cut[0, :kept], full[0, :kept])


def test_hflm_generates_through_compact_decoding(micro_model):
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    from harness.stages.evaluate import compact_lm
    model, tok = _load(micro_model)
    reqs = [Instance("generate_until", {}, (f"Question: {a} + {b}?\nAnswer:", {"until": ["\nQuestion:"],
                     "max_gen_toks": 20, "do_sample": False}), i) for i, (a, b) in enumerate([(1, 2), (3, 4), (5, 6)])]
    ours = compact_lm(HFLM)(pretrained=model, tokenizer=tok, batch_size=3, device="cpu").generate_until(reqs)
    stock = HFLM(pretrained=model, tokenizer=tok, batch_size=3, device="cpu").generate_until(reqs)
    assert ours == stock and all(isinstance(s, str) for s in ours)
