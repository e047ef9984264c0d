"""`harness verify IN.jsonl -o OUT.jsonl`.

Input rows: `question` and `solution` (required), `reference_answer`, `reference_solution`, `truncated`
(optional). GSM8K rows (`question`, `answer` = worked solution ending in '#### N') are accepted as they
are: the solution is verified against its own '#### N'. Output rows: the input fields plus `verdict`
(the six dimensions, wrongness, absurdity, correct, hard_negative, pred_answer, first_error_step, reasons).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from statistics import mean

from .config import ConfigError, load_config


def _normalize(row: dict, n: int) -> dict:
    if "solution" not in row and "answer" in row and "####" in str(row["answer"]):
        row = {**row, "solution": row["answer"], "reference_answer": row["answer"].split("####")[-1].strip()}
    if "question" not in row or "solution" not in row:
        raise ConfigError(f"line {n}: needs 'question' and 'solution' fields (got {sorted(row)[:6]})")
    return row


def run_verify(inp: str, out: str, config: str | None, workers: int | None) -> None:
    from rich.table import Table

    from verifier import DIMENSIONS, MathVerifier, VerifierConfig

    from .progress import console, stdout
    p = Path(inp)
    if not p.is_file():
        raise ConfigError(f"input file '{inp}' not found")
    rows = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(_normalize(json.loads(line), n))
            except json.JSONDecodeError as e:
                raise ConfigError(f"{inp}:{n} is not valid JSON ({e.msg})") from None
    cfg = load_config(config).verifier if config else VerifierConfig()
    with console.status(f"verifying {len(rows)} solutions"):
        verdicts = MathVerifier(cfg).verify_batch(rows, workers)
    tmp = Path(out + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for r, v in zip(rows, verdicts):
            f.write(json.dumps({**r, "verdict": v.to_dict()}, ensure_ascii=False) + "\n")
    os.replace(tmp, out)
    has_ref = [v for r, v in zip(rows, verdicts) if r.get("reference_answer") is not None]
    t = Table(title=f"MathVerifier: {len(rows)} solutions")
    t.add_column("measure")
    t.add_column("value", justify="right")
    if has_ref:
        t.add_row("accuracy (with reference)", f"{100 * mean(v.correct for v in has_ref):.1f}%")
    t.add_row("hard negatives", f"{100 * mean(v.hard_negative for v in verdicts):.1f}%")
    for k in (*DIMENSIONS, "wrongness", "absurdity"):
        vals = sorted(getattr(v, k) for v in verdicts)
        t.add_row(f"{k}: mean / >0 / p90", f"{mean(vals):.3f} / {100 * mean(x > 0 for x in vals):.1f}% / "
                  f"{vals[int(0.9 * (len(vals) - 1))]:.3f}")
    stdout.print(t)
    stdout.print(f"wrote {out}")
