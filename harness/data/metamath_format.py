"""GSM8K training problems rewritten in MetaMathQA's schema, so `data.source: metamathqa` runs offline.

    write_metamathqa(load_gsm8k("train", "data/gsm8k", "data.path"), "build/metamathqa.json", n=2000)

MetaMathQA-395K.json is a JSON list of {"query", "response", "type", "original_question"} whose responses end with
"The answer is: X" (its GSM_AnsAug rows are GSM8K train problems with new solutions). GSM8K's own solutions carry
calculator annotations (`<<48/2=24>>`) and a `#### X` answer line; MetaMathQA's do neither, so both are rewritten.
Only *training* problems go in: the test split stays GSM8K's test set.
"""
from __future__ import annotations

import random
import re
from pathlib import Path

from harness.runtime.io import write_json_atomic

_CALC = re.compile(r"<<[^>]*>>")


def metamathqa_row(problem: dict) -> dict:
    """One GSM8K-normalized problem ({question, solution, answer}) as a MetaMathQA row."""
    body = _CALC.sub("", problem["solution"].split("####")[0]).strip()
    return {"query": problem["question"], "response": f"{body}\nThe answer is: {problem['answer']}",
            "type": "GSM_AnsAug", "original_question": problem["question"]}


def write_metamathqa(problems: list[dict], dest: str | Path, n: int | None = None, seed: int = 0) -> int:
    """Write `n` (default all) problems, shuffled by `seed`, as a MetaMathQA-schema JSON list; -> rows written."""
    rows = [metamathqa_row(p) for p in problems]
    random.Random(seed).shuffle(rows)
    rows = rows[:n] if n else rows
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(Path(dest), rows)
    return len(rows)
