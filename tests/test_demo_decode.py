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


def _staggered_stop(model, enc) -> int:
    """A token the random model emits at different steps in different rows (or never in some): as the stop token,
    rows finish at different steps."""
    with torch.no_grad():
        ids = model.generate(**enc, max_new_tokens=16, do_sample=False, pad_token_id=0)
    new = ids[:, enc["input_ids"].shape[1]:]

    def spread(t: int) -> int:
        return len({int((row == t).nonzero()[0]) if (row == t).any() else -1 for row in new})
    return max(sorted(set(new.flatten().tolist())), key=spread)


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


# prompts of different lengths (left padding) for the tests in which rows must finish at different steps
ROWS = ["Question: Tom has 3 apples and buys 4 more. How many?\nAnswer:", "Question: 2 + 2?\nAnswer:",
        "Question: A box holds 5 pens; 3 boxes hold how many pens in all?\nAnswer:", "Question: 9 - 4?\nAnswer:",
        "Question: 13 + 40?\nAnswer:", "Question: Ann reads 6 pages a day for 5 days. How many pages?\nAnswer:",
        "Question: 7 * 8?\nAnswer:", "Question: 100 - 1?\nAnswer:"]

def _wide_random(micro_model):
    """The micro model with its matrices redrawn wider: its greedy text then depends on the prompt."""
    model, tok = _load(micro_model)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0, 0.3)
    return model, tok


def test_buffer_cache_and_late_compaction_change_no_token(micro_model):
    """The preallocated cache with finished rows cut out late gives the tokens of transformers' DynamicCache cut at
    every finished row, greedy and sampled (each token is chosen over the live rows only, so the seeded draws match),
    and greedy ones equal `generate`'s. The micro model's weights are redrawn wider so its greedy text depends on the
    prompt (at its init every row repeats one token) and a staggered stop token ends rows at different steps."""
    from harness.models.decode import BufferLayer, generate_compact, new_cache
    model, tok = _wide_random(micro_model)
    enc = tok(ROWS[:6], return_tensors="pt", padding=True)
    stop = _staggered_stop(model, enc)
    assert all(isinstance(layer, BufferLayer) for layer in new_cache(model, 8).layers)
    for sample in (False, True):
        outs = []
        for kv_cache, compact_at in (("dynamic", 0.0), ("buffer", 0.0), ("buffer", 0.5), ("buffer", 1.0)):
            torch.manual_seed(11)
            outs.append(generate_compact(model, enc["input_ids"], enc["attention_mask"], 20, [stop], tok.pad_token_id,
                                         do_sample=sample, kv_cache=kv_cache, compact_at=compact_at))
        lengths = (outs[0] != tok.pad_token_id).sum(1)
        assert len(set(lengths.tolist())) > 2, "rows ran equally long: late compaction was never exercised"
        if not sample:
            ref = model.generate(**enc, max_new_tokens=20, do_sample=False, eos_token_id=[stop],
                                 pad_token_id=tok.pad_token_id)[:, enc["input_ids"].shape[1]:]
            assert torch.equal(outs[-1][:, :ref.shape[1]], ref)
        for other in outs[1:]:
            assert torch.equal(other, outs[0])


def test_buffer_layer_refuses_to_overflow():
    import pytest

    from harness.models.decode import BufferLayer
    layer = BufferLayer(3)
    k = torch.zeros(2, 1, 2, 4)
    layer.update(k, k)
    assert layer.get_seq_length() == 2 and layer.keys.shape == (2, 1, 2, 4)
    layer.batch_select_indices(torch.tensor([1]))
    assert layer.keys.shape == (1, 1, 2, 4)
    with pytest.raises(ValueError, match="holds 3 positions"):
        layer.update(torch.zeros(1, 1, 2, 4), torch.zeros(1, 1, 2, 4))


