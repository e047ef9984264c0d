"""Batched decoding in which finished rows stop: the HF sampling path (harness/models/sampling.py) and evaluation
(harness/stages/evaluate.py) generate with it.

Why: `model.generate` keeps every row of a batch in the forward pass until the longest one ends; on the embedded
model a batch of 100 greedy solutions averages well under the token limit, so most of those row-steps computed
padding. Here a row leaves the batch (and the KV cache) at its stop token or stop string, so the cost follows the
tokens actually generated. Greedy output is the same token sequence `generate` gives (the test compares them);
sampled output is a different, equally seeded draw (the random stream is shared by fewer rows once some stop).
"""
from __future__ import annotations

import torch


@torch.no_grad()
def generate_compact(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, max_new_tokens: int,
                     stop_ids: list[int], pad_id: int, do_sample: bool = False, temperature: float = 1.0,
                     top_p: float = 1.0, stop_strings: list[str] | None = None, tok=None) -> torch.Tensor:
    """-> (B, max_new_tokens) new token ids, left-padded `input_ids` in; after a row's stop token (kept) or the token
    completing one of `stop_strings` (decoded with `tok`), the row holds `pad_id`."""
    from transformers import DynamicCache
    n_rows = input_ids.shape[0]
    device = input_ids.device
    out = torch.full((n_rows, max_new_tokens), pad_id, dtype=torch.long, device=device)
    if max_new_tokens <= 0 or n_rows == 0:
        return out
    stops = torch.tensor(sorted(set(stop_ids)), device=device)
    lookback = _lookback(stop_strings, tok)
    mask = attention_mask.to(device).long()
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    cache = DynamicCache(config=model.config)
    logits = model(input_ids=input_ids, attention_mask=mask, position_ids=pos, cache=cache,
                   use_cache=True).logits[:, -1, :]
    active = torch.arange(n_rows, device=device)
    next_pos = pos[:, -1] + 1
    for t in range(max_new_tokens):
        nxt = _choose(logits, do_sample, temperature, top_p)
        out[active, t] = nxt
        done = torch.isin(nxt, stops)
        if lookback:
            done |= _ends_with_stop(out[active, max(0, t + 1 - lookback):t + 1], stop_strings, tok, done)
        if t == max_new_tokens - 1 or bool(done.all()):
            break
        if bool(done.any()):
            keep = (~done).nonzero().squeeze(1)
            cache.batch_select_indices(keep)
            active, nxt, mask, next_pos = active[keep], nxt[keep], mask[keep], next_pos[keep]
        mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=1)
        logits = model(input_ids=nxt[:, None], attention_mask=mask, position_ids=next_pos[:, None],
                       cache=cache, use_cache=True).logits[:, -1, :]
        next_pos = next_pos + 1
    return out


def _choose(logits: torch.Tensor, do_sample: bool, temperature: float, top_p: float) -> torch.Tensor:
    """Greedy argmax, or a draw at `temperature` from the smallest top-p nucleus (transformers' order: temperature,
    then top-p)."""
    logits = logits.float()
    if not do_sample:
        return logits.argmax(-1)
    logits = logits / temperature
    if top_p < 1.0:
        sorted_logits, order = logits.sort(dim=-1, descending=False)
        cum = sorted_logits.softmax(-1).cumsum(-1)
        drop = cum <= 1 - top_p
        drop[..., -1] = False  # at least one token always stays
        logits = logits.masked_fill(drop.scatter(1, order, drop), float("-inf"))
    return torch.multinomial(logits.softmax(-1), 1).squeeze(1)


def _lookback(stop_strings: list[str] | None, tok) -> int:
    """How many trailing tokens can complete a stop string (its own token count plus slack for merges)."""
    if not stop_strings or tok is None:
        return 0
    return max(len(tok(s, add_special_tokens=False)["input_ids"]) for s in stop_strings) + 2


def _ends_with_stop(tail: torch.Tensor, stop_strings: list[str], tok, done: torch.Tensor) -> torch.Tensor:
    """Rows whose last few tokens decode to text containing a stop string (rows already done are skipped)."""
    hit = torch.zeros_like(done)
    idx = (~done).nonzero().squeeze(1).tolist()
    if not idx:
        return hit
    texts = tok.batch_decode(tail[idx].tolist(), skip_special_tokens=False)
    for i, text in zip(idx, texts):
        if any(s in text for s in stop_strings):
            hit[i] = True
    return hit
