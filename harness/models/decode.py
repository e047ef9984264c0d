"""Batched decoding in which finished rows stop: the HF sampling path (harness/models/sampling.py) and evaluation
(harness/stages/evaluate.py) generate with it.

Why: `model.generate` keeps every row of a batch in the forward pass until the longest one ends; on the embedded
model a batch of 100 greedy solutions averages well under the token limit, so most of those row-steps computed
padding. Here a row stops at its stop token or stop string, so the cost follows the tokens actually generated.
Greedy output is the same token sequence `generate` gives (the test compares them); sampled output is a different,
equally seeded draw (the random stream is shared by fewer rows once some stop).

How rows leave: the KV cache is preallocated for the prompt plus `max_new_tokens` (`BufferLayer`: one in-place
write per step where `DynamicCache` re-copies the whole cache with `torch.cat`), and finished rows are cut out of the
batch once they are more than `compact_at` of it; until then they ride along and their tokens are dropped. Every
token is chosen over the live rows only, and finished left-padded rows leave as soon as no live row is padded (the
live rows then run without an attention mask, as they would had each finished row left at once), so the tokens,
seeded draws included, are those of cutting every row out at once wherever a row's arithmetic does not depend on the
other rows in its batch, as on the CPUs tested (tests/test_demo_decode.py; benchmarks/decode_cache.py compares a demo
model's greedy and sampled tokens on 500 test problems). A GPU may choose kernels by batch size; there equal tokens
are not guaranteed, as they were not before for two batch sizes.
On the 2-core Xeon, one thread, 500 greedy test problems at batch 100: 0.82x the time of a cut at every finished row
with `torch.cat` (benchmarks/results/decode_cache.json).
"""
from __future__ import annotations

import torch
from transformers.cache_utils import DynamicLayer

COMPACT_AT = 0.25


class BufferLayer(DynamicLayer):
    """One layer's keys and values in buffers of `capacity` positions, (B, heads, capacity, head_dim): `update`
    writes the new positions in place and returns views of the filled part. Keys and values may differ in width
    (multi-head latent attention caches two different tensors)."""

    def __init__(self, capacity: int):
        super().__init__()
        self.capacity, self.filled = capacity, 0

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self.device = key_states.device
        self.k_buf = key_states.new_empty((*key_states.shape[:2], self.capacity, key_states.shape[-1]))
        self.v_buf = value_states.new_empty((*value_states.shape[:2], self.capacity, value_states.shape[-1]))
        self.is_initialized = True
        self._views()

    def _views(self) -> None:
        self.keys, self.values = self.k_buf[:, :, :self.filled], self.v_buf[:, :, :self.filled]

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        end = self.filled + key_states.shape[-2]
        if end > self.capacity:
            raise ValueError(f"BufferLayer holds {self.capacity} positions; {end} were written")
        self.k_buf[:, :, self.filled:end] = key_states
        self.v_buf[:, :, self.filled:end] = value_states
        self.filled = end
        self._views()
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.filled

    def get_max_length(self) -> int:
        return self.capacity

    def _rebuild(self, pick) -> None:
        """New buffers from `pick(buffer)` applied to the filled part only (the rest is never read)."""
        if not self.is_initialized:
            return
        for name in ("k_buf", "v_buf"):
            part = pick(getattr(self, name)[:, :, :self.filled])
            buf = part.new_empty((part.shape[0], part.shape[1], self.capacity, part.shape[-1]))
            buf[:, :, :self.filled] = part
            setattr(self, name, buf)
        self._views()

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        self._rebuild(lambda t: t[indices.to(t.device)])

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        self._rebuild(lambda t: t.index_select(0, beam_idx.to(t.device)))

    def batch_repeat_interleave(self, repeats: int) -> None:
        self._rebuild(lambda t: t.repeat_interleave(repeats, dim=0))

    def crop(self, tokens_to_remove: int) -> None:
        if tokens_to_remove > 0:
            raise ValueError(f"crop takes a negative count of positions to remove; got {tokens_to_remove}")
        self.filled = max(0, self.filled + tokens_to_remove)
        if self.is_initialized:
            self._views()

    def reset(self) -> None:
        """Empty, sized again by the next update (the batch may differ), as DynamicLayer.reset."""
        self.filled, self.is_initialized = 0, False
        self.k_buf = self.v_buf = self.keys = self.values = None

    def offload(self) -> None:
        if self.is_initialized:
            self.k_buf, self.v_buf = self.k_buf.to("cpu", non_blocking=True), self.v_buf.to("cpu", non_blocking=True)
            self._views()

    def prefetch(self) -> None:
        if self.is_initialized and self.k_buf.device != self.device:
            self.k_buf = self.k_buf.to(self.device, non_blocking=True)
            self.v_buf = self.v_buf.to(self.device, non_blocking=True)
            self._views()


