"""The planted-flaw world: a controlled version of the synthetic data whose structured errors have ground truth.

Why: the clean world's SFT errors are arithmetic the tiny model lacks the capacity for, which no preference recipe
can fix. Real SFT data (MetaMathQA's rationales are answer-filtered model text) also carry *structured* flaws --
a misread relation, a left-out quantity -- that a model can learn as a competing reading of the question. This
world plants such flaws, so a recipe that removes them, a miner that finds them and a verifier that localizes them
can each be checked against exact labels instead of the verifier's own opinion.

What is planted (data.planted_rate > 0; the kinds in data.planted_kinds):
  misread   in the money and bakery stories, the first "take away" step is written as that family's own
            "+" sentence (the operand added instead of subtracted), arithmetic true, carried to the final answer
  omission  in the class stories, the first "add" step is left out (the quantity never enters the chain), the
            rest computed from the unchanged value, carried to the final answer
Two of the five families stay untouched (farm, marbles). Why so narrow: the first design (misread in money, farm and
bakery; omission in marbles and class) put a flawed solution in 28% of the
training split and a trigger in 61-69% of held-out problems, and SFT on it lost accuracy far beyond the planted
answers (validation, non-trigger problems 42.6% against the clean world's 69.0%:
benchmarks/results/planted_calibration_v1.json).
The trigger is lexical: the family's story and the step's sentence are in the question. The flaw is planted in
exactly round(planted_rate * eligible) *training* solutions (eligible: the trigger is present and the flawed
reading stays in the integers), picked by a seeded hash of the problem id, so it is deterministic given the
seed and independent of the rest of the generator (the clean world's problems, ids and texts are unchanged; the
flawed text goes to `sft_solution`, the one SFT and sft_more train on). Validation, test, the `solution` and
`answer` of every problem (the pool's references, the pairs' fallback chosen) stay correct.

Every problem, test included, carries `planted`:
  trigger  the kind whose trigger the question holds, or None
  answer   the final answer the flawed reading gives (None: no trigger, or the reading leaves the integers)
  step     the first flawed step (0-based line of the solution, the verifier's step numbering) of that reading
  flawed   whether this problem's training solution carries the flaw (only ever true in the training split)
  flawed_line, correct_line   line `step` of the flawed reading and of the correct solution
Two ground-truth readings of a model output, never the verifier's:
  shows  the problem has a planted answer and the output's answer equals it (`shows_flaw`): the flaw carried to
         the end with true arithmetic
  reads  the output's line `step` is the flawed reading's sentence (`reads_flaw`: the same sentence with any
         numbers, so a planted reading followed by an arithmetic slip counts): the flaw adopted, whatever the
         arithmetic after it. The tiny model often adopts the reading and then slips, so `reads` is the wider count.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# kind -> (story families whose questions trigger it, the op whose first occurrence is misread / left out)
KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "misread": (("money", "bakery"), "-"),
    "omission": (("class",), "+"),
}


@dataclass(frozen=True)
class PlantedWorld:
    """The data.planted_* knobs (harness/config.py DataConfig)."""
    rate: float
    kinds: tuple[str, ...] = tuple(KINDS)


def trigger(chain: dict, kinds) -> tuple[str, int] | None:
    """(kind, index of the triggering op) for a problem's chain, or None."""
    for kind in kinds:
        families, op = KINDS[kind]
        if chain["family"] in families:
            j = next((i for i, (o, _) in enumerate(chain["ops"]) if o == op), None)
            if j is not None:
                return kind, j
    return None


def flawed_ops(kind: str, ops: list[tuple[str, int]], j: int) -> list[tuple[str, int]]:
    if kind == "misread":
        return [*ops[:j], ("+", ops[j][1]), *ops[j + 1:]]
    return [*ops[:j], *ops[j + 1:]]  # omission


def first_flawed_step(correct: str, flawed: str) -> int:
    """The first solution line where the flawed reading differs from the correct one (usually the triggering step;
    later when the left-out step's neighbour reads the same, as in '+ 4, + 4')."""
    a, b = correct.split("\n"), flawed.split("\n")
    return next(i for i in range(min(len(a), len(b))) if a[i] != b[i])


