"""Assemble a pair set: run a builder over the pool, summarize it for the report, weigh it (`weigh`)."""
from __future__ import annotations

import random
from statistics import mean

from harness.config import PairsConfig
from harness.pairs.base import BuildContext, NoPairs, is_negative
from harness.pairs.planted import mining_precision
from harness.pairs.weights import weigh
from harness.pairs.whole import whole_rows
from harness.registry import get_pair_builder, get_weight_scheme


def build_pairs(builder: str, scheme: str, problems: list[dict], samples: list[dict], cfg: PairsConfig,
                template: str, seed: int, policy=None) -> tuple[list[dict], dict]:
    """-> (rows with prompt/chosen/rejected/weight + provenance, statistics for the report). The rows are the same
    under every scheme; `weigh` gives another scheme's pair set from them without building again."""
    fn = get_pair_builder(builder).fn
    get_weight_scheme(scheme)  # an unknown scheme fails before the (possibly costly) build
    rng = random.Random(seed)
    by_problem: dict[str, list[dict]] = {}
    for s in samples:
        by_problem.setdefault(s["problem_id"], []).append(s)
    if getattr(fn, "makes_rows", False):
        rows, extra = fn(BuildContext(problems, by_problem, cfg, template, rng, seed, policy))
        no_sample = sum(p["id"] not in by_problem for p in problems)
        no_negative = sum(p["id"] in by_problem and not any(is_negative(s) for s in by_problem[p["id"]]) for p in problems)
    else:
        rows, no_negative, no_sample = whole_rows(fn, problems, by_problem, cfg, template, rng)
        extra = {}
    if not rows:
        hint = ("the policy is always right; raise sampling.temperature or sampling.n_problems, or train SFT less "
                "(sft.max_steps)" if no_negative == len(problems) else
                "no flawed sample found a usable chosen; raise sampling.n_problems or pairs.step_resample_k")
        raise NoPairs(
            f"pair builder '{builder}' found no usable pairs in {len(problems)} problems "
            f"({no_negative} had no incorrect sample, {no_sample} no sample): {hint}"
            + (f"; builder statistics: {extra}" if extra else ""))
    for r in rows:
        r["weight"] = 1.0
    planted = mining_precision(rows, problems)  # labels each row in the planted world
    with_pair = len({r["problem_id"] for r in rows})
    stats = {
        "builder": builder, "scheme": scheme, "pairs": len(rows), "problems": len(problems),
        "problems_without_pair": len(problems) - with_pair, "problems_all_correct": no_negative,
        "pairs_per_problem": round(len(rows) / with_pair, 3),
        "chosen_from_reference": sum(bool(r.get("chosen_is_reference")) for r in rows),
        "rejected_greedy_share": round(mean(bool(r.get("rejected_greedy")) for r in rows), 4),
        "rejected_hard_negative_share": mean(r["rej_hard_negative"] for r in rows),
        "rejected_mean": {k: round(mean(r[f"rej_{k}"] for r in rows), 4)
                          for k in ("wrongness", "absurdity", "distance", "arithmetic", "consistency")},
        "weight": None,  # `weigh` fills it in
        **extra, **({"planted": planted} if planted else {}),
    }
    return weigh(rows, stats, scheme, cfg)

