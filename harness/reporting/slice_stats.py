"""The near-correct-error slice as the report sees it: which ids, whether they match the frozen list, enrichment.

The slice is defined by one predicate over the selecting SFT's greedy per-problem rows
(`harness.reporting.results.near_correct_error`), so the report can re-derive it from the saved rows of the
SFT's evaluation on the source task. A run frozen under an older slice version (v1: sampled near misses on a
log10 distance) is re-derived here, and the near-miss table is scored on the re-derived ids from each model's
rows of the source task (the slice is a subset of the same problems; greedy decoding gives the same completions).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.reporting.results import SLICE_RULE, SLICE_VERSION, near_correct_error

TASK = "hardneg_near_miss"


def source_task(results: dict) -> str | None:
    """The task whose problems the slice is drawn from: the synthetic test split, else GSM8K test."""
    for t in ("hardneg_synth", "hardneg_gsm8k_cot"):
        if t in results["tasks"]:
            return t
    return None


def slice_hash(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def _pid(r: dict) -> str:
    return str(r.get("id") or r["doc_id"])


def enrichment(ids: list[str], sft_rows: list[dict]) -> dict:
    """How well the slice holds what it claims, against the selecting SFT's greedy rows on the source task."""
    keep = set(ids)
    wrong = {_pid(r) for r in sft_rows if not float(r.get("equiv") or 0)}
    right = {_pid(r) for r in sft_rows} - wrong
    return {"n": len(keep), "of": len(sft_rows), "sft_errors": len(wrong),
            "covers_sft_errors": len(keep & wrong) / len(wrong) if wrong else None,
            "sft_solves": len(keep & right) / len(keep) if keep else None,
            "p_in_given_wrong": len(keep & wrong) / len(wrong) if wrong else None,
            "p_in_given_right": len(keep & right) / len(right) if right else None}


def slice_view(results: dict, run_dir: Path, sft_rows: list[dict] | None) -> dict | None:
    """-> {ids, version, status, slice_hash, rule, enrichment, legacy?} or None (no slice in this run)."""
    if TASK not in results["tasks"] and not results.get("slice"):
        return None
    frozen_path = Path(run_dir) / "near_miss_slice.json"
    frozen = json.loads(frozen_path.read_text()) if frozen_path.is_file() else None
    derived = [_pid(r) for r in sft_rows if near_correct_error(r)] if sft_rows else None
    out: dict = {"rule": SLICE_RULE, "version": SLICE_VERSION}
    if frozen and frozen.get("version") == SLICE_VERSION:
        out.update(ids=frozen["ids"], status="frozen", model_hash=frozen.get("model_hash"),
                   matches_rows=None if derived is None else derived == frozen["ids"])
    elif derived is not None:
        out.update(ids=derived, status=f"re-derived by `harness report` from the selecting SFT's greedy rows (the run's "
                                       f"frozen list is v{(frozen or {}).get('version', '?')}, selected by an older rule)",
                   model_hash=(frozen or {}).get("model_hash"), rederived=True)
        if frozen:
            out["legacy"] = {"version": frozen.get("version"), "slice_hash": frozen.get("slice_hash"),
                             **enrichment(frozen["ids"], sft_rows)}
    else:
        return None
    out["slice_hash"] = slice_hash(out["ids"])
    if sft_rows:
        out["enrichment"] = enrichment(out["ids"], sft_rows)
    return out
