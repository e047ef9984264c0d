"""MathVerifier: a solution -> six-dimensional error profile, wrongness, absurdity, first flawed step.

    from verifier import MathVerifier
    v = MathVerifier().verify(question, solution, reference_answer="72")
    v.wrongness, v.absurdity, v.first_error_step, v.reasons
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from functools import lru_cache

from .answers import answers_match, extract_answer, numeric_distance, to_number
from .config import VerifierConfig
from .steps import Claim, claims_in, numbers_in, split_steps

DIMENSIONS = ("answer", "distance", "arithmetic", "consistency", "coverage", "form")
_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORDS = {"half": [2, Fraction(1, 2)], "twice": [2], "double": [2], "doubled": [2], "triple": [3], "tripled": [3],
          "thrice": [3], "quarter": [4, Fraction(1, 4)], "third": [3, Fraction(1, 3)], "dozen": [12], "dozens": [12],
          "one": [1], "two": [2], "three": [3], "four": [4], "five": [5], "six": [6], "seven": [7], "eight": [8],
          "nine": [9], "ten": [10], "eleven": [11], "twelve": [12], "fifteen": [15], "twenty": [20], "thirty": [30],
          "forty": [40], "fifty": [50], "hundred": [100], "thousand": [1000], "week": [7], "hour": [60],
          "minutes": [60], "year": [12, 52, 365], "percent": [100], "%": [100],
          **{w: [i] for i, w in enumerate(_UNITS)}, **{w: [20 + 10 * i] for i, w in enumerate(_TENS)}}
_SCALES = {"million": 10 ** 6, "billion": 10 ** 9, "thousand": 1000}
_EXPLICIT_ANSWER = re.compile(r"The answer is|^####|\\boxed|The value of (?:the unknown variable )?x is", re.I | re.M)
_COUNT_Q = re.compile(r"\bhow many\b", re.I)


@dataclass
class Verdict:
    """The verifier's output for one solution. All scores lie in [0, 1]; 0 is flawless."""
    answer: float
    distance: float
    arithmetic: float
    consistency: float
    coverage: float
    form: float
    wrongness: float
    absurdity: float
    correct: bool
    hard_negative: bool
    pred_answer: str | None
    first_error_step: int | None
    n_steps: int
    n_claims: int
    reasons: list[str] = field(default_factory=list)

    def profile(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in DIMENSIONS}

    def to_dict(self) -> dict:
        return asdict(self)


@lru_cache(maxsize=4096)
def _known_from_text(text: str) -> frozenset[Fraction]:
    """Numbers a step may take from this text: literals, number words, 'N million', 100 +/- a percent."""
    nums = numbers_in(text)
    known = set(nums)
    words = re.findall(r"[a-z%]+", text.lower())
    for w in words:
        known.update(Fraction(v) for v in _WORDS.get(w, ()))
    for w, scale in _SCALES.items():
        if w in words:
            known.update(n * scale for n in nums)
    if "%" in text or "percent" in words:
        known.update(100 + n for n in nums)
        known.update(100 - n for n in nums)
    return frozenset(known)