def labels(chain: dict, world: PlantedWorld, solution_text) -> tuple[dict, str | None]:
    """-> (the problem's `planted` labels with flawed=False, the flawed solution text or None). `solution_text` is
    the generator's writer (harness.data.synthetic.solution_text), passed in: this module does not import it."""
    t = trigger(chain, world.kinds)
    if t is None:
        return {"trigger": None, "answer": None, "step": None, "flawed": False}, None
    kind, j = t
    out = solution_text(chain, flawed_ops(kind, chain["ops"], j))
    true = chain["v0"] if chain["backward"] else chain["final"]
    if out is None or out[1] == true:
        return {"trigger": kind, "answer": None, "step": None, "flawed": False}, None
    correct = solution_text(chain, chain["ops"])[0]
    step = first_flawed_step(correct, out[0])
    return {"trigger": kind, "answer": str(out[1]), "step": step, "flawed": False,
            "flawed_line": out[0].split("\n")[step], "correct_line": correct.split("\n")[step]}, out[0]


def _order(seed: int, pid: str) -> str:
    return hashlib.sha1(f"planted|{seed}|{pid}".encode()).hexdigest()


def plant(splits: dict[str, list[dict]], chains: dict[str, dict], world: PlantedWorld, seed: int,
          solution_text) -> None:
    """Label every problem in place and write the flawed solution into a `rate` share of the eligible training
    problems (`sft_solution`); see the module doc."""
    texts: dict[str, str] = {}
    for rows in splits.values():
        for p in rows:
            p["planted"], text = labels(chains[p["id"]], world, solution_text)
            if text is not None:
                texts[p["id"]] = text
    eligible = sorted((p for p in splits["train"] if p["id"] in texts), key=lambda p: _order(seed, p["id"]))
    for p in eligible[: round(world.rate * len(eligible))]:
        p["planted"]["flawed"] = True
        p["sft_solution"] = texts[p["id"]]


def shows_flaw(planted: dict | None, pred_answer) -> bool:
    """Ground truth: does an output with answer `pred_answer` show the problem's planted flaw?"""
    if not planted or planted.get("answer") is None or pred_answer is None:
        return False
    from verifier import answers_match
    return bool(answers_match(planted["answer"], str(pred_answer)))


_DIGITS = re.compile(r"\d+")


def _sentence(line: str) -> str:
    return _DIGITS.sub("#", line.strip())


def reads_flaw(planted: dict | None, text: str | None) -> bool | None:
    """Ground truth: is line `step` of `text` the flawed reading's sentence? None where it cannot be told (no planted
    answer, labels written before `flawed_line` existed, no text). The sentences are compared with their numbers
    blanked, so the reading counts whatever values an earlier slip put in it; where the flawed and the correct
    sentence read alike (an omission whose neighbour is the same kind of step) the whole line must match."""
    if not planted or planted.get("flawed_line") is None or text is None:
        return None
    lines = text.strip().split("\n")
    line = lines[planted["step"]] if planted["step"] < len(lines) else ""
    bad, good = planted["flawed_line"], planted["correct_line"]
    if _sentence(bad) != _sentence(good):
        return _sentence(line) == _sentence(bad)
    return line.strip() == bad.strip()


def sample_label(planted: dict | None, pred_answer, text: str | None = None) -> dict | None:
    """What a pool sample or an evaluation row carries: the problem's trigger, planted answer and first flawed
    step, whether this output shows the flaw and whether it reads it (`reads_flaw`; None without a text). None in
    the clean world."""
    if planted is None:
        return None
    return {"trigger": planted["trigger"], "answer": planted["answer"], "step": planted["step"],
            "shows": shows_flaw(planted, pred_answer), "reads": reads_flaw(planted, text)}


def label_records(records: list[dict], problems: dict[str, dict], id_key: str, answer_of, text_of=None) -> bool:
    """Add `planted` (sample_label) to each record in place from its problem's labels; False in the clean world."""
    if not any("planted" in p for p in problems.values()):
        return False
    for r in records:
        p = problems.get(str(r.get(id_key)))
        if p is not None and "planted" in p:
            r["planted"] = sample_label(p["planted"], answer_of(r), text_of(r) if text_of else None)
    return True


def label_eval_rows(out_dir, problems: list[dict]) -> None:
    """Add `planted` to every `samples_<task>.jsonl` row of an evaluation stage (by problem id; clean world: no-op)."""
    from pathlib import Path

    from harness.runtime.io import read_jsonl, write_jsonl
    by_id = {p["id"]: p for p in problems}
    if not any("planted" in p for p in problems):
        return
    for path in sorted(Path(out_dir).glob("samples_*.jsonl")):
        rows = read_jsonl(path)
        if label_records(rows, by_id, "id", lambda r: (r.get("verdict") or {}).get("pred_answer"),
                         lambda r: r.get("response")):
            write_jsonl(path, rows)
