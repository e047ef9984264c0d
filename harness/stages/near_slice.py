"""The near-correct-error slice: selection, and the frozen id list that makes it reproducible.

Selection: a test problem joins the slice when at least `eval.near_miss_min_share` of the SFT policy's
samples on it are near misses (a wrong answer within `verifier.near_distance` behind an arithmetic or
consistency flaw).

Why it needs a placebo: the slice is chosen by the SFT policy's own failures, so SFT's accuracy on it
is low partly by bad luck, and *any* model whose noise is independent of that luck scores higher there
(regression to the mean). The report therefore shows, beside every recipe, SFT's accuracy on the slice
and a placebo row: an SFT-equivalent model with independent noise (another SFT seed, or `sft_more`).

Freezing: the slice is written as `near_miss_ids.json` (schema SLICE_VERSION) with the ids, the hash of
the SFT weights that chose it, and a hash of the settings, and copied to `<run_dir>/near_miss_slice.json`.
`slice_hash` changes exactly when the ids change.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.runtime.cache import write_json_atomic

SLICE_VERSION = 1


def select_near_miss(problems: list[dict], samples: list[dict], cfg) -> tuple[list[dict], dict]:
    """-> (problems in the slice, in test-split order; pool-style summary of the samples)."""
    from harness.pairs import pool_summary
    near = cfg.verifier.near_distance
    by_problem: dict[str, list[bool]] = {}
    for r in samples:
        v = r["verdict"]
        by_problem.setdefault(r["problem_id"], []).append(
            not v["correct"] and v["distance"] <= near and (v["arithmetic"] > 0 or v["consistency"] > 0))
    keep = {pid for pid, flags in by_problem.items() if sum(flags) / len(flags) >= cfg.eval.near_miss_min_share}
    return [p for p in problems if p["id"] in keep], pool_summary(samples, len(problems))


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
        "version": SLICE_VERSION, "n": len(ids), "of": of, "ids": ids,
        "slice_hash": hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16],
        "model_hash": model_hash(sft_stage.dir / "model"), "sft_stage": sft_stage.key, "settings_hash": settings_hash,
    }
    write_json_atomic(out / "near_miss_ids.json", frozen)
    write_json_atomic(Path(sft_stage.dir).parent / "near_miss_slice.json", frozen)
    return frozen
