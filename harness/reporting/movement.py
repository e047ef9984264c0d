"""Movement: did a recipe change the model at all?

A null result from a model left unchanged is a different finding from a null result from a model that changed
and did not improve. Movement is the share of problems whose greedy final answer differs from SFT's (paired by
seed and SFT seed, averaged over the recipe's runs); the noise floor is the same share between two seeds of one
recipe (averaged over its pairs of distinct models with the same SFT seed). A recipe whose movement vs SFT is no
larger than its own seed-to-seed floor is `at_floor`: what it changed is what re-running it changes.
"""
from __future__ import annotations

from itertools import combinations


def _norm(ans) -> str:
    return "<none>" if ans is None else str(ans).strip().replace(",", "").rstrip(".")


def answers(rows: list[dict] | None) -> dict[str, str] | None:
    """{problem id: normalized greedy final answer} from per-problem rows."""
    if rows is None:
        return None
    return {str(r.get("id") or r["doc_id"]): _norm((r.get("verdict") or {}).get("pred_answer")) for r in rows}


def changed_share(a: dict[str, str], b: dict[str, str]) -> float | None:
    """Share of the common problems whose answers differ (None without a common problem)."""
    common = set(a) & set(b)
    return None if not common else sum(a[p] != b[p] for p in common) / len(common)


def movement(runs: list[dict], sft_runs: list[dict], answers_of) -> dict | None:
    """{vs_sft, floor, at_floor, pairs} for one recipe; `answers_of(run)` gives a run's answers (or None)."""
    sft_by = {(r["seed"], r["sft_seed"]): r for r in sft_runs}
    vs = []
    for r in runs:
        s = sft_by.get((r["seed"], r["sft_seed"]))
        a, b = answers_of(r), (answers_of(s) if s else None)
        if a is not None and b is not None and (x := changed_share(a, b)) is not None:
            vs.append(x)
    if not vs:
        return None
    models = list({r["eval_stage"]: r for r in runs}.values())
    floors = []
    for x, y in combinations(models, 2):
        if x["sft_seed"] == y["sft_seed"]:
            a, b = answers_of(x), answers_of(y)
            if a is not None and b is not None and (f := changed_share(a, b)) is not None:
                floors.append(f)
    vs_sft = sum(vs) / len(vs)
    floor = sum(floors) / len(floors) if floors else None
    return {"vs_sft": vs_sft, "floor": floor, "at_floor": bool(floor is not None and vs_sft <= floor),
            "pairs": len(floors)}
