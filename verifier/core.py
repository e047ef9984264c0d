"""MathVerifier: a solution -> six-dimensional error profile, wrongness, absurdity, first flawed step.

    from verifier import MathVerifier
    v = MathVerifier().verify(question, solution, reference_answer="72")
    v.wrongness, v.absurdity, v.first_error_step, v.reasons
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction

from .answers import compare_answers, extract_answer, resolve_reference, to_number, warm_up
from .config import VerifierConfig
from .pool import map_verify
from .doubts import doubt_flaws
from .flow import add_derived, build_flow
from .localize import localize
from .known import known_from_text, question_quantities, question_values, spelled_from_text
from .form import EXPLICIT_ANSWER, form_score, question_numbers, states_final_answer
from .unknown import answer_unknown, false_equations, letter_nodes, reference_letter_values
from .steps import Claim, line_numbers, numbers_in, parse_step, keep_ends, partial_values, split_steps

DIMENSIONS = ("answer", "distance", "arithmetic", "consistency", "coverage", "form")


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
    mode: str = "free"
    """what the verdict was checked against: 'reference' (answer and solution), 'answer' (answer only), 'free'."""

    def profile(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in DIMENSIONS}

    def to_dict(self) -> dict:
        return asdict(self)


class MathVerifier:
    """Rule-based, symbolic verifier; stateless apart from its config, so safe to share across threads."""

    def __init__(self, config: VerifierConfig | None = None):
        self.config = config or VerifierConfig()
        self._constants = {Fraction(c).limit_denominator(1000) for c in self.config.constants}
        warm_up()  # math-verify's first call costs ~350 ms: pay it here, once per process, not inside a row

    # ---- the public API -------------------------------------------------------------------------
    def verify(self, question: str, solution: str, reference_answer: str | None = None,
               reference_solution: str | None = None, truncated: bool = False) -> Verdict:
        cfg = self.config
        question = (question or "")[: cfg.max_solution_chars]
        oversize = len(solution or "") > cfg.max_solution_chars
        pred = extract_answer((solution or "")[-cfg.max_solution_chars:], question)  # from the end, before any cut
        solution = keep_ends(solution or "", cfg.max_solution_chars)
        steps = split_steps(solution)
        reasons: list[str] = []
        flawed_steps: list[int] = []
        pred_num = to_number(pred)
        answer_step = self._answer_step(steps, pred)
        reference_answer = resolve_reference(reference_answer, reference_solution)
        mode = "reference" if reference_solution and reference_answer is not None else (
            "answer" if reference_answer is not None else "free")

        # 1-2. answer and distance (one comparison: math-verify at most once per answer)
        correct, answer_dim, distance = True, 0.0, 0.0
        if reference_answer is not None:
            correct, distance = compare_answers(str(reference_answer), pred)
            answer_dim = 0.0 if correct else 1.0
            distance = 0.0 if correct else distance
            if not correct:
                reasons.append(f"final answer {pred!r} != reference {reference_answer!r} (distance {distance:.2f})")

        # 3. arithmetic
        parsed = [parse_step(i, line) for i, line in enumerate(steps)]
        claims: list[Claim] = [c for cs, _ in parsed for c in cs]
        bad = [c for c in claims if not c.ok]
        arithmetic = len(bad) / len(claims) if claims else 0.0
        for c in bad:
            flawed_steps.append(c.step)
            reasons.append(f"step {c.step}: {c.lhs} = {_fmt(c.stated)}, should be {c.why or _fmt(c.value)}")

        # 4. consistency: the value-flow graph's internal checks, and a final answer that is not the last derived value
        literal, sourced = question_values(question)
        ref_vals, ref_all = self._reference_values(reference_solution)
        # a value the reference derives must be derived here too before it is used, even if it is small
        flow = build_flow(parsed, literal, (self._constants, sourced), {v for v in ref_vals if v not in sourced},
                          [(spelled_from_text(line), known_from_text(line)) for line in steps])
        for step, reason in flow.flaws:
            flawed_steps.append(step)
            reasons.append(reason)
        if mode != "reference":  # no path to walk back to: the trouble the solution shows by itself
            for step, reason in doubt_flaws(parsed, question):
                flawed_steps.append(step)
                reasons.append(reason)
        final_mismatch = self._final_mismatch(steps, claims, pred_num, answer_step)
        if final_mismatch:
            flawed_steps.append(answer_step)
            reasons.append(final_mismatch)
        false_eq = 0.0
        unknown = answer_unknown(question, [t for _, t in parsed], reference_answer, pred_num)
        if unknown is not None:  # the reference answer is the unknown's value: every equation in it must hold at it
            n_eq, eq_flaws = false_equations([t for _, t in parsed], unknown[1], unknown[0])
            for step, reason in eq_flaws:
                flawed_steps.append(step)
                reasons.append(reason)
            false_eq = len(eq_flaws) / n_eq if n_eq else 0.0
        if mode == "reference":  # expressions in letters, at their values, join the reference's path and the flow
            ref_all = ref_all | reference_letter_values(reference_solution, (unknown,) if unknown else ())
            if unknown is not None:
                add_derived(flow, [n for n in letter_nodes([t for _, t in parsed], unknown[1], unknown[0])
                                   if n[1] != pred_num])  # the wrong answer is never a value on the way to it
        consistency = min(1.0, cfg.final_mismatch_weight * bool(final_mismatch) + false_eq
                          + (flow.broken_claims / len(claims) if claims else 0.0))

        # 5. coverage, and where a wrong answer left the reference's path
        quantities = question_quantities(question)  # {quantity: the values that count as using it}
        q_nums = set(quantities)
        sol_nums = {n for _, t in parsed for n in numbers_in(t)} | {c.value for c in claims}
        unused = sorted(q for q, forms in quantities.items() if forms.isdisjoint(sol_nums))
        # coverage = mean of the question-side, reference-side and off-path shares that are available
        cov_parts = [len(unused) / len(q_nums)] if q_nums else []
        if unused:
            reasons.append("question quantities never used: " + ", ".join(_fmt(n) for n in unused[:5]))
        if ref_vals:
            missing = ref_vals - {c.stated for c in claims} - {c.value for c in claims} - {pred_num}
            cov_parts.append(len(missing) / len(ref_vals))
            if missing:
                reasons.append("reference intermediate results missing: " + ", ".join(_fmt(n) for n in sorted(missing)[:5]))
        # a wrong answer is walked back from only when the solution states it: a cut-off text's last number is no
        # answer (its flaw is the missing answer, a form error), and a mismatched answer line is itself the flaw
        if not correct and pred_num is not None and not final_mismatch and not truncated and not oversize \
                and states_final_answer(question, steps, pred):
            step, share = localize(flow, parsed, pred_num, answer_step, sourced | ref_all if mode == "reference" else None,
                                   reasons, reference_solution if mode == "reference" else None,
                                   question, ref_all if mode == "reference" else None, literal)
            if step is not None:
                flawed_steps.append(step)
                if share:
                    cov_parts.append(share)
        coverage = sum(cov_parts) / len(cov_parts) if cov_parts else 0.0

        # 6. form
        form, form_step = form_score(question, steps, pred, pred_num, q_nums, question_numbers(question),
                                     truncated or oversize, cfg.magnitude_factor, reasons)
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
                       n_steps=len(steps), n_claims=len(claims), reasons=reasons, mode=mode)

    def verify_batch(self, items: list[dict], workers: int | None = None) -> list[Verdict]:
        """Verify many records (keys as in `verify`) using all cores; order is preserved."""
        return [Verdict(**d) for d in map_verify(MathVerifier, self.config, items, workers)]

    # ---- helpers --------------------------------------------------------------------------------
    @staticmethod
    def _reference_values(reference_solution: str | None) -> tuple[set[Fraction], set[Fraction]]:
        """(results the reference's claims state, every number the reference writes)."""
        if not reference_solution:
            return set(), set()
        claimed, written = set(), set()
        for i, line in enumerate(split_steps(reference_solution)):
            cs, text = parse_step(i, line)
            claimed.update(c.stated for c in cs)
            written.update(numbers_in(text))
            written.update(v for c in cs for v in (c.stated, c.value, *c.inner, *c.operands, *partial_values(c.lhs)))
        return claimed, written | claimed

    @staticmethod
    def _final_mismatch(steps, claims, pred_num, answer_step) -> str:
        """A reason when the stated final answer is neither the last claim's result nor a number the answer step
        (before its answer phrase) or the step before it states; else ''."""
        if not claims or pred_num is None or answer_step is None:
            return ""
        last = [c for c in claims if c.step <= answer_step][-1:]
        own = EXPLICIT_ANSWER.split(steps[answer_step])[0]
        tail = set(line_numbers(own)) | (set(line_numbers(steps[answer_step - 1])) if answer_step > 0 else set())
        if last and pred_num not in (last[0].stated, last[0].value) and pred_num not in tail:
            return f"final answer {_fmt(pred_num)} is not the last derived value {_fmt(last[0].stated)}"
        return ""

    @staticmethod
    def _answer_step(steps: list[str], pred: str | None) -> int | None:
        if pred is None or not steps:
            return None
        for i in range(len(steps) - 1, -1, -1):
            if EXPLICIT_ANSWER.search(steps[i]):
                return i
        return len(steps) - 1


def _fmt(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    f = float(x)
    return f"{f:.4f}".rstrip("0").rstrip(".")
