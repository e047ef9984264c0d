"""Seeded generator of MetaMathQA-style synthetic word problems (the embedded default's data).

Every problem is a chain: a start quantity followed by 1..n operations, each told as one sentence of a
story family. The generator knows the computation, so it writes an exact chain-of-thought with explicit
equations (``18 * 3 = 54.``) and can pose MetaMathQA's *backward* variant ("If we know the answer ... is
N, what is the value of unknown variable x?") and solve it by undoing the chain.

Splits are keyed by the equation chain (start value, ops, operands), so one chain never appears in two splits
under different story families or directions. `generate_splits(..., planted=PlantedWorld(...))` is the
planted-flaw world (harness/data/planted.py): the same problems, labelled, with structured flaws planted in a
share of the training solutions; without it (the clean world) nothing is added.

    python -m harness.data.synthetic --n 5 --seed 0      # print a few problems
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

# Each family: a start sentence, per op one or more question phrasings and one solution sentence, and one or
# more ways to ask.
# {v} is the running value, {a} the operand, {r} the result.
FAMILIES: dict[str, dict] = {
    "marbles": {
        "item": ["marbles", "stickers", "cards", "stamps", "shells"],
        "start": "{name} has {v0} {item}.",
        "ops": {
            "+": (["{Pron} finds {a} more {item}.", "A friend gives {pron_obj} {a} more {item}."],
                  "{Pron} gets {a} more, so {pron} has {v} + {a} = {r} {item}."),
            "-": (["{Pron} gives {a} {item} to a friend.", "{Pron} loses {a} of {pron_pos} {item}."],
                  "{Pron} no longer has {a}, so {pron} has {v} - {a} = {r} {item}."),
            "*": ("Then {pron} gets {a} times as many {item} as {pron} has.", "Now {pron} has {v} * {a} = {r} {item}."),
            "/": ("{Pron} splits the {item} into {a} equal piles and keeps one pile.", "One pile has {v} / {a} = {r} {item}."),
        },
        "ask": ["How many {item} does {name} have now?", "How many {item} does {name} end up with?"],
    },
    "money": {
        "item": ["dollars"],
        "start": "{name} has ${v0} in a piggy bank.",
        "ops": {
            "+": ("{Pron} earns ${a} doing chores.", "After earning ${a}, {pron} has {v} + {a} = {r} dollars."),
            "-": (["{Pron} spends ${a} on a book.", "{Pron} buys a toy for ${a}."],
                  "After spending ${a}, {pron} has {v} - {a} = {r} dollars."),
            "*": ("A relative multiplies {pron_pos} savings by {a}.", "The savings become {v} * {a} = {r} dollars."),
            "/": ("{Pron} shares the money equally among {a} people, including {pron_obj}self.", "Each share is {v} / {a} = {r} dollars."),
        },
        "ask": ["How many dollars does {name} have now?", "How much money, in dollars, does {name} have left?"],
    },
    "farm": {
        "item": ["apples", "eggs", "carrots", "potatoes"],
        "start": "A farmer picks {v0} {item} in the morning.",
        "ops": {
            "+": ("In the afternoon the farmer picks {a} more {item}.", "With {a} more, there are {v} + {a} = {r} {item}."),
            "-": ("The farmer sells {a} {item} at the market.", "After selling {a}, there are {v} - {a} = {r} {item} left."),
            "*": ("Each {item_one} is worth {a} cents.", "They are worth {v} * {a} = {r} cents."),
            "/": ("The farmer packs the {item} into {a} equal crates.", "Each crate holds {v} / {a} = {r} {item}."),
        },
        "ask": "What is the final number the farmer ends up with?",
    },
    "class": {
        "item": ["students", "books", "chairs"],
        "start": "A school starts the year with {v0} {item}.",
        "ops": {
            "+": ("Then {a} new {item} arrive.", "After {a} arrive, there are {v} + {a} = {r} {item}."),
            "-": ("Then {a} {item} leave.", "After {a} leave, there are {v} - {a} = {r} {item}."),
            "*": ("Next year the number of {item} becomes {a} times as large.", "Next year there are {v} * {a} = {r} {item}."),
            "/": ("The {item} are split evenly into {a} groups.", "Each group has {v} / {a} = {r} {item}."),
        },
        "ask": ["How many {item} are there in the end?", "What is the final number of {item}?"],
    },
    "bakery": {
        "item": ["cookies", "muffins", "rolls"],
        "start": "A bakery bakes {v0} {item} on Monday.",
        "ops": {
            "+": (["On Tuesday it bakes {a} more {item}.", "The baker makes another {a} {item}."],
                  "With {a} more, the bakery has {v} + {a} = {r} {item}."),
            "-": (["Customers buy {a} {item}.", "{a} {item} are eaten by the staff."],
                  "After {a} are gone, {v} - {a} = {r} {item} remain."),
            "*": ("The next batch is {a} times the size of what is on the shelf.", "The batch has {v} * {a} = {r} {item}."),
            "/": ("The {item} are packed into {a} boxes with the same number in each.", "Each box holds {v} / {a} = {r} {item}."),
        },
        "ask": ["How many {item} are counted at the end?", "What is the last number of {item} the baker counts?"],
    },
}
NAMES = [("Tom", "he", "his", "him"), ("Mia", "she", "her", "her"), ("Sam", "he", "his", "him"),
         ("Ava", "she", "her", "her"), ("Leo", "he", "his", "him"), ("Zoe", "she", "her", "her"),
         ("Max", "he", "his", "him"), ("Ivy", "she", "her", "her")]
INVERSE = {"+": "-", "-": "+", "*": "/", "/": "*"}
BACKWARD_SUFFIX = "\nIf we know the answer to the above question is {ans}, what is the value of unknown variable x?"


@dataclass(frozen=True)
class Difficulty:
    """Knobs of the generator; see harness/configs/tiny.yaml for the tuned values."""
    min_steps: int = 2
    max_steps: int = 3
    max_operand: int = 12
    max_value: int = 99
    backward_rate: float = 0.15


def _apply(op: str, v: int, a: int) -> int | None:
    if op == "+":
        return v + a
    if op == "-":
        return v - a if v - a >= 0 else None
    if op == "*":
        return v * a
    return v // a if a > 1 and v % a == 0 else None


def _chain(rng: random.Random, d: Difficulty) -> tuple[int, list[tuple[str, int, int]]]:
    """Sample a start value and ops whose every intermediate stays in [0, max_value]."""
    while True:
        v0 = rng.randint(2, d.max_operand * 2)
        v, steps = v0, []
        for _ in range(rng.randint(d.min_steps, d.max_steps)):
            for _try in range(20):
                op = rng.choice("+-*/")
                a = rng.randint(2, d.max_operand)
                r = _apply(op, v, a)
                if r is not None and 0 < r <= d.max_value and (op != "*" or v <= d.max_operand * 2):
                    steps.append((op, a, r))
                    v = r
                    break
            else:
                break
        if len(steps) >= d.min_steps:
            return v0, steps


def _fill(tpl: str, ctx: dict) -> str:
    return tpl.format(**ctx)


def _pick(rng: random.Random, tpl: str | list[str]) -> str:
    """A family's sentence is one template or a list of phrasings of the same operation."""
    return tpl if isinstance(tpl, str) else rng.choice(tpl)


