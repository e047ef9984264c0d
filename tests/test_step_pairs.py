"""Step pairs (harness/pairs/step.py), greedy on-policy negatives and complete chosens (harness/pairs/).

The pools are hand-written solutions rated by the real verifier. Where a test needs the SFT policy's
continuations to be known exactly, `ScriptedPolicy` returns fixed texts in place of sampling (the verifier,
the construction and the selection are the real ones); tests/test_step_training.py samples from a real model.
"""
import pytest

from harness.config import ConfigError, PairsConfig
from harness.pairs import build_pairs
from harness.models.sampling import merge_greedy
from harness.pairs.step import corrected_step, step_spans
from verifier import MathVerifier, VerifierConfig

Q = "Tom has 25 marbles. He finds 18 more. Then he gives 7 to a friend. How many marbles does Tom have now?"
L0 = "He finds 18 more, so he has 25 + 18 = 43 marbles."
L1 = "He gives away 7, so he has 43 - 7 = 36 marbles."
REF = f"{L0}\n{L1}\nThe answer is: 36"
SLIP1 = REF.replace("43 - 7 = 36", "43 - 7 = 35").replace(": 36", ": 35")        # first flaw: step 1
SLIP0 = REF.replace("25 + 18 = 43", "25 + 18 = 45").replace("43 - 7 = 36", "45 - 7 = 38").replace(": 36", ": 38")
ABSURD = "He has 25 * 18 * 7 = 3100 marbles.\nThe answer is: 3100"   # false claim, absurd answer: the least hard
TPL = "Q: {question}\nA:"
PROBLEM = {"id": "p0", "question": Q, "solution": REF, "answer": "36"}


def _sample(sol, idx, greedy=False, pid="p0"):
    v = MathVerifier().verify(Q, sol, reference_answer="36", reference_solution=REF)
    return {"problem_id": pid, "sample_idx": idx, "solution": sol, "truncated": False, "greedy": greedy,
            "verdict": v.to_dict()}


class ScriptedPolicy:
    """Stands in for the SFT policy's sampler only: fixed continuations, in order, for every prompt."""
    verifier = VerifierConfig()

    def __init__(self, conts):
        self.conts, self.prompts = conts, []

    def continuations(self, prompts, k, seed):
        self.prompts.append(list(prompts))
        return [self.conts[:k] for _ in prompts]


def test_step_pair_prefix_rejected_step_and_resampled_chosen_are_exact():
    assert _sample(SLIP1, 0)["verdict"]["first_error_step"] == 1
    wrong = "He gives away 7, so he has 43 - 7 = 34 marbles.\nThe answer is: 34"
    right = f"{L1}\nThe answer is: 36"
    policy = ScriptedPolicy([wrong, right])
    rows, stats = build_pairs("step", "uniform", [PROBLEM], [_sample(SLIP1, 0), _sample(REF, 1)],
                              PairsConfig(step_resample_k=2), TPL, 0, policy)
    assert len(rows) == 1 and stats["step"]["candidates"] == 1
    r = rows[0]
    assert r["prompt"] == f"Q: {Q}\nA: {L0}"                       # question + the sample's own clean step 0
    assert r["rejected"] == "\nHe gives away 7, so he has 43 - 7 = 35 marbles."   # step 1 only, no answer line
    assert r["chosen"] == f"\n{L1}"                               # first step of the first correct continuation
    assert r["eos"] is False and r["step"] == 1 and r["chosen_source"] == "resample"
    assert policy.prompts == [[f"Q: {Q}\nA: {L0}\n"]]             # sampled after the prefix's own line break


def test_rest_continuation_and_first_step_prefix():
    right_all = f"{L0}\n{L1}\nThe answer is: 36"
    policy = ScriptedPolicy([right_all])
    rows, _ = build_pairs("step", "uniform", [PROBLEM], [_sample(SLIP0, 0)],
                          PairsConfig(continuation="rest", step_resample_k=1), TPL, 0, policy)
    r = rows[0]
    assert r["prompt"] == f"Q: {Q}\nA:" and r["step"] == 0         # flaw at step 0: the template alone
    assert r["rejected"] == " " + SLIP0 and r["chosen"] == " " + right_all and r["eos"] is True


