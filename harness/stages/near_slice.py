"""The near-correct-error slice: selection, and the frozen id list that makes it reproducible.

Selection (slice v2): one predicate, `harness.reporting.results.near_correct_error`, on the selecting SFT policy's
*greedy* solution to each test problem, scored through the same lm-eval task, settings and configured verifier as
the evaluation (so the SFT's own evaluation rows give the same ids, and `harness report` checks that they do):
the answer is wrong, numeric and close (within max(5% of the gold answer, 1) for an integer gold, 5% otherwise)
and the verifier finds a structural flaw (arithmetic or consistency > 0). See SLICE_RULE.

Why it needs a placebo: the slice is chosen by the SFT policy's own failures, so SFT scores 0% on it by
construction and *any* model whose noise is independent of those failures scores higher there (regression to
the mean). The report's placebo is an SFT trained with another seed (`harness compare --sft-seeds`); `sft_more`
continues the selecting SFT and is not independent of the selection.

Freezing: the slice is written as `near_miss_ids.json` (version SLICE_VERSION) with the ids, the hash of the SFT
weights that chose it, and a hash of the settings, and copied to `<run_dir>/near_miss_slice.json`.
`slice_hash` changes exactly when the ids change.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.reporting.results import SLICE_RULE, SLICE_VERSION, near_correct_error
from harness.runtime.cache import write_json_atomic

__all__ = ["SLICE_RULE", "SLICE_VERSION", "select_near_miss", "freeze_slice", "model_hash", "file_hash"]


def select_near_miss(problems: list[dict], greedy_rows: list[dict]) -> tuple[list[dict], dict]:
    """-> (problems in the slice, in test-split order; enrichment summary). `greedy_rows`: the selecting SFT's
    per-problem rows (samples_<task>.jsonl) on those problems."""
    keep = {str(r.get("id") or r["doc_id"]) for r in greedy_rows if near_correct_error(r)}
    wrong = sum(not float(r.get("equiv") or 0) for r in greedy_rows)
    chosen = [p for p in problems if p["id"] in keep]
    summary = {"rule": SLICE_RULE, "scored": len(greedy_rows), "sft_greedy_errors": wrong,
               "covers_sft_errors": round(len(chosen) / wrong, 4) if wrong else None}
    return chosen, summary


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_hash(model_dir: Path) -> str:
    """sha256 over the checkpoint's weight files (names and bytes), so a retrained SFT shows up as a new hash."""
    h = hashlib.sha256()
    for p in sorted(Path(model_dir).glob("*.safetensors")) or sorted(Path(model_dir).glob("*.bin")):
        h.update(p.name.encode() + file_hash(p).encode())
    return h.hexdigest()[:16]


def freeze_slice(out: Path, rows: list[dict], of: int, sft_stage, settings: dict) -> dict:
    ids = [r["id"] for r in rows]
    settings_hash = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]
    frozen = {
        "version": SLICE_VERSION, "rule": SLICE_RULE, "n": len(ids), "of": of, "ids": ids,
        "slice_hash": hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16],
        "model_hash": model_hash(sft_stage.dir / "model"), "sft_stage": sft_stage.key, "settings_hash": settings_hash,
    }
    write_json_atomic(out / "near_miss_ids.json", frozen)
    write_json_atomic(Path(sft_stage.dir).parent / "near_miss_slice.json", frozen)
    return frozen