def _forward_lines(fam: dict, base: dict, v0: int, ops: list[tuple[str, int]]) -> tuple[list[str], int] | None:
    """The forward solution's equation lines for `ops` from `v0`, with true arithmetic; None if a step leaves the
    integers (an inexact division, a negative count)."""
    lines, v = [], v0
    for op, a in ops:
        r = _apply(op, v, a)
        if r is None:
            return None
        lines.append(_fill(fam["ops"][op][1], {**base, "a": a, "v": v, "r": r}))
        v = r
    return lines, v


def _backward_lines(answer: int, ops: list[tuple[str, int]]) -> tuple[list[str], int] | None:
    """MetaMathQA's backward solution: undo `ops` from the stated final answer; None if an undo leaves the integers."""
    lines, v = [f"We work backwards from the final answer {answer}."], answer
    for op, a in reversed(ops):
        prev = _apply(INVERSE[op], v, a)
        if prev is None:
            return None
        lines.append(f"Undoing '{op} {a}' gives {v} {INVERSE[op]} {a} = {prev}.")
        v = prev
    lines.append(f"The value of x is {v}.")
    return lines, v


def chain_key(v0: int, steps) -> str:
    """The equation chain of a problem (start value, ops and operands): what two story families can share."""
    return f"{v0}|{[(op, a) for op, a, *_ in steps]}"


