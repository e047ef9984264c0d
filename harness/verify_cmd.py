"""`harness verify IN.jsonl -o OUT.jsonl`.

Input rows: `question` and `solution` (required), `reference_answer`, `reference_solution`, `truncated`
(optional). GSM8K rows (`question`, `answer` = worked solution ending in '#### N') are accepted as they
are: the solution is verified against its own '#### N'. Output rows: the input fields plus `verdict`
(the six dimensions, wrongness, absurdity, correct, hard_negative, pred_answer, first_error_step, mode, reasons).

No row is ever lost: a line that is not UTF-8 or not JSON, or a row without the needed fields, is written as
`{"line": n, "raw": ..., "verdict": null, "error": ...}` and reported on stderr with its line number; every other
row gets its verdict. The output is written atomically (no `.tmp` is left behind) and the exit code is 1 when
any row failed, 0 otherwise (2 for a missing input file or a bad config).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from statistics import mean

from harness.config import ConfigError, load_config
from harness.runtime.io import atomic_path

_TEXT = ("question", "solution", "reference_answer", "reference_solution")


class RowError(ValueError):
    """One input row cannot be verified; the message says why."""


def _normalize(row) -> dict:
    if not isinstance(row, dict):
        raise RowError(f"a row must be a JSON object, got {type(row).__name__}")
    if "solution" not in row and isinstance(row.get("answer"), str) and "####" in row["answer"]:
        row = {**row, "solution": row["answer"], "reference_answer": row["answer"].split("####")[-1].strip()}
    if "question" not in row or "solution" not in row:
        raise RowError(f"needs 'question' and 'solution' fields (got {sorted(row)[:6]})")
    for k in _TEXT:
        v = row.get(k)
        if v is not None and not isinstance(v, (str, int, float)) or isinstance(v, bool):
            raise RowError(f"field '{k}' must be text, got {type(v).__name__}")
    return row


def _inputs(row: dict) -> dict:
    """The verifier's keyword arguments: text fields as str (lone surrogates replaced, so any row encodes)."""
    out = {k: _clean(str(row[k])) for k in _TEXT if row.get(k) is not None}
    out["truncated"] = bool(row.get("truncated", False))
    return out


def _clean(s: str) -> str:
    return s.encode("utf-8", "replace").decode("utf-8") if not s.isascii() else s


def read_rows(p: Path) -> tuple[list[tuple[int, dict | None, str]], list[str]]:
    """[(line number, row or None, raw text or error)] for every non-empty line, and the error lines."""
    rows, errors = [], []
    for n, raw in enumerate(p.read_bytes().split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
            rows.append((n, _normalize(json.loads(text)), text))
        except UnicodeDecodeError as e:
            errors.append(f"{p}:{n}: not UTF-8 ({e.reason} at byte {e.start})")
            rows.append((n, None, raw.decode("utf-8", "replace")))
        except json.JSONDecodeError as e:
            errors.append(f"{p}:{n}: not valid JSON ({e.msg})")
            rows.append((n, None, text))
        except RowError as e:
            errors.append(f"{p}:{n}: {e}")
            rows.append((n, None, text))
    return rows, errors


def _verify_all(verifier, good: list[dict], workers: int | None, errors: list[str]) -> list[dict | None]:
    """Verdict dicts in order; if the batch fails, row by row so one bad row costs only itself."""
    try:
        return [v.to_dict() for v in verifier.verify_batch([_inputs(r) for r in good], workers)]
    except Exception:  # noqa: BLE001 - a verifier bug on one row must not lose the others
        out = []
        for r in good:
            try:
                out.append(verifier.verify(**_inputs(r)).to_dict())
            except Exception as e:  # noqa: BLE001
                errors.append(f"row {str(r.get('question', ''))[:40]!r}: verifier error {type(e).__name__}: {e}")
                out.append(None)
        return out


def _line(obj: dict) -> str:
    s = json.dumps(obj, ensure_ascii=False)
    try:
        s.encode("utf-8")
        return s + "\n"
    except UnicodeEncodeError:
        pass
    return json.dumps(obj, ensure_ascii=True) + "\n"  # a lone surrogate: escaped, so the row is kept exactly


def run_verify(inp: str, out: str, config: str | None, workers: int | None) -> None:
    from rich.table import Table

    from verifier import DIMENSIONS, MathVerifier, VerifierConfig

    from harness.runtime.progress import console, stdout
    p = Path(inp)
    if not p.is_file():
        raise ConfigError(f"input file '{inp}' not found")
    cfg = load_config(config).verifier if config else VerifierConfig()
    rows, errors = read_rows(p)
    good = [r for _, r, _ in rows if r is not None]
    with console.status(f"verifying {len(good)} solutions"):
        verdicts = iter(_verify_all(MathVerifier(cfg), good, workers, errors))
    done = []
    with atomic_path(out) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            for n, r, raw in rows:
                if r is None:
                    f.write(_line({"line": n, "raw": raw, "verdict": None, "error": _error_for(errors, n)}))
                    continue
                v = next(verdicts)
                f.write(_line({**r, "verdict": v} if v is not None else {**r, "verdict": None, "error": "verifier error"}))
                if v is not None:
                    done.append((r, v))
    _summary(done, Table, DIMENSIONS, stdout)
    stdout.print(f"wrote {out}: {len(done)} verdicts, {len(rows) - len(done)} failed rows")
    if len(done) < len(rows):
        for e in errors:
            print(f"error: {e}", file=sys.stderr)
        import typer
        raise typer.Exit(1)


def _error_for(errors: list[str], n: int) -> str:
    return next((e.split(f":{n}: ", 1)[1] for e in errors if f":{n}: " in e), "unreadable row")


def _summary(done: list[tuple[dict, dict]], Table, DIMENSIONS, stdout) -> None:
    if not done:
        return
    verdicts = [v for _, v in done]
    has_ref = [v for r, v in done if r.get("reference_answer") is not None]
    t = Table(title=f"MathVerifier: {len(verdicts)} solutions")
    t.add_column("measure")
    t.add_column("value", justify="right")
    if has_ref:
        t.add_row("accuracy (with reference)", f"{100 * mean(v['correct'] for v in has_ref):.1f}%")
    t.add_row("hard negatives", f"{100 * mean(v['hard_negative'] for v in verdicts):.1f}%")
    for k in (*DIMENSIONS, "wrongness", "absurdity"):
        vals = sorted(v[k] for v in verdicts)
        t.add_row(f"{k}: mean / >0 / p90", f"{mean(vals):.3f} / {100 * mean(x > 0 for x in vals):.1f}% / "
                  f"{vals[int(0.9 * (len(vals) - 1))]:.3f}")
    stdout.print(t)