def test_stop_strings_with_late_compaction(micro_model):
    """Rows ended by stop strings while finished rows ride along: the same tokens as cutting each row out at once."""
    from harness.models.decode import generate_compact
    model, tok = _wide_random(micro_model)
    enc = tok(ROWS, return_tensors="pt", padding=True)
    free = generate_compact(model, enc["input_ids"], enc["attention_mask"], 24, [], tok.pad_token_id)
    texts = [tok.decode(r) for r in free]
    # two-character pieces of different rows' text as stop strings: rows stop at different steps
    staggered = 0
    for stop in sorted({t[i:i + 2] for t in texts for i in range(2, len(t) - 2, 5)})[:12]:
        outs = [generate_compact(model, enc["input_ids"], enc["attention_mask"], 24, [], tok.pad_token_id,
                                 stop_strings=[stop], tok=tok, compact_at=c) for c in (0.0, 0.3, 1.0)]
        staggered += len(set((outs[0] != tok.pad_token_id).sum(1).tolist())) > 2
        assert torch.equal(outs[0], outs[1]) and torch.equal(outs[0], outs[2]), stop
    assert staggered >= 3, "too few stop strings ended rows at different steps"


def test_finished_padded_rows_leave_once_no_live_row_is_padded(micro_model):
    """Left-padded rows that finish while only unpadded rows go on leave at once, whatever `compact_at`: the unpadded
    rows then run with an all-ones mask (transformers drops it: the mask-free attention path), as with eager cuts."""
    from harness.models.decode import generate_compact
    model, tok = _wide_random(micro_model)
    enc = tok(["Question: A box holds 5 pens; 3 boxes hold how many pens in all?\nAnswer:",
               "Question: 2 + 2?\nAnswer:"], return_tensors="pt", padding=True)
    assert (enc["attention_mask"][1] == 0).any() and (enc["attention_mask"][0] == 1).all()
    first = generate_compact(model, enc["input_ids"], enc["attention_mask"], 1, [], tok.pad_token_id)
    stop = int(first[1, 0])  # the padded row's first token ends it
    masks = []
    hook = model.register_forward_pre_hook(lambda m, a, kw: masks.append(kw["attention_mask"].clone()), with_kwargs=True)
    try:
        out = generate_compact(model, enc["input_ids"], enc["attention_mask"], 8, [stop], tok.pad_token_id,
                               compact_at=1.0)
    finally:
        hook.remove()
    assert (out[1, 1:] == tok.pad_token_id).all() and (out[0] != tok.pad_token_id).sum() > 1
    assert len(masks) > 2 and all(m.shape[0] == 1 and bool((m == 1).all()) for m in masks[1:])


def test_buffer_layer_keeps_the_cache_contracts():
    """reset, crop, beam reorder, repeat and select act on the buffers (not only on the views), and keys and values
    may differ in width (multi-head latent attention)."""
    from harness.models.decode import BufferLayer
    layer = BufferLayer(6)
    k = torch.arange(2 * 3, dtype=torch.float).reshape(2, 1, 3, 1).expand(2, 1, 3, 4).contiguous()
    v = torch.zeros(2, 1, 3, 2)
    layer.update(k, v)
    assert layer.get_max_length() == 6 and layer.values.shape == (2, 1, 3, 2)
    layer.crop(-1)
    assert layer.get_seq_length() == 2
    layer.update(k[:, :, :1] + 100, v[:, :, :1])
    assert layer.keys[:, 0, :, 0].tolist() == [[0, 1, 100], [3, 4, 103]]
    layer.reorder_cache(torch.tensor([1, 0]))
    layer.batch_repeat_interleave(2)
    assert layer.keys[:, 0, 0, 0].tolist() == [3, 3, 0, 0]
    layer.update(torch.ones(4, 1, 1, 4), torch.ones(4, 1, 1, 2))
    assert layer.keys.shape == (4, 1, 4, 4) and layer.keys[0, 0, :, 0].tolist() == [3, 4, 103, 1]
    layer.reset()
    assert layer.get_seq_length() == 0
    layer.update(k, v)
    assert layer.keys[:, 0, :, 0].tolist() == [[0, 1, 2], [3, 4, 5]]
