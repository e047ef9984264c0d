"""Helpers for the hardneg lm-eval tasks (one utils.py per folder: lm-eval cannot relative-import).

Data locations come from task metadata (`TaskManager(metadata=...)` or `lm_eval --metadata '{...}'`),
then environment variables, then defaults:
    synth_path      HARDNEG_SYNTH_PATH      jsonl of synthetic test problems (default: regenerated, seed 0)
    near_miss_path  HARDNEG_NEAR_MISS_PATH  jsonl written by `harness compare` (the near-correct-error slice)
    gsm8k_path      HARDNEG_GSM8K_PATH      folder with test.jsonl (default ../shared/data/gsm8k, else hub)
    math500_path    HARDNEG_MATH500_PATH    math500_test.jsonl (default ../shared/data/math/..., else hub)
    prompt_template HARDNEG_PROMPT          must match training (default 'Question: {question}\\nAnswer:')
Scoring uses the project's one checker (verifier.answers) and the MathVerifier.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

DEFAULT_PROMPT = "Question: {question}\nAnswer:"
_STRICT = re.compile(r"The answer is:?\s*(.+?)\s*$|^####\s*(.+?)\s*$", re.I | re.M)


def _opt(meta: dict, key: str, env: str, default=None):
    return meta.get(key) or os.environ.get(env) or default


def _dataset(rows: list[dict], meta: dict):
    import datasets
    tpl = _opt(meta, "prompt_template", "HARDNEG_PROMPT", DEFAULT_PROMPT)
    keep = ("id", "question", "solution", "answer", "source")
    recs = [{**{k: str(r.get(k, "")) for k in keep}, "prompt": tpl.format(question=r["question"])} for r in rows]
    return {"test": datasets.Dataset.from_list(recs)}


def _local_or_none(path: str) -> str | None:
    return path if Path(path).exists() else None


def load_synth(**meta):
    path = _opt(meta, "synth_path", "HARDNEG_SYNTH_PATH")
    if path:
        from harness.data.loaders import read_jsonl
        return _dataset(read_jsonl(path), meta)
    from harness.config import DataConfig
    from harness.data.loaders import build_splits
    return _dataset(build_splits(DataConfig(), seed=0)["test"], meta)


def load_near_miss(**meta):
    path = _opt(meta, "near_miss_path", "HARDNEG_NEAR_MISS_PATH")
    if not path or not Path(path).is_file():
        raise FileNotFoundError("hardneg_near_miss: no slice file; run `harness compare` (it writes "
                                "runs/<exp>/slice-*/near_miss.jsonl) and pass --metadata '{\"near_miss_path\": ...}'")
    from harness.data.loaders import read_jsonl
    return _dataset(read_jsonl(path), meta)


def load_gsm8k(**meta):
    from harness.data.loaders import load_gsm8k as load
    path = _opt(meta, "gsm8k_path", "HARDNEG_GSM8K_PATH") or _local_or_none("../shared/data/gsm8k")
    return _dataset(load("test", path, "metadata gsm8k_path"), meta)


def load_math500(**meta):
    from harness.data.loaders import load_math500 as load
    path = _opt(meta, "math500_path", "HARDNEG_MATH500_PATH") or _local_or_none("../shared/data/math/math500_test.jsonl")
    return _dataset(load(path, "metadata math500_path"), meta)


def _norm(s: str) -> str:
    return s.replace(",", "").replace("$", "").replace(" ", "").rstrip(".")


def strict_answer(text: str) -> str | None:
    """Only the trained format counts: 'The answer is: X', '#### X' or \\boxed{X}."""
    from verifier.answers import boxed
    ms = _STRICT.findall(text)
    if ms:
        return next(g for g in ms[-1] if g)
    return boxed(text)


def process_results(doc: dict, results: list[str]) -> dict:
    """Per-sample metrics; the verdict comes from harness.runtime.verdicts: the experiment's configured verifier
    under `harness compare` (computed once, reused by the per-sample log), the defaults under plain `lm_eval`."""
    from harness.runtime.verdicts import verify
    from verifier import answers_match, extract_answer
    resp = results[0]
    gold = doc["answer"]
    strict = strict_answer(resp)
    v = verify(doc["question"], resp, gold)
    return {
        "exact_match": float(strict is not None and _norm(strict) == _norm(gold)),
        "equiv": float(answers_match(gold, extract_answer(resp))),
        "wrongness": v.wrongness,
        "hard_negative": float(v.hard_negative),
        "arithmetic_error": float(v.arithmetic > 0),
    }
