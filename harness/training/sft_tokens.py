"""SFT rows tokenized in one batched call, exactly as TRL 1.16's SFTTrainer would tokenize them one by one.

Why: py-spy on a cold `make demo` (a loaded 2-core machine) put 30% of all samples of its first 26 minutes
(data, base model, most of SFT) in TRL's per-example `Dataset.map` tokenization of the 20,000 SFT rows (an EOS pass,
then each row through the tokenizer twice); the training steps had 47%. A fast tokenizer encodes the same strings as one batch;
TRL skips its own tokenization when a dataset already has `input_ids` (it still builds labels and truncates).
tests/test_demo_sft_tokens.py checks the rows equal TRL's own output."""
from __future__ import annotations


def common_prefix_length(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def pretokenize(rows: list[dict], tok) -> list[dict]:
    """prompt/completion rows -> {"input_ids", "completion_mask"} rows: TRL's rule for plain-text rows (the completion
    gets the EOS token unless it ends with it; the completion starts where the tokenized prompt and the tokenized
    prompt + completion first differ)."""
    eos = tok.eos_token
    completions = [r["completion"] if r["completion"].endswith(eos) else r["completion"] + eos for r in rows]
    prompt_ids = tok([r["prompt"] for r in rows])["input_ids"]
    full_ids = tok([r["prompt"] + c for r, c in zip(rows, completions)])["input_ids"]
    out = []
    for p, ids in zip(prompt_ids, full_ids):
        n = common_prefix_length(p, ids)
        out.append({"input_ids": ids, "completion_mask": [0] * n + [1] * (len(ids) - n)})
    return out
