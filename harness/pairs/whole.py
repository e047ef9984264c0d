"""Whole-solution pairs: pickers choose a rejected among a problem's incorrect samples; `whole_rows` pairs it with a
clean correct chosen (the reference when the policy has none)."""
from __future__ import annotations

import random

from harness.config import PairsConfig
from harness.pairs.base import clean_correct, hardness, is_negative, pair_builder, pair_row


@pair_builder("random", "rejected = a uniformly random incorrect sample")
def random_negative(negs: list[dict], rng: random.Random) -> dict:
    """Chosen: a clean, complete correct sample (the reference when the policy has none); rejected: a uniformly
    random incorrect sample."""
    return rng.choice(negs)


@pair_builder("hard", "rejected = the hardest negative, verifier hard negatives first")
def hardest_negative(negs: list[dict], rng: random.Random) -> dict:
    """Chosen as for `random`; rejected: the hardest incorrect sample -- verifier hard negatives first, then lower
    absurdity, then the nearer answer (`hardness`)."""
    return min(negs, key=hardness)


def whole_rows(pick, problems, by_problem, cfg: PairsConfig, template: str, rng: random.Random):
    """Whole-solution pairs from a picker: up to max_per_problem distinct rejected per problem, a wrong greedy
    completion first. (One pair, no greedy sample: the same random draws, in the same order, as ever.)"""
    rows, no_negative, no_sample = [], 0, 0
    for p in problems:
        group = by_problem.get(p["id"], [])
        if not group:
            no_sample += 1
            continue
        negs = [s for s in group if is_negative(s)]
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
