"""Structural mining: the `structural` picker prefers negatives whose flaw is logical over arithmetic slips.

The `hard` order puts verifier hard negatives first, then low absurdity and a near answer. A planted (or real)
logical flaw -- a misread relation, a left-out quantity -- has true arithmetic, so it earns no broken-chain credit,
and its answer is further off than a slip's, so `hard` ranks it behind the slips that preference cannot fix. This
order asks first whether the flaw is logical (true arithmetic and a consistency or coverage flag, weights.is_logical),
then whether the arithmetic is clean at all, then low absurdity and the nearer answer as before.
`hard` stays registered unchanged as the ablation. As for every picker, a wrong greedy completion (with
sampling.include_greedy) is still each problem's first rejected (harness/pairs/whole.py); the order picks the rest.
"""
from __future__ import annotations

import random

from harness.pairs.base import pair_builder
from harness.pairs.weights import is_logical


def structural_hardness(s: dict) -> tuple:
    v = s["verdict"]
    return (not is_logical(v), v["arithmetic"] > 0, v["absurdity"], v["distance"], -v["wrongness"], s["sample_idx"])


@pair_builder("structural", "rejected = a logical flaw before an arithmetic slip")
def structural_negative(negs: list[dict], rng: random.Random) -> dict:
    """Chosen as for `random`; rejected: logical flaws (true arithmetic, a consistency or coverage flag) first,
    then clean arithmetic before slips, then lower absurdity and the nearer answer (`structural_hardness`)."""
    return min(negs, key=structural_hardness)