def test_no_pair_when_no_continuation_is_correct_and_complete():
    incomplete = "He gives away 7, so he has 36 marbles.\nThe answer is: 36"   # right answer, skipped computation
    with pytest.raises(ConfigError, match="no usable pairs"):
        build_pairs("step", "uniform", [PROBLEM], [_sample(SLIP1, 0)], PairsConfig(), TPL, 0,
                    ScriptedPolicy(["He gives away 7, so he has 43 - 7 = 34 marbles.\nThe answer is: 34"]))
    rows, _ = build_pairs("step", "uniform", [PROBLEM], [_sample(SLIP1, 0)], PairsConfig(chosen_max_coverage=1.0),
                          TPL, 0, ScriptedPolicy([incomplete]))
    assert rows[0]["chosen"] == "\nHe gives away 7, so he has 36 marbles."  # accepted only when completeness is waived


def test_corrected_step_fixes_exactly_the_false_claim():
    rows, stats = build_pairs("step_corrected", "verifier", [PROBLEM], [_sample(SLIP1, 0)], PairsConfig(), TPL, 0)
    r = rows[0]
    assert r["rejected"] == "\nHe gives away 7, so he has 43 - 7 = 35 marbles."
    assert r["chosen"] == "\n" + L1 and r["chosen_source"] == "corrected" and r["eos"] is False
    line = "He pays $12 * 3 = $38 and 4 + 5 = 9 more, then 38 - 9 = 20."
    fixed = corrected_step(line)
    assert fixed == "He pays $12 * 3 = $36 and 4 + 5 = 9 more, then 38 - 9 = 29."
    assert corrected_step(L1) is None                              # nothing false: nothing to correct
    with pytest.raises(ConfigError, match="continuation=step"):
        PairsConfig(step_chosen="corrected", continuation="rest").validate()


def test_step_spans_follow_the_original_text():
    sol = "He has 5 apples. He eats 2, so 5 - 2 = 3 are left. The answer is: 3"
    spans = step_spans(sol)
    assert [sol[a:b] for a, b in spans] == ["He has 5 apples.", "He eats 2, so 5 - 2 = 3 are left.", "The answer is: 3"]


def test_greedy_negative_is_included_and_preferred():
    sampled = [{"problem_id": "p0", "sample_idx": 0, "solution": SLIP0}, {"problem_id": "p0", "sample_idx": 1, "solution": REF}]
    merged = merge_greedy(sampled, [{"problem_id": "p0", "sample_idx": 0, "solution": ABSURD}])
    assert [(m["solution"], m["greedy"], m["sample_idx"]) for m in merged] == [(SLIP0, False, 0), (REF, False, 1), (ABSURD, True, -1)]
    twin = merge_greedy(sampled, [{"problem_id": "p0", "sample_idx": 0, "solution": REF}])
    assert len(twin) == 2 and twin[1]["greedy"] is True

    pool = [_sample(SLIP0, 0), _sample(REF, 1), _sample(SLIP1, 2), _sample(ABSURD, -1, greedy=True)]
    rows, stats = build_pairs("hard", "uniform", [PROBLEM], pool, PairsConfig(), TPL, 0)
    assert rows[0]["rejected"] == " " + ABSURD and rows[0]["rejected_greedy"]   # not the hardest: the greedy error
    rows, stats = build_pairs("hard", "uniform", [PROBLEM], pool, PairsConfig(max_per_problem=3), TPL, 0)
    assert [r["rejected"].strip() for r in rows][0] == ABSURD and len(rows) == 3
    assert len({r["rejected"] for r in rows}) == 3 and stats["pairs_per_problem"] == 3
    steps, _ = build_pairs("step_corrected", "uniform", [PROBLEM], pool, PairsConfig(max_per_problem=1), TPL, 0)
    assert steps[0]["rejected_greedy"] and steps[0]["rejected"] == " He has 25 * 18 * 7 = 3100 marbles."
    assert steps[0]["chosen"] == " He has 25 * 18 * 7 = 3150 marbles."


def test_chosen_must_be_complete_unless_waived():
    incomplete = "He gives away 7, so he has 36 marbles.\nThe answer is: 36"
    v = _sample(incomplete, 1)["verdict"]
    assert v["correct"] and v["coverage"] > 0 and v["arithmetic"] == 0
    pool = [_sample(SLIP1, 0), _sample(incomplete, 1)]
    rows, _ = build_pairs("hard", "uniform", [PROBLEM], pool, PairsConfig(), TPL, 0)
    assert rows[0]["chosen"] == " " + REF and rows[0]["chosen_is_reference"]
    rows, _ = build_pairs("hard", "uniform", [PROBLEM], pool, PairsConfig(chosen_max_coverage=1.0), TPL, 0)
    assert rows[0]["chosen"] == " " + incomplete