def new_cache(model, capacity: int, kind: str = "buffer"):
    """kind "buffer": a DynamicCache whose plain full-attention layers are `BufferLayer`s of `capacity` positions
    (sliding-window or other layer kinds stay as transformers builds them); "dynamic": transformers' own, every layer
    growing by `torch.cat`."""
    from transformers import DynamicCache
    cache = DynamicCache(config=model.config)
    if kind == "dynamic":
        return cache
    if kind != "buffer":
        raise ValueError(f"kv cache kind {kind!r}: use 'buffer' or 'dynamic'")
    cache.layers = [BufferLayer(capacity) if type(layer) is DynamicLayer else layer for layer in cache.layers]
    return cache


@torch.no_grad()
def generate_compact(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, max_new_tokens: int,
                     stop_ids: list[int], pad_id: int, do_sample: bool = False, temperature: float = 1.0,
                     top_p: float = 1.0, stop_strings: list[str] | None = None, tok=None,
                     compact_at: float = COMPACT_AT, kv_cache: str = "buffer",
                     row_seeds: torch.Tensor | None = None) -> torch.Tensor:
    """-> (B, max_new_tokens) new token ids, left-padded `input_ids` in; after a row's stop token (kept) or the token
    completing one of `stop_strings` (decoded with `tok`), the row holds `pad_id`. `compact_at`: the share of the
    batch that may be finished rows before they are cut out (0: at once); `kv_cache`: "buffer" (preallocated) or
    "dynamic" (transformers' DynamicCache); neither changes the tokens. `row_seeds` (B,): sampled rows draw from their
    own seed (`seeded_choice`), so a row's tokens do not depend on its batch; without, from torch's global stream."""
    if not 0.0 <= compact_at <= 1.0:
        raise ValueError(f"compact_at is a share of the batch in [0, 1]; got {compact_at}")
    n_rows = input_ids.shape[0]
    device = input_ids.device
    out = torch.full((n_rows, max_new_tokens), pad_id, dtype=torch.long, device=device)
    if max_new_tokens <= 0 or n_rows == 0:
        return out
    stops = torch.tensor(sorted(set(stop_ids)), device=device)
    lookback = _lookback(stop_strings, tok)
    mask = attention_mask.to(device).long()
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    cache = new_cache(model, input_ids.shape[1] + max_new_tokens, kv_cache)
    # logits_to_keep=1: the prefill's vocabulary projection for the last position only (at a 151k vocabulary and
    # batch 256 x 200 prompt tokens, every position's logits alone would take ~30 GB in fp32)
    logits = model(input_ids=input_ids, attention_mask=mask, position_ids=pos, cache=cache,
                   use_cache=True, logits_to_keep=1).logits[:, -1, :]
    rows = torch.arange(n_rows, device=device)       # the output row of each batch row
    live = torch.ones(n_rows, dtype=torch.bool, device=device)
    nxt = torch.full((n_rows,), pad_id, dtype=torch.long, device=device)
    padded = (mask == 0).any(1)    # left-padded rows: while one is in the batch, attention runs with a mask
    next_pos = pos[:, -1] + 1
    for t in range(max_new_tokens):
        idx = live.nonzero().squeeze(1)
        if row_seeds is not None and do_sample:
            chosen = seeded_choice(logits[idx], row_seeds[rows[idx]].to(device), t, temperature, top_p)
        else:
            chosen = _choose(logits[idx], do_sample, temperature, top_p)
        nxt[idx] = chosen
        out[rows[idx], t] = chosen
        done = torch.isin(chosen, stops)
        if lookback:
            done |= _ends_with_stop(out[rows[idx], max(0, t + 1 - lookback):t + 1], stop_strings, tok, done)
        live[idx[done]] = False
        n_live = len(idx) - int(done.sum())
        if t == max_new_tokens - 1 or n_live == 0:
            break
        n_dead = len(live) - n_live
        # second clause: once no live row is padded, eager cutting would run them mask-free (another SDPA branch,
        # not bitwise the same in fp32), so finished padded rows leave at once
        if n_dead > compact_at * len(live) or (n_dead and bool(padded.any()) and not bool(padded[live].any())):
            keep = live.nonzero().squeeze(1)
            cache.batch_select_indices(keep)
            rows, nxt, mask, next_pos, live, padded = (rows[keep], nxt[keep], mask[keep], next_pos[keep], live[keep],
                                                       padded[keep])
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
    return torch.multinomial(_nucleus(logits / temperature, top_p).softmax(-1), 1).squeeze(1)