class MathVerifier:
    """Rule-based, symbolic verifier; stateless apart from its config, so safe to share across threads."""

    def __init__(self, config: VerifierConfig | None = None):
        self.config = config or VerifierConfig()
        self._constants = {Fraction(c).limit_denominator(1000) for c in self.config.constants}

    # ---- the public API -------------------------------------------------------------------------
    def verify(self, question: str, solution: str, reference_answer: str | None = None,
               reference_solution: str | None = None, truncated: bool = False) -> Verdict:
        cfg = self.config
        question = (question or "")[: cfg.max_solution_chars]
        oversize = len(solution or "") > cfg.max_solution_chars
        solution = (solution or "")[: cfg.max_solution_chars]
        steps = split_steps(solution)
        reasons: list[str] = []
        flawed_steps: list[int] = []
        pred = extract_answer(solution)
        answer_step = self._answer_step(steps, pred)

        # 1-2. answer and distance
        correct, answer_dim, distance = True, 0.0, 0.0
        if reference_answer is not None:
            correct = pred is not None and answers_match(reference_answer, pred)
            answer_dim = 0.0 if correct else 1.0
            distance = 0.0 if correct else numeric_distance(reference_answer, pred)
            if not correct:
                reasons.append(f"final answer {pred!r} != reference {reference_answer!r} (distance {distance:.2f})")

        # 3. arithmetic
        claims: list[Claim] = []
        for i, line in enumerate(steps):
            claims.extend(claims_in(i, line))
        bad = [c for c in claims if not c.ok]
        arithmetic = len(bad) / len(claims) if claims else 0.0
        for c in bad:
            flawed_steps.append(c.step)
            reasons.append(f"step {c.step}: {c.lhs} = {_fmt(c.stated)}, should be {_fmt(c.value)}")

        # 4. consistency: operands without a source, and a final answer that is not the last derived value
        sourced = set(_known_from_text(question))
        sourced |= {k / 100 for k in list(sourced)}
        known = sourced | self._constants
        # a value the reference derives must be derived here too before it is used, even if it is small
        ref_vals = self._reference_values(reference_solution)
        must_derive = {v for v in ref_vals if v not in sourced}
        broken_claims = 0
        by_step: dict[int, list[Claim]] = {}
        for c in claims:
            by_step.setdefault(c.step, []).append(c)
        results: list[Fraction] = []
        derived: set[Fraction] = set()
        for i, line in enumerate(steps):
            for c in by_step.get(i, []):
                broken = False
                for op in c.operands:
                    if op in must_derive and op not in derived:
                        # the reference derives this value and this solution never does: a skipped step (coverage)
                        flawed_steps.append(i)
                        reasons.append(f"step {i}: uses {_fmt(op)}, which the reference derives, without deriving it")
                    elif abs(op) not in known and op not in known:
                        broken = True
                        flawed_steps.append(i)
                        near = [r for r in results if _looks_like(r, abs(op))]
                        reasons.append(f"step {i}: operand {_fmt(op)} " + (
                            f"changes the earlier result {_fmt(near[-1])}" if near else "appears neither in the question nor in an earlier step"))
                broken_claims += broken
                known.update((c.stated, c.value))
                derived.update((c.stated, c.value))
                results.append(c.stated)
            line_nums = _known_from_text(line)
            known |= line_nums
            derived |= line_nums - self._constants
        final_mismatch = 0.0
        pred_num = to_number(pred)
        if claims and pred_num is not None and answer_step is not None:
            last = [c for c in claims if c.step <= answer_step][-1:]
            tail_nums = set(numbers_in(steps[answer_step - 1])) if answer_step > 0 else set()
            if last and pred_num != last[0].stated and pred_num != last[0].value and pred_num not in tail_nums:
                final_mismatch = 1.0
                flawed_steps.append(answer_step)
                reasons.append(f"final answer {pred} is not the last derived value {_fmt(last[0].stated)}")
        consistency = min(1.0, cfg.final_mismatch_weight * final_mismatch + (broken_claims / len(claims) if claims else 0.0))

        # 5. coverage
        q_nums = {abs(n) for n in numbers_in(question)} - {0, 1}  # 'one hour', 'the 1st': not quantities to use
        sol_nums = {abs(n) for n in numbers_in(solution)} | {abs(c.value) for c in claims}
        sol_nums |= {n * 100 for n in sol_nums} | {n / 100 for n in sol_nums}
        unused = sorted(q_nums - sol_nums)
        # coverage = mean of the question-side and reference-side shares that are available
        cov_parts = [len(unused) / len(q_nums)] if q_nums else []
        if unused:
            reasons.append("question quantities never used: " + ", ".join(_fmt(n) for n in unused[:5]))
        if ref_vals:
            missing = ref_vals - {c.stated for c in claims} - {c.value for c in claims} - {pred_num}
            cov_parts.append(len(missing) / len(ref_vals))
            if missing:
                reasons.append("reference intermediate results missing: " + ", ".join(_fmt(n) for n in sorted(missing)[:5]))
        coverage = sum(cov_parts) / len(cov_parts) if cov_parts else 0.0

        # 6. form
        form, form_step = self._form(question, solution, steps, pred, pred_num, q_nums, truncated or oversize, reasons)
        if form_step is not None:
            flawed_steps.append(form_step)

        if not correct and answer_step is not None and not flawed_steps:
            flawed_steps.append(answer_step)
        w = cfg.weights
        dims = {"answer": answer_dim, "distance": distance, "arithmetic": arithmetic,
                "consistency": consistency, "coverage": coverage}
        wrongness = min(1.0, sum(w[k] * dims[k] for k in w))
        excess = max(0.0, distance - cfg.absurd_distance) / (1.0 - cfg.absurd_distance) if not correct else 0.0
        absurdity = min(1.0, form + cfg.absurd_distance_weight * excess)
        distinct_flaws = len(set(flawed_steps))
        broken_chain = arithmetic > 0 or consistency > 0
        near = (not correct and distance <= cfg.near_distance) or distinct_flaws == 1
        hard = bool((not correct or broken_chain) and pred is not None and absurdity <= cfg.max_absurdity and near)
        return Verdict(answer=answer_dim, distance=round(distance, 6), arithmetic=round(arithmetic, 6),
                       consistency=round(consistency, 6), coverage=round(coverage, 6), form=form,
                       wrongness=round(wrongness, 6), absurdity=round(absurdity, 6), correct=correct,
                       hard_negative=hard, pred_answer=pred, first_error_step=min(flawed_steps) if flawed_steps else None,
                       n_steps=len(steps), n_claims=len(claims), reasons=reasons)

    def verify_batch(self, items: list[dict], workers: int | None = None) -> list[Verdict]:
        """Verify many records (keys as in `verify`) using all cores; order is preserved."""
        from .batch import verify_many
        return verify_many(self.config, items, workers)

    # ---- helpers --------------------------------------------------------------------------------
    @staticmethod
    def _reference_values(reference_solution: str | None) -> set[Fraction]:
        if not reference_solution:
            return set()
        return {c.stated for i, line in enumerate(split_steps(reference_solution)) for c in claims_in(i, line)}

    @staticmethod
    def _answer_step(steps: list[str], pred: str | None) -> int | None:
        if pred is None or not steps:
            return None
        for i in range(len(steps) - 1, -1, -1):
            if _EXPLICIT_ANSWER.search(steps[i]):
                return i
        return len(steps) - 1

    def _form(self, question, solution, steps, pred, pred_num, q_nums, truncated, reasons):
        score, step = 0.0, None
        if not _EXPLICIT_ANSWER.search(solution):
            score, step = 1.0, max(len(steps) - 1, 0)
            reasons.append("no explicit final answer" + (" (truncated)" if truncated else ""))
        elif truncated:
            score, step = 1.0, max(len(steps) - 1, 0)
            reasons.append("generation was truncated")
        counts: dict[str, int] = {}
        for i, s in enumerate(steps):
            if len(s) >= 8:
                counts[s] = counts.get(s, 0) + 1
                if counts[s] == 2 and step is None:
                    step = i
        reps = max(counts.values(), default=1)
        if reps >= 3:
            score = 1.0
            reasons.append(f"repetition loop: a line repeated {reps} times")
        elif reps == 2:
            score = max(score, 0.5)
            reasons.append("a line is repeated")
        if pred_num is not None:
            asks_count = bool(_COUNT_Q.search(question))
            big = max(q_nums, default=Fraction(10))
            if asks_count and (pred_num < 0 or pred_num.denominator != 1):
                score = 1.0
                reasons.append(f"implausible count {pred}")
            elif abs(pred_num) > self.config.magnitude_factor * max(big, 10) ** 2:
                score = 1.0
                reasons.append(f"implausible magnitude {pred}")
        return score, step


def _looks_like(r: Fraction, op: Fraction) -> bool:
    """op is a miscopied r: off by at most 10%, or the same digits in another order."""
    if r == op or r == 0:
        return False
    return abs(op - r) <= abs(r) / 10 or sorted(_fmt(op)) == sorted(_fmt(r))


def _fmt(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    f = float(x)
    return f"{f:.4f}".rstrip("0").rstrip(".")
