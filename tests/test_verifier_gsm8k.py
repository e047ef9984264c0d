"""Evidence for the MathVerifier on real GSM8K reference solutions (train + test, HARDNEG_DATA_DIR/gsm8k)."""
import json
import random
from collections import Counter

import pytest

from verifier import DIMENSIONS, MathVerifier
from verifier.perturb import KINDS, perturb


def _rows(d, split):
    return [json.loads(line) for line in (d / f"{split}.jsonl").read_text().splitlines()]


def _gold(r):
    return r["answer"].split("####")[-1].strip()


@pytest.fixture(scope="module")
def verifier():
    return MathVerifier()


def test_reference_solutions_are_not_flagged(gsm8k_dir, verifier):
    rows = _rows(gsm8k_dir, "train") + _rows(gsm8k_dir, "test")
    verdicts = verifier.verify_batch([{"question": r["question"], "solution": r["answer"], "reference_answer": _gold(r)}
                                      for r in rows])
    n = len(verdicts)
    low_wrong = sum(v.wrongness <= 0.05 for v in verdicts) / n
    no_arith = sum(v.arithmetic == 0 for v in verdicts) / n
    correct = sum(v.correct for v in verdicts) / n
    print(f"\nGSM8K references n={n}: wrongness<=0.05 {low_wrong:.4f}, no arithmetic flag {no_arith:.4f}, correct {correct:.4f}")
    assert correct >= 0.999
    assert low_wrong >= 0.99
    assert no_arith >= 0.99


def test_perturbation_suite(gsm8k_dir, verifier):
    rng = random.Random(0)
    stats = {k: Counter() for k in KINDS}
    for r in _rows(gsm8k_dir, "test"):
        gold = _gold(r)
        base = verifier.verify(r["question"], r["answer"], reference_answer=gold, reference_solution=r["answer"])
        if any(base.profile()[k] > 0 for k in DIMENSIONS):
            continue  # perturb only references the verifier considers clean, so a flag is the perturbation's
        for kind in KINDS:
            p = perturb(r["question"], r["answer"], kind, rng)
            if p is None:
                continue
            sol, target, step = p
            v = verifier.verify(r["question"], sol, reference_answer=gold, reference_solution=r["answer"])
            prof = v.profile()
            s = stats[kind]
            s["n"] += 1
            s["detected"] += any(prof[k] > 0 for k in DIMENSIONS)
            s["top"] += prof[target] > 0 and prof[target] >= max(prof.values())
            s["located"] += v.first_error_step == step
    lines = []
    for kind, s in stats.items():
        lines.append(f"{kind:9s} n={s['n']:5d} recall={s['detected'] / s['n']:.3f} "
                     f"target-highest={s['top'] / s['n']:.3f} located={s['located'] / s['n']:.3f}")
    print("\n" + "\n".join(lines))
    total = sum(s["n"] for s in stats.values())
    assert sum(s["detected"] for s in stats.values()) / total >= 0.95
    assert sum(s["located"] for s in stats.values()) / total >= 0.90
    for kind, s in stats.items():
        assert s["n"] >= 500, kind
        assert s["detected"] / s["n"] >= 0.95, kind
        assert s["top"] / s["n"] >= 0.85, kind
        assert s["located"] / s["n"] >= 0.90, kind
