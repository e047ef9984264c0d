"""Iterated rounds of a recipe whose trainer reads pairs (`Recipe.rounds`, harness/registry.py).

Round r samples a fresh pool from round r-1's policy (round 1: the SFT), verifies it, mines and weighs pairs, and
trains from that policy with the same policy as its reference (iterated DPO: each round's KL anchor is where the
round starts, so R rounds may move R times as far as one). Each round is a cached stage of every kind it needs.

Nodes of round r >= 2 carry the parameters `round` and `recipe`; round 1's carry neither, so round 1 is the ordinary
stage every recipe shares (one pool, one pair set per builder and scheme) and an iterated recipe's first round is
its non-iterated twin's training."""
from __future__ import annotations

from harness.stages.kind import Node

ROUND_SEED_STRIDE = 1000
"""Round r's pool draws with the pool seed + 1000·(r-1): each round's sampling noise is its own."""


def round_of(node: Node) -> int:
    return node.p("round") or 1


def trained(node: Node, r: int) -> Node:
    """The recipe's training of round r."""
    return node.at("dpo", recipe=node.p("recipe"), round=r if r > 1 else None)


def policy(node: Node) -> Node:
    """The model a round samples from, mines with and trains from: SFT for round 1, round r-1's training after."""
    r = round_of(node)
    return node.at("sft") if r == 1 else trained(node, r - 1)


def same_round(node: Node, kind: str, **params) -> Node:
    """A node of another kind in the same round (and, from round 2 on, for the same recipe)."""
    r = round_of(node)
    return node.at(kind, **params, **({"round": r, "recipe": node.p("recipe")} if r > 1 else {}))


def round_inputs(node: Node) -> dict:
    return {"round": round_of(node)} if round_of(node) > 1 else {}


def round_label(node: Node, text: str) -> str:
    """'pool' in round 1; 'pool/iter_rft#2' or 'train:iter_rft#2' in round 2."""
    r, recipe = round_of(node), node.p("recipe")
    if r == 1:
        return text
    return f"{text}#{r}" if recipe in text else f"{text}/{recipe}#{r}"