def _draw(rng: random.Random, d: Difficulty) -> tuple[dict, dict]:
    """-> (the problem record, its chain: family, names, start value, steps) -- the chain lets the planted world
    (harness/data/planted.py) rewrite the solution without drawing anything from `rng`."""
    fam_name = rng.choice(sorted(FAMILIES))
    fam = FAMILIES[fam_name]
    name, pron, pos, obj = rng.choice(NAMES)
    item = rng.choice(fam["item"])
    v0, steps = _chain(rng, d)
    base = {"name": name, "pron": pron, "Pron": pron.capitalize(), "pron_pos": pos, "pron_obj": obj, "item": item,
            "item_one": item[:-1] if item.endswith("s") else item}
    backward = rng.random() < d.backward_rate
    q_parts = [_fill(fam["start"], {**base, "v0": "x" if backward else v0})]
    for op, a, r in steps:
        q_parts.append(_fill(_pick(rng, fam["ops"][op][0]), {**base, "a": a}))
    q_parts.append(_fill(_pick(rng, fam["ask"]), base))
    question = " ".join(q_parts)
    ops = [(op, a) for op, a, _ in steps]
    sol, answer = _forward_lines(fam, base, v0, ops)
    final = answer
    if backward:
        question += BACKWARD_SUFFIX.format(ans=answer)
        sol, answer = _backward_lines(answer, ops)
    solution = "\n".join(sol) + f"\nThe answer is: {answer}"
    key = f"{fam_name}|{v0}|{steps}|{backward}"
    record = {"id": "synth-" + hashlib.sha1(key.encode()).hexdigest()[:12], "question": question,
              "solution": solution, "answer": str(answer), "source": "synthetic",
              "family": fam_name, "n_steps": len(steps), "backward": backward}
    return record, {"family": fam_name, "base": base, "v0": v0, "ops": ops, "backward": backward,
                    "final": final}


def make_problem(rng: random.Random, d: Difficulty) -> dict:
    """One problem as a normalized record (same schema as the real-data loaders)."""
    return _draw(rng, d)[0]


def solution_text(chain: dict, ops: list[tuple[str, int]]) -> tuple[str, int] | None:
    """A problem's solution written for `ops` in place of its own (the planted world's flawed readings), with
    true arithmetic carried to the final line; None where that reading leaves the integers."""
    fam = FAMILIES[chain["family"]]
    if chain["backward"]:
        out = _backward_lines(chain["final"], ops)
    else:
        out = _forward_lines(fam, chain["base"], chain["v0"], ops)
    if out is None:
        return None
    lines, answer = out
    return "\n".join(lines) + f"\nThe answer is: {answer}", answer


def split_of(record_id: str, val_pct: int = 5, test_pct: int = 5) -> str:
    """Split is a pure function of its key (the problem's equation chain, `chain_key`), so splits are disjoint by
    construction: no chain is told in one split's story and solved in another's."""
    h = int(hashlib.sha1(record_id.encode()).hexdigest()[:8], 16) % 100
    return "test" if h < test_pct else "validation" if h < test_pct + val_pct else "train"


def generate_splits(n_train: int, n_val: int, n_test: int, seed: int, d: Difficulty,
                    planted=None) -> dict[str, list[dict]]:
    """Deterministic splits; a problem never appears twice, and an equation chain (start value, ops, operands) in
    one split only, whatever its story family or direction. `planted` (harness.data.planted.PlantedWorld) labels
    every problem and plants flaws in training solutions; None is the clean world."""
    rng = random.Random(seed)
    want = {"train": n_train, "validation": n_val, "test": n_test}
    out: dict[str, list[dict]] = {k: [] for k in want}
    chains: dict[str, dict] = {}
    budget = 50 * sum(want.values()) + 1000
    while any(len(out[k]) < want[k] for k in want) and budget:
        budget -= 1
        p, chain = _draw(rng, d)
        if p["id"] in chains:
            continue
        s = split_of(chain_key(chain["v0"], chain["ops"]))
        if len(out[s]) < want[s]:
            chains[p["id"]] = chain
            out[s].append(p)
    if any(len(out[k]) < want[k] for k in want):
        raise ValueError(f"synthetic: only {[len(v) for v in out.values()]} unique problems for {want}; "
                         "raise data.max_operand/max_value/max_steps or lower the split sizes")
    if planted is not None:
        from harness.data.planted import plant
        plant(out, chains, planted, seed, solution_text)
    return out


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    for _ in range(args.n):
        p = make_problem(rng, Difficulty())
        print(p["question"], "\n---\n" + p["solution"], "\n======")