def _nucleus(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """The logits with every token outside the smallest set of probability >= top_p set to -inf."""
    if top_p >= 1.0:
        return logits
    sorted_logits, order = logits.sort(dim=-1, descending=False)
    drop = sorted_logits.softmax(-1).cumsum(-1) <= 1 - top_p
    drop[..., -1] = False  # at least one token always stays
    return logits.masked_fill(drop.scatter(1, order, drop), float("-inf"))


_MASK32 = 0xFFFFFFFF


def _mul32(x: torch.Tensor, c: int) -> torch.Tensor:
    """(x * c) mod 2^32 for int64 x in [0, 2^32), in two 16-bit halves of c so no product leaves int64."""
    lo, hi = c & 0xFFFF, c >> 16
    return (x * lo + (((x * hi) & 0xFFFF) << 16)) & _MASK32


def _mix32(x: torch.Tensor) -> torch.Tensor:
    """MurmurHash3's 32-bit finalizer: a bijection of [0, 2^32) whose every output bit depends on every input bit."""
    x = x ^ (x >> 16)
    x = _mul32(x, 0x85EBCA6B)
    x = x ^ (x >> 13)
    x = _mul32(x, 0xC2B2AE35)
    return x ^ (x >> 16)


def seeded_uniform(seeds: torch.Tensor, step: int, vocab: int) -> torch.Tensor:
    """(B,) seeds -> (B, vocab) uniforms in (0, 1), a pure function of (seed, step, token): counter-based, so a row's
    draws are the same in any batch, on any rank, in any order."""
    key = _mix32(_mix32(seeds.long() & _MASK32) ^ _mul32(torch.full_like(seeds.long(), step + 1), 0x9E3779B9))
    tokens = _mul32(torch.arange(vocab, device=seeds.device, dtype=torch.long), 0x632BE5AB)
    bits = _mix32(_mix32(key[:, None] ^ tokens[None, :]) ^ key[:, None])
    return ((bits >> 8).float() + 0.5) / float(1 << 24)


def seeded_choice(logits: torch.Tensor, seeds: torch.Tensor, step: int, temperature: float,
                  top_p: float) -> torch.Tensor:
    """A draw from softmax(logits / temperature) within the top-p nucleus (`_choose`'s distribution), one per row, by
    the Gumbel-max trick: argmax(logits / T + g) with g = -log(-log u) is distributed as the softmax, and u comes from
    `seeded_uniform(seeds, step)`. (B, V) logits, (B,) seeds -> (B,) token ids."""
    logits = _nucleus(logits.float() / temperature, top_p)
    gumbel = -torch.log(-torch.log(seeded_uniform(seeds, step, logits.shape[-1])))
    return (logits + gumbel).argmax(-1)


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
