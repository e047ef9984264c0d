"""Step pairs: preference at the first step the verifier flags, not over whole solutions.

Why: a sampled solution that slips at step j usually computes every later step correctly from the wrong value;
a whole-sequence pair pushes all of those correct tokens down with the slip. Here the unit of preference is the
flawed step itself (Step-DPO, Lai et al. 2024).

Construction, for each pool sample with a flaw (a wrong answer, or a right one behind a false claim or a
consistency break) that is not cut off at the token limit, first flawed step j = `verdict.first_error_step`:
  prompt    the prompt template around the question, then " " + the sample's own text before step j (the steps
            the verifier rates clean), verbatim, without the whitespace that separates it from step j.
  rejected  that whitespace + step j            (pairs.continuation: step; the text stops mid-solution)
            that whitespace + step j .. the end (pairs.continuation: rest)
            (for j = 0 the prompt is the template alone and the completion starts with " ", exactly as in SFT).
  chosen    pairs.step_chosen: resample (default): `pairs.step_resample_k` continuations of the prefix sampled
            from the SFT policy (same sampling settings as the pool, prefix ending in its line break); the first
            (in sampling order) whose full solution, prefix included, the verifier rates correct, clean
            (arithmetic, consistency, form 0), complete (coverage <= pairs.chosen_max_coverage) and not truncated,
            and whose first step differs from the rejected step. Its first step (continuation: step) or all of it
            (rest), after the same whitespace.
            pairs.step_chosen: corrected: step j with each false claim's stated result replaced by its true value
            (`corrected_step`); only for a step j whose flaw is a false claim, and only if the corrected step's
            claims then all hold (other flawed samples of the problem take the place of one that is not).
            Nothing else in the line changes.
A `step` completion ends mid-solution: the row carries `eos: False`, and harness/training/dpo.py removes the end-of-text
token TRL 1.16 appends to every completion (it would teach the model to stop after one step). `rest` rows end
where the solution ends and keep it.

Selection: per problem, the flawed samples in order wrong-greedy-first, then hardest (harness/pairs/base.py
`hardness`); distinct (prompt, rejected) only; the first pairs.max_per_problem are resampled (one batched
sampling call for all prefixes) and each that finds a chosen becomes a pair. The verifier weight of a row is
that of the flawed sample it came from.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from fractions import Fraction

from verifier import MathVerifier, VerifierConfig
from verifier.steps import parse_step, split_steps

from harness.config import DataConfig, SamplingConfig
from harness.pairs.base import BuildContext, hardness, pair_builder, pair_row

_STATED = re.compile(r"=\s*\$?\s*(-?\d[\d,]*(?:\.\d+)?)")


@dataclass(frozen=True)
class PolicyContext:
    """The SFT policy a row builder may sample from, and the verifier that rates what it samples."""
    model_dir: str
    sampling: SamplingConfig
    verifier: VerifierConfig
    device: str
    bf16: bool = False
    prompt_template: str = DataConfig.__dataclass_fields__["prompt_template"].default
    """The experiment's prompt template: the prompts come formatted, but the stop text derives from it."""
    sampled: list = dataclasses.field(default_factory=list, compare=False)
    """The sampler's stats of every `continuations` call, each with `n` (samples the verifier then rates): what the
    pair-rows stage's cost counts (harness/runtime/cost.py)."""

    @classmethod
    def of(cls, cfg, model_dir: str) -> "PolicyContext":
        from harness.runtime.device import resolve_device, use_bf16
        device = resolve_device(cfg.device)
        return cls(model_dir, cfg.sampling, cfg.verifier, device, use_bf16(device, cfg.model.dtype),
                   cfg.data.prompt_template)

    def continuations(self, prompts: list[str], k: int, seed: int) -> list[list[str]]:
        """k sampled continuations (stripped, duplicates removed, cut-off ones dropped) per prompt, in order."""
        from harness.models.sampling import sample
        cfg = dataclasses.replace(self.sampling, k=k)
        recs, stats = sample(self.model_dir, [{"id": str(i), "question": p} for i, p in enumerate(prompts)],
                             "{question}", cfg, seed, self.device, self.bf16, stop_template=self.prompt_template)
        self.sampled.append({**stats, "n": len(recs)})
        out: list[list[str]] = [[] for _ in prompts]
        for r in sorted(recs, key=lambda r: r["sample_idx"]):
            if not r["truncated"]:
                out[int(r["problem_id"])].append(r["solution"])
        return out


def step_spans(solution: str) -> list[tuple[int, int]] | None:
    """(start, end) of each verifier step in the original text; None if a step is not found verbatim."""
    spans, cursor = [], 0
    for st in split_steps(solution):
        i = solution.find(st, cursor)
        if i < 0:
            return None
        spans.append((i, i + len(st)))
        cursor = i + len(st)
    return spans


