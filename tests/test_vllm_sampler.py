"""`_sample_vllm` against a fake `vllm` module (no GPU here): the records and stats it builds from vLLM's outputs, with
the HF sampler's de-duplication and stripping (harness/models/sampling.py `generate_samples`)."""
import sys
import types
from dataclasses import dataclass, field

import pytest

from harness.config import SamplingConfig
from harness.models import sampling


@dataclass
class _Out:
    text: str
    token_ids: list
    finish_reason: str = "stop"


@dataclass
class _Req:
    outputs: list = field(default_factory=list)
    prompt_token_ids: list = field(default_factory=lambda: [0, 1, 2])  # vLLM's RequestOutput carries the prompt's ids


RAW = {  # what the fake engine returns per prompt: duplicates after stripping, a hallucinated next question, a cut
    "p1": [_Out(" 2 + 3 = 5. The answer is 5\n", [1, 2, 3]), _Out("2 + 3 = 5. The answer is 5", [1, 2, 3]),
           _Out(" 2 + 3 = 6. The answer is 6\nQuestion: what is 1 + 1?", [4, 5, 6, 7]), _Out(" 2 + 3 =", [8] * 4, "length")],
    "p2": [_Out(" 10 - 4 = 6. The answer is 6", [9]), _Out("  10 - 4 = 6. The answer is 6  ", [9, 9]),
           _Out(" 10 - 4 = 6. The answer is 6\nQuestion: other", [9, 9, 9]), _Out(" 6", [10])],
}


class _Tok:
    """The little of a tokenizer `stop_texts` reads: end-of-text id 0, no <|im_end|>."""
    eos_token_id, unk_token_id = 0, None

    def convert_tokens_to_ids(self, toks):
        return [None for _ in toks]

    def decode(self, ids):
        return "<|endoftext|>"


@pytest.fixture
def fake_vllm(monkeypatch):
    calls = {}
    mod = types.ModuleType("vllm")

    class SamplingParams:
        def __init__(self, **kw):
            calls["params"] = kw
            calls.setdefault("all_params", []).append(kw)

    class LLM:
        def __init__(self, **kw):
            calls["llm"] = kw

        def get_tokenizer(self):
            return _Tok()

        def generate(self, prompts, params):
            calls["prompts"] = prompts
            n = calls["params"]["n"]
            return [_Req(RAW["p1" if "2 + 3" in q else "p2"][:n]) for q in prompts]
    mod.LLM, mod.SamplingParams = LLM, SamplingParams
    monkeypatch.setitem(sys.modules, "vllm", mod)
    return calls


PROBLEMS = [{"id": "p1", "question": "What is 2 + 3?"}, {"id": "p2", "question": "What is 10 - 4?"}]


def _hf_rule(text: str) -> str:
    """generate_samples' cleaning of a decoded completion, applied to the same raw texts."""
    return text.split("\nQuestion:")[0].strip()


def test_vllm_records_deduplicate_and_strip_like_hf(fake_vllm):
    cfg = SamplingConfig(backend="vllm", k=4, temperature=0.7, top_p=0.9, max_new_tokens=64, tensor_parallel_size=1)
    recs, stats = sampling._sample_vllm("/models/x", PROBLEMS, "Question: {question}\nAnswer:", cfg, 3, True, False)
    for pid in ("p1", "p2"):
        expect, seen = [], set()
        for j, o in enumerate(RAW[pid]):
            if _hf_rule(o.text) not in seen:
                seen.add(_hf_rule(o.text))
                expect.append((j, _hf_rule(o.text)))
        assert [(r["sample_idx"], r["solution"]) for r in recs if r["problem_id"] == pid] == expect
    assert [r["solution"] for r in recs if r["problem_id"] == "p2"] == ["10 - 4 = 6. The answer is 6", "6"]
    assert [r["truncated"] for r in recs if r["problem_id"] == "p1"] == [False, False, True]
    assert stats["generated"] == 8 and stats["unique"] == len(recs) == 5 and stats["duplicates_removed"] == 3
    assert stats["tokens"] == sum(len(o.token_ids) for outs in RAW.values() for o in outs)
    # one request per problem, each with its own seed: a problem's samples do not depend on its neighbours or rank
    seeds = [p.pop("seed") for p in fake_vllm["all_params"]]
    assert seeds == [sampling.problem_seed(3, "p1"), sampling.problem_seed(3, "p2")] and seeds[0] != seeds[1]
    assert fake_vllm["all_params"] == [{"n": 4, "temperature": 0.7, "top_p": 0.9, "max_tokens": 64,
                                        "stop": ["\nQuestion:", "<|endoftext|>"]}] * 2
    assert fake_vllm["llm"]["dtype"] == "bfloat16" and fake_vllm["llm"]["tensor_parallel_size"] == 1
    assert fake_vllm["prompts"][0] == "Question: What is 2 + 3?\nAnswer:"


def test_vllm_greedy_is_one_deterministic_sample(fake_vllm):
    cfg = SamplingConfig(backend="vllm", k=4)
    recs, stats = sampling._sample_vllm("/m", PROBLEMS, "Question: {question}\nAnswer:", cfg, 0, False, True)
    assert fake_vllm["params"]["n"] == 1 and fake_vllm["params"]["temperature"] == 0.0
    assert stats["generated"] == 2 and [r["sample_idx"] for r in recs] == [0, 0]
    assert fake_vllm["llm"]["dtype"] == "auto"
