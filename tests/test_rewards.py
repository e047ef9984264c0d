"""The online-RL rewards (harness/rewards/) on hand-written completions: `correct` is evaluation's checker, and each
term of the `verifier` reward's formula (correct, flagged, slip, form) moves the score as its docstring says, while
what the planted flaw looks like (a wrong reading with true arithmetic) earns nothing."""
import dataclasses

import pytest

from harness.config import ConfigError, load_config
from harness.registry import get_reward, rewards

Q = ("Leo has $17 in a piggy bank. He earns $7 doing chores. He earns $9 doing chores. He spends $2 on a book. "
     "How many dollars does Leo have now?")
REF = ("After earning $7, he has 17 + 7 = 24 dollars.\nAfter earning $9, he has 24 + 9 = 33 dollars.\n"
       "After spending $2, he has 33 - 2 = 31 dollars.\nThe answer is: 31")
PROBLEM = {"question": Q, "answer": "31", "solution": REF}


def _text(*lines: str) -> str:
    return "\n".join(lines)


RIGHT = REF
RIGHT_THROUGH_A_FALSE_STEP = _text("After earning $7, he has 17 + 7 = 25 dollars.",
                                   "After earning $9, he has 24 + 9 = 33 dollars.",
                                   "After spending $2, he has 33 - 2 = 31 dollars.", "The answer is: 31")
SLIP = _text("After earning $7, he has 17 + 7 = 24 dollars.", "After earning $9, he has 24 + 9 = 32 dollars.",
             "After spending $2, he has 32 - 2 = 30 dollars.", "The answer is: 30")
MISREAD = _text("After earning $7, he has 17 + 7 = 24 dollars.", "After earning $9, he has 24 + 9 = 33 dollars.",
                "After earning $2, he has 33 + 2 = 35 dollars.", "The answer is: 35")  # the planted flaw: true sums
MISREAD_AND_SLIP = MISREAD.replace("33 + 2 = 35", "33 + 2 = 34").replace("is: 35", "is: 34")
OMISSION = _text("After earning $9, he has 17 + 9 = 26 dollars.", "After spending $2, he has 26 - 2 = 24 dollars.",
                 "The answer is: 24")
FAR = _text("After earning $7, he has 17 * 7 = 119 dollars.", "The answer is: 119")
NO_ANSWER = "After earning $7, he has"


@pytest.fixture(scope="module")
def cfg():
    return load_config(None)


def _score(cfg, name, text, **problem):
    return get_reward(name).fn(cfg)(text, {**PROBLEM, **problem})


def test_both_rewards_are_registered_with_what_they_read():
    assert {"correct", "verifier"} <= set(rewards())
    assert get_reward("correct").reads == ()
    assert {"grpo.flaw_penalty", "grpo.near_credit", "grpo.form_penalty", "verifier.*"} == set(
        get_reward("verifier").reads)


@pytest.mark.parametrize("text,want", [(RIGHT, 1.0), (RIGHT_THROUGH_A_FALSE_STEP, 1.0), ("The answer is: $31.00", 1.0),
                                       ("So Leo has 31 dollars.", 1.0), (SLIP, 0.0), (MISREAD, 0.0),
                                       (NO_ANSWER, 0.0), ("", 0.0)])
def test_correct_is_evaluations_checker(cfg, text, want):
    from verifier import answers_match, extract_answer
    assert _score(cfg, "correct", text) == want == float(answers_match("31", extract_answer(text)))


def test_verifier_correct_term_a_clean_right_answer_scores_one(cfg):
    assert _score(cfg, "verifier", RIGHT) == 1.0


def test_verifier_flagged_term_costs_flaw_penalty(cfg):
    assert _score(cfg, "verifier", RIGHT_THROUGH_A_FALSE_STEP) == pytest.approx(1 - cfg.grpo.flaw_penalty)
    other = dataclasses.replace(cfg, grpo=dataclasses.replace(cfg.grpo, flaw_penalty=0.2))
    assert _score(other, "verifier", RIGHT_THROUGH_A_FALSE_STEP) == pytest.approx(0.8)


def test_verifier_slip_term_credits_a_slip_on_the_reference_path(cfg):
    assert _score(cfg, "verifier", SLIP) == pytest.approx(cfg.grpo.near_credit)
    last = SLIP.replace("24 + 9 = 32", "24 + 9 = 33").replace("32 - 2 = 30", "33 - 2 = 30")
    assert _score(cfg, "verifier", last) == pytest.approx(cfg.grpo.near_credit)
    # no reference solution: the path is unknown, no credit; a far answer: none either
    assert _score(cfg, "verifier", SLIP, solution=None) == 0.0
    tight = dataclasses.replace(cfg, verifier=dataclasses.replace(cfg.verifier, near_distance=0.001))
    assert _score(tight, "verifier", SLIP) == 0.0


@pytest.mark.parametrize("text", [MISREAD, MISREAD_AND_SLIP, OMISSION, FAR],
                         ids=["misread", "misread_and_slip", "omission", "far"])
def test_verifier_gives_a_wrong_reading_nothing(cfg, text):
    """The planted flaws (a misread relation, an omitted step: true arithmetic, carried to the end) look like this;
    the slip credit never reaches them, even when the misread line also slips."""
    assert _score(cfg, "verifier", text) == 0.0


def test_verifier_form_term_costs_form_penalty(cfg):
    assert _score(cfg, "verifier", NO_ANSWER) == pytest.approx(-cfg.grpo.form_penalty)
    none = dataclasses.replace(cfg, grpo=dataclasses.replace(cfg.grpo, form_penalty=0.0))
    assert _score(none, "verifier", NO_ANSWER) == 0.0
    # a wrong answer cut off at the token limit is a form flaw too
    assert _score(cfg, "verifier", MISREAD, truncated=True) == pytest.approx(-cfg.grpo.form_penalty)


def test_verifier_orders_a_group_as_its_docstring_says(cfg):
    s = {n: _score(cfg, "verifier", t) for n, t in [("right", RIGHT), ("flagged", RIGHT_THROUGH_A_FALSE_STEP),
                                                      ("slip", SLIP), ("misread", MISREAD), ("none", NO_ANSWER)]}
    assert s["right"] > s["flagged"] > s["slip"] > s["misread"] > s["none"]


def test_a_slip_cannot_outscore_a_right_answer():
    with pytest.raises(ConfigError, match="grpo.near_credit=0.6: a wrong answer would outscore a right one"):
        load_config(None, ["grpo.flaw_penalty=0.5", "grpo.near_credit=0.6"])
