"""Helpers for the hardneg lm-eval tasks (one utils.py per folder: lm-eval cannot relative-import).

Everything that changes a score comes from the task metadata (`TaskManager(metadata=...)` or
`lm_eval --metadata '{...}'`), never from process state, so the harness and the plain CLI score alike:
    prompt_template  the prompt, must match training (default 'Question: {question}\\nAnswer:')
    verifier         the MathVerifier settings, in full or in part (a config's `verifier:` section; default: its
                     defaults); the loader copies them into every doc as `verifier_config` (canonical JSON) and
                     process_results builds its verifier from the doc
    synth_path       jsonl of synthetic test problems (default: regenerated from the DataConfig defaults, seed 0)
    near_miss_path   jsonl written by `harness compare` (the near-correct-error slice; required)
    gsm8k_path       GSM8K folder with test.jsonl, or a jsonl (default: $HARDNEG_DATA_DIR/gsm8k if there, else hub)
    math500_path     MATH-500 jsonl (default: $HARDNEG_DATA_DIR/math/math500_test.jsonl if there,
                     else hub)
Scoring uses the project's one checker (verifier.answers) and the MathVerifier.
"""
from __future__ import annotations

import re
from pathlib import Path

DEFAULT_PROMPT = "Question: {question}\nAnswer:"
_STRICT = re.compile(r"The answer is:?\s*(.+?)\s*$|^####\s*(.+?)\s*$", re.I | re.M)


def _dataset(rows: list[dict], meta: dict):
    import datasets

    from harness.runtime.verdicts import verifier_json
    tpl = meta.get("prompt_template") or DEFAULT_PROMPT
    settings = verifier_json(meta.get("verifier"))
    keep = ("id", "question", "solution", "answer", "source")
    recs = [{**{k: str(r.get(k, "")) for k in keep}, "prompt": tpl.format(question=r["question"]),
             "verifier_config": settings} for r in rows]
    return {"test": datasets.Dataset.from_list(recs)}


def load_synth(**meta):
    path = meta.get("synth_path")
    if path:
        from harness.data.loaders import read_jsonl
        return _dataset(read_jsonl(path), meta)
    from harness.config import DataConfig
    from harness.data.loaders import build_splits
    return _dataset(build_splits(DataConfig(), seed=0)["test"], meta)


def load_near_miss(**meta):
    path = meta.get("near_miss_path")
    if not path or not Path(path).is_file():
        raise FileNotFoundError("hardneg_near_miss: no slice file; run `harness compare` (it writes "
                                "runs/<exp>/slice-*/near_miss.jsonl) and pass --metadata '{\"near_miss_path\": ...}'")
    from harness.data.loaders import read_jsonl
    return _dataset(read_jsonl(path), meta)


def load_gsm8k(**meta):
    from harness.config import data_dir_path
    from harness.data.loaders import load_gsm8k as load
    path = meta.get("gsm8k_path") or data_dir_path("gsm8k")
    return _dataset(load("test", path, "metadata gsm8k_path"), meta)


def load_math500(**meta):
    from harness.config import data_dir_path
    from harness.data.loaders import load_math500 as load
    path = meta.get("math500_path") or data_dir_path("math/math500_test.jsonl")
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
    """Per-sample metrics; the verdict comes from the verifier settings the doc carries (`verifier_config`, copied
    from the task metadata by the loader), memoized per solution so the per-sample log reuses it."""
    from harness.runtime.verdicts import verifier_json, verify
    from verifier import answers_match, extract_answer
    resp = results[0]
    gold = doc["answer"]
    strict = strict_answer(resp)
    v = verify(doc.get("verifier_config") or verifier_json(), doc["question"], resp, gold)
    return {
        "exact_match": float(strict is not None and _norm(strict) == _norm(gold)),
        "equiv": float(answers_match(gold, extract_answer(resp))),
        "wrongness": v.wrongness,
        "hard_negative": float(v.hard_negative),
        "arithmetic_error": float(v.arithmetic > 0),
    }
