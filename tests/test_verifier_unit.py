from verifier import MathVerifier, VerifierConfig
from harness.synthetic import Difficulty, generate_splits

Q = "Tom has 25 marbles. He finds 18 more. Then he gives 7 to a friend. How many marbles does Tom have now?"
GOOD = "He finds 18 more, so he has 25 + 18 = 43 marbles.\nHe gives away 7, so he has 43 - 7 = 36 marbles.\nThe answer is: 36"


def test_clean_solution_scores_zero():
    v = MathVerifier().verify(Q, GOOD, reference_answer="36")
    assert v.correct and v.wrongness == 0 and v.absurdity == 0 and v.first_error_step is None
    assert not v.hard_negative


def test_arithmetic_slip_is_located_and_is_a_hard_negative():
    bad = GOOD.replace("25 + 18 = 43", "25 + 18 = 45").replace("43 - 7 = 36", "45 - 7 = 38").replace(": 36", ": 38")
    v = MathVerifier().verify(Q, bad, reference_answer="36")
    assert not v.correct and v.arithmetic == 0.5 and v.first_error_step == 0
    assert v.distance < 0.1 and v.hard_negative
    assert any("should be 43" in r for r in v.reasons)


def test_changed_carry_is_a_consistency_error():
    bad = GOOD.replace("43 - 7 = 36", "34 - 7 = 27").replace(": 36", ": 27")
    v = MathVerifier().verify(Q, bad, reference_answer="36")
    assert v.consistency > 0 and v.first_error_step == 1
    assert any("changes the earlier result 43" in r for r in v.reasons)


def test_absurd_answer_is_not_a_hard_negative():
    bad = GOOD.replace(": 36", ": -3600")
    v = MathVerifier().verify(Q, bad, reference_answer="36")
    assert v.absurdity >= 0.5 and not v.hard_negative


def test_config_thresholds_change_the_predicate():
    bad = GOOD.replace("43 - 7 = 36", "43 - 7 = 26").replace(": 36", ": 26")
    loose = MathVerifier().verify(Q, bad, reference_answer="36")
    strict = MathVerifier(VerifierConfig(near_distance=0.01)).verify(Q, bad, reference_answer="36")
    assert loose.hard_negative and strict.hard_negative  # a single localized error still counts as near
    assert MathVerifier(VerifierConfig(max_absurdity=0.0)).verify(Q, "The answer is: -5", reference_answer="36").hard_negative is False


def test_synthetic_references_are_clean_and_backward_solved_exactly():
    splits = generate_splits(400, 20, 20, 3, Difficulty(backward_rate=0.5))
    rows = splits["train"]
    assert any(r["backward"] for r in rows)
    vs = MathVerifier().verify_batch([{"question": r["question"], "solution": r["solution"],
                                       "reference_answer": r["answer"]} for r in rows])
    assert all(v.correct for v in vs)
    assert all(v.arithmetic == 0 for v in vs)
    assert sum(v.wrongness == 0 for v in vs) / len(vs) >= 0.98


def test_batch_equals_serial():
    items = [{"question": Q, "solution": GOOD.replace("36", str(36 + i)), "reference_answer": "36"} for i in range(300)]
    v = MathVerifier()
    assert [x.to_dict() for x in v.verify_batch(items, workers=2)] == [
        v.verify(**it).to_dict() for it in items]
