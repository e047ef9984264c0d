"""Preference pairs from a verified sample pool: pair builders and per-pair weight schemes.

Builders (registered like recipes; add one with @pair_builder("name")):
  random  chosen = a clean, complete correct sample (the reference solution when the policy has none),
          rejected = a uniformly random incorrect sample                      -> vanilla DPO data
  hard    same chosen; rejected = the hardest negative: verifier hard negatives first, then by lower
          absurdity, then nearer answer (smaller distance)                    -> hard-negative DPO data
  step    a row builder (harness/step_pairs.py): the shared prefix up to the first flawed step goes into the
          prompt; chosen/rejected are continuations from there                -> Step-DPO data

Two kinds of builder. A *picker* `fn(negs, rng) -> sample` picks a rejected among a problem's incorrect samples;
`build_pairs` pairs it with a chosen and writes the whole-solution row. A *row builder*
(`@pair_builder(name, rows=True)`) is `fn(BuildContext) -> (rows, extra stats)` and writes whole rows itself
(use `pair_row` for the shared fields); a row may set `eos: False` for a completion that stops mid-solution
(harness/dpo.py then keeps TRL from appending the end-of-text token).

On-policy negatives: a wrong greedy completion (`greedy: true`, sampling.include_greedy) is always the first
rejected of its problem; a picker chooses the others. `pairs.max_per_problem` pairs per problem, each with a
distinct rejected. A policy sample is a chosen only if correct, clean (no arithmetic, consistency or form flaw)
and complete (coverage <= pairs.chosen_max_coverage, default 0).

Weight schemes:
  uniform   w = 1
  verifier  w_raw = (1 - absurdity)^alpha * (1 - distance)^gamma * (1 + structure_bonus * broken)
            where broken = 1 if the rejected chain has an arithmetic or consistency flaw.
            w = clip(w_raw / mean(w_raw), clip_min, clip_max), then renormalized to mean 1
            over the whole dataset (never per batch: an all-zero batch would give NaN).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from statistics import mean

from verifier import DIMENSIONS

from .config import ConfigError, PairsConfig

PAIR_BUILDERS: dict = {}
WEIGHT_SCHEMES = ("uniform", "verifier")


def pair_builder(name: str, rows: bool = False):
    """Register a picker, or with rows=True a row builder (see the module doc)."""
    def deco(fn):
        fn.makes_rows = rows
        PAIR_BUILDERS[name] = fn
        return fn
    return deco


class NoPairs(ConfigError):
    """A builder found nothing to pair in this pool: `harness compare` skips that recipe and says why."""


@dataclass
class BuildContext:
    """What a row builder gets: the pool grouped by problem, the settings, and the SFT policy (for resampling)."""
    problems: list[dict]
    by_problem: dict
    cfg: PairsConfig
    template: str
    rng: random.Random
    seed: int
    policy: object = None
    """harness.step_pairs.PolicyContext, or None where no policy is at hand (only pickers then)."""


def clean_correct(s: dict, cfg: PairsConfig) -> bool:
    v = s["verdict"]
    return (v["correct"] and v["arithmetic"] == 0 and v["consistency"] == 0 and v["form"] == 0
            and v["coverage"] <= cfg.chosen_max_coverage)


def _negative(s: dict) -> bool:
    return not s["verdict"]["correct"]


def hardness(s: dict) -> tuple:
    """Sort key, hardest first: verifier hard negatives, then lower absurdity, nearer answer, higher wrongness."""
    v = s["verdict"]
    return (not v["hard_negative"], v["absurdity"], v["distance"], -v["wrongness"], s["sample_idx"])


@pair_builder("random")
def random_negative(negs: list[dict], rng: random.Random) -> dict:
    return rng.choice(negs)


@pair_builder("hard")
def hardest_negative(negs: list[dict], rng: random.Random) -> dict:
    return min(negs, key=hardness)


def pair_row(prompt: str, chosen: str, rejected: str, problem_id: str, rejected_verdict: dict, cfg: PairsConfig,
             **extra) -> dict:
    """The fields every pair row carries: texts, provenance, the rejected's verdict and its raw verifier weight."""
    v = rejected_verdict
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected, "problem_id": problem_id,
            "raw_weight": verifier_weight(v, cfg), **extra,
            **{f"rej_{k}": v[k] for k in (*DIMENSIONS, "wrongness", "absurdity", "hard_negative")}}


def verifier_weight(v: dict, cfg: PairsConfig) -> float:
    """Unnormalized importance of a pair from its rejected sample's verdict (formula in the module doc)."""
    broken = 1.0 if (v["arithmetic"] > 0 or v["consistency"] > 0) else 0.0
    return (1 - v["absurdity"]) ** cfg.alpha * (1 - v["distance"]) ** cfg.gamma * (1 + cfg.structure_bonus * broken)


def normalize_weights(raw: list[float], clip_min: float, clip_max: float) -> list[float]:
    """Mean 1 over the dataset, clipped, mean 1 again. All-zero input gives all ones."""
    m = mean(raw) if raw else 0.0
    if m <= 0:
        return [1.0] * len(raw)
    w = [min(clip_max, max(clip_min, x / m)) for x in raw]
    m2 = mean(w)
    return [x / m2 for x in w]