def _fmt(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    return f"{float(x):.2f}".rstrip("0").rstrip(".")


def corrected_step(line: str) -> str | None:
    """`line` with each false claim's stated result replaced by the true value (the verifier's safe_eval value);
    None when the line holds no false claim or the replacement does not make every claim in it hold."""
    claims, _ = parse_step(0, line)
    bad = [c for c in claims if not c.ok]
    if not bad:
        return None
    out, cursor = line, 0
    for c in bad:
        for m in _STATED.finditer(out, cursor):
            try:
                stated = Fraction(m.group(1).replace(",", ""))
            except ValueError:
                continue
            if stated == c.stated:
                true = _fmt(c.value)
                out = out[:m.start(1)] + true + out[m.end(1):]
                cursor = m.start(1) + len(true)
                break
        else:
            return None
    fixed, _ = parse_step(0, out)
    return out if fixed and all(c.ok for c in fixed) else None


def _flawed(s: dict) -> bool:
    v = s["verdict"]
    return (v["first_error_step"] is not None and not s.get("truncated")
            and (not v["correct"] or v["arithmetic"] > 0 or v["consistency"] > 0))


def _cut(problem: dict, s: dict, template: str, continuation: str) -> dict | None:
    """Prompt, lead whitespace, rejected step text and the rest for sample `s` at its first flawed step."""
    sol = s["solution"]
    spans = step_spans(sol)
    j = s["verdict"]["first_error_step"]
    if spans is None or j >= len(spans):
        return None
    start, end = spans[j]
    head = sol[:start]
    prompt = template.format(question=problem["question"])
    lead = " "
    if j > 0:
        prompt += " " + head.rstrip()
        lead = head[len(head.rstrip()):] or " "
    step = sol[start:end]
    return {"prompt": prompt, "lead": lead, "head": head, "j": j, "step": step,
            "rejected": lead + (step if continuation == "step" else sol[start:].rstrip())}


def _chosen_from(cont: str, cut: dict, problem: dict, verifier: MathVerifier, cfg) -> str | None:
    """The chosen completion from a sampled continuation, or None if the verifier does not rate it good."""
    steps = split_steps(cont)
    if not steps or steps[0] == cut["step"]:
        return None
    v = verifier.verify(problem["question"], cut["head"] + cont, reference_answer=problem["answer"],
                        reference_solution=problem.get("solution"))
    if not (v.correct and v.arithmetic == 0 and v.consistency == 0 and v.form == 0
            and v.coverage <= cfg.chosen_max_coverage):
        return None
    return cut["lead"] + (steps[0] if cfg.continuation == "step" else cont.rstrip())


@pair_builder("step", "pairs at the first flawed step; chosen resampled from SFT", rows=True)
def step_pairs(ctx: BuildContext, chosen_mode: str | None = None) -> tuple[list[dict], dict]:
    """Step-DPO rows: the sample's text before its first flawed step joins the prompt; rejected is that step
    (pairs.continuation: step) or the rest from it (rest); chosen per pairs.step_chosen (see the module doc)."""
    cfg = ctx.cfg
    mode = chosen_mode or cfg.step_chosen
    cands, seen, uncorrectable = [], set(), 0
    for p in ctx.problems:
        flawed = sorted((s for s in ctx.by_problem.get(p["id"], []) if _flawed(s)),
                        key=lambda s: (not (s.get("greedy") and not s["verdict"]["correct"]), hardness(s)))
        taken = 0
        for s in flawed:
            cut = _cut(p, s, ctx.template, cfg.continuation)
            if cut is None or (cut["prompt"], cut["rejected"]) in seen:
                continue
            if mode == "corrected":  # known before any sampling: an uncorrectable step leaves its place to the next
                cut["fix"] = corrected_step(cut["step"])
                if cut["fix"] is None:
                    uncorrectable += 1
                    continue
            seen.add((cut["prompt"], cut["rejected"]))
            cands.append((p, s, cut))
            taken += 1
            if taken == cfg.max_per_problem:
                break
    chosen: list[str | None]
    if mode == "corrected":
        chosen = [cut["lead"] + cut["fix"] for _, _, cut in cands]
    else:
        if ctx.policy is None:
            from harness.config import ConfigError
            raise ConfigError("pairs.step_chosen=resample needs the SFT policy; use pairs.step_chosen=corrected here")
        verifier = MathVerifier(ctx.policy.verifier)
        # the generation prompt ends in the prefix's line break, as the policy's own text did at this point
        gen = [cut["prompt"] + (cut["lead"] if "\n" in cut["lead"] else "") for _, _, cut in cands]
        uniq = list(dict.fromkeys(gen))
        conts = dict(zip(uniq, ctx.policy.continuations(uniq, cfg.step_resample_k, ctx.seed))) if uniq else {}
        chosen = []
        for (p, _, cut), g in zip(cands, gen):
            chosen.append(next((c for c in (_chosen_from(x, cut, p, verifier, cfg) for x in conts[g]) if c), None))
    rows = [pair_row(cut["prompt"], c, cut["rejected"], p["id"], s["verdict"], cfg, eos=cfg.continuation == "rest",
                     step=cut["j"], chosen_source=mode, chosen_is_reference=False,
                     rejected_greedy=bool(s.get("greedy")))
            for (p, s, cut), c in zip(cands, chosen) if c is not None]
    return rows, {"step": {"candidates": len(cands), "without_chosen": len(cands) - len(rows), "chosen": mode,
                           "flawed_step_not_correctable": uncorrectable,
                           "continuation": cfg.continuation, "resample_k": cfg.step_resample_k if mode == "resample" else 0}}


@pair_builder("step_corrected", "pairs at the first flawed step; chosen = that step corrected", rows=True)
def step_corrected_pairs(ctx: BuildContext) -> tuple[list[dict], dict]:
    """`step` with step_chosen=corrected whatever the config says: one run can compare both chosen kinds."""
    if ctx.cfg.continuation != "step":
        from harness.config import ConfigError
        raise ConfigError("pair builder 'step_corrected' needs pairs.continuation=step")
    return step_pairs(ctx, chosen_mode="corrected")