def build_pairs(builder: str, scheme: str, problems: list[dict], samples: list[dict], cfg: PairsConfig,
                template: str, seed: int, policy=None) -> tuple[list[dict], dict]:
    """-> (rows with prompt/chosen/rejected/weight + provenance, statistics for the report)."""
    if builder not in PAIR_BUILDERS:
        raise ConfigError(f"unknown pair builder '{builder}'; registered: {', '.join(sorted(PAIR_BUILDERS))}")
    if scheme not in WEIGHT_SCHEMES:
        raise ConfigError(f"unknown weight scheme '{scheme}'; allowed: {', '.join(WEIGHT_SCHEMES)}")
    rng = random.Random(seed)
    by_problem: dict[str, list[dict]] = {}
    for s in samples:
        by_problem.setdefault(s["problem_id"], []).append(s)
    fn = PAIR_BUILDERS[builder]
    if getattr(fn, "makes_rows", False):
        rows, extra = fn(BuildContext(problems, by_problem, cfg, template, rng, seed, policy))
        no_sample = sum(p["id"] not in by_problem for p in problems)
        no_negative = sum(p["id"] in by_problem and not any(_negative(s) for s in by_problem[p["id"]]) for p in problems)
    else:
        rows, no_negative, no_sample = _whole_rows(fn, problems, by_problem, cfg, template, rng)
        extra = {}
    if not rows:
        hint = ("the policy is always right; raise sampling.temperature or sampling.n_problems, or train SFT less "
                "(sft.max_steps)" if no_negative == len(problems) else
                "no flawed sample found a usable chosen; raise sampling.n_problems or pairs.step_resample_k")
        raise NoPairs(
            f"pair builder '{builder}' found no usable pairs in {len(problems)} problems "
            f"({no_negative} had no incorrect sample, {no_sample} no sample): {hint}"
            + (f"; builder statistics: {extra}" if extra else ""))
    weights = (normalize_weights([r["raw_weight"] for r in rows], cfg.clip_min, cfg.clip_max)
               if scheme == "verifier" else [1.0] * len(rows))
    for r, w in zip(rows, weights):
        r["weight"] = w
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
        "weight": {"mean": round(mean(weights), 4), "min": round(min(weights), 4), "max": round(max(weights), 4),
                   "histogram": _histogram(weights)},
        **extra,
    }
    return rows, stats


def _whole_rows(pick, problems, by_problem, cfg: PairsConfig, template: str, rng: random.Random):
    """Whole-solution pairs from a picker: up to max_per_problem distinct rejected per problem, a wrong greedy
    completion first. (One pair, no greedy sample: the same random draws, in the same order, as ever.)"""
    rows, no_negative, no_sample = [], 0, 0
    for p in problems:
        group = by_problem.get(p["id"], [])
        if not group:
            no_sample += 1
            continue
        negs = [s for s in group if _negative(s)]
        if not negs:
            no_negative += 1
            continue
        goods = [s for s in group if clean_correct(s, cfg)]
        prompt = template.format(question=p["question"])
        for _ in range(min(cfg.max_per_problem, len(negs))):
            chosen = rng.choice(goods)["solution"] if goods else p["solution"]
            greedy = [s for s in negs if s.get("greedy")]
            rej = greedy[0] if greedy else pick(negs, rng)
            negs = [s for s in negs if s is not rej]
            rows.append(pair_row(prompt, " " + chosen.strip(), " " + rej["solution"].strip(), p["id"], rej["verdict"],
                                 cfg, chosen_is_reference=not goods, rejected_greedy=bool(rej.get("greedy"))))
    return rows, no_negative, no_sample


def _histogram(ws: list[float], bins: int = 10) -> dict:
    lo, hi = min(ws), max(ws)
    if hi - lo < 1e-9:
        return {"edges": [lo, hi], "counts": [len(ws)]}
    step = (hi - lo) / bins
    counts = [0] * bins
    for w in ws:
        counts[min(bins - 1, int((w - lo) / step))] += 1
    return {"edges": [round(lo + i * step, 4) for i in range(bins + 1)], "counts": counts}


def pool_summary(samples: list[dict], n_problems: int) -> dict:
    """Sample accuracy, hard-negative share, each dimension's distribution and per-problem pass rates."""
    if not samples:
        return {"samples": 0}
    vs = [s["verdict"] for s in samples]
    per: dict[str, list[bool]] = {}
    for s in samples:
        per.setdefault(s["problem_id"], []).append(s["verdict"]["correct"])
    rates = [mean(x) for x in per.values()]
    return {
        "samples": len(vs), "problems": n_problems, "accuracy": round(mean(v["correct"] for v in vs), 4),
        "hard_negative_share": round(mean(v["hard_negative"] for v in vs), 4),
        "truncated_share": round(mean(s.get("truncated", False) for s in samples), 4),
        "dimensions": {k: {"mean": round(mean(v[k] for v in vs), 4), "nonzero": round(mean(v[k] > 0 for v in vs), 4)}
                       for k in (*DIMENSIONS, "wrongness", "absurdity")},
        "pass_rate": {"mean": round(mean(rates), 4), "all_wrong": sum(r == 0 for r in rates),
                      "all_right": sum(r == 1 for r in rates), "mixed": sum(0 < r < 1 for r in rates)},
    }


from . import step_pairs  # noqa: E402,F401  registers the row builders 'step' and 'step_corrected'
