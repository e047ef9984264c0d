"""Issue 16: misreads of the text itself and false computations that were skipped, one made-up example each."""
from fractions import Fraction

from verifier import MathVerifier, extract_answer
from verifier.steps import claims_in


def _claims(line):
    return [(c.lhs.replace(" ", ""), c.stated, c.ok) for c in claims_in(0, line)]


def _clean(q, sol, ref):
    v = MathVerifier().verify(q, sol, reference_answer=ref)
    assert v.correct and v.first_error_step is None and v.arithmetic == 0 and v.consistency == 0, v.reasons
    return v


def test_latex_fraction_after_equals_is_a_fraction_not_its_numerator():
    assert [(s, ok) for _, s, ok in _claims(r"$1 - \frac{1}{4} = \frac{3}{4}$")] == [(Fraction(3, 4), True)]
    assert [ok for *_, ok in _claims(r"$1 - \frac{1}{4} = \frac{2}{4}$")] == [False]


def test_unicode_vulgar_fraction_times_a_fraction():
    assert [(s, ok) for _, s, ok in _claims("¾ x 3/3 = 9/12")] == [(Fraction(3, 4), True)]
    assert [(s, ok) for _, s, ok in _claims("1½ + 2 = 3.5")] == [(Fraction(7, 2), True)]


def test_money_with_a_slash_and_chained_running_sums():
    cs = _claims("$3/2 = $1.50+$3.00=$4.50")
    assert all(ok for *_, ok in cs) and {s for _, s, _ in cs} == {Fraction(3, 2), Fraction(9, 2)}


def test_scientific_notation_is_one_number():
    assert [(s, ok) for _, s, ok in _claims("1.5e3 * 2 = 3000")] == [(3000, True)]
    assert [(s, ok) for _, s, ok in _claims("4 * 2.5E-2 = 0.1")] == [(Fraction(1, 10), True)]


def test_hex_looking_literal_is_not_a_product():
    assert _claims("the code 0x1F = 31") == []
    assert _claims("0x10 = 16") == []


def test_juxtaposed_product_derives_its_intermediate():
    assert _claims("4(3) - 5 = 12 - 5 = 7")[0][1:] == (7, True)
    _clean("Ann buys 4 packs of 3 pens and loses 5. How many pens are left?",
           "She has 4(3) - 5 = 12 - 5 = 7 pens.\nThe answer is: 7", "7")


def test_number_words_are_sourced():
    _clean("Tom has forty-two marbles and gives away 5. How many are left?", "42 - 5 = 37\nThe answer is: 37", "37")
    _clean("Eggs come in cartons. Ann buys a dozen and breaks 3. How many are whole?",
           "A dozen is 12, so 12 - 3 = 9.\nThe answer is: 9", "9")
    _clean("Ann has 30 pens and gives half of them to Bo. How many does she keep?",
           "Half of 30 is 30 / 2 = 15.\nThe answer is: 15", "15")
    _clean("Ann has two dozen eggs and uses 5. How many are left?", "24 - 5 = 19\nThe answer is: 19", "19")
    _clean("A pie has 12 slices and three quarters are eaten. How many slices are eaten?",
           "3/4 * 12 = 9\nThe answer is: 9", "9")


def test_units_inside_boxed_do_not_make_a_right_answer_wrong():
    q = "Ann walks 18 km. How far?"
    for box in (r"\boxed{18 \text{ km}}", r"\boxed{18\text{ km}^2}", r"\boxed{18 \, \text{km}}", r"\boxed{18 km}",
                r"\boxed{\$18}", r"\boxed{18\%}"):
        v = MathVerifier().verify(q, "She walks 18 km.\nSo " + box, reference_answer="18")
        assert v.correct, box
    assert not MathVerifier().verify(q, r"\boxed{18 + 2 \text{ km}}", reference_answer="18").correct


def test_a_finished_last_sentence_stating_the_total_is_a_final_answer():
    q = "Ann buys 3 pens at $5 each and a book for $30. How much does she spend?"
    v = MathVerifier().verify(q, "Pens cost 3 * 5 = 15.\nIn total, she spent 15 + 30 = $45.", reference_answer="45")
    assert v.correct and v.form == 0, v.reasons
    v = MathVerifier().verify(q, "Pens cost 3 * 5 = 15.\nThe total is 15 + 30 = 45.", reference_answer="45")
    assert v.form == 0, v.reasons


def test_boxed_money_answer_after_equals_is_a_computation():
    assert _claims(r"$12 \times 3 = \boxed{\$36}$") == [("12*3", 36, True)]
    assert _claims(r"$12 \times 3 = \boxed{\$35}$")[0][2] is False


def test_division_by_zero_is_a_false_claim():
    for line in ("5 / 0 = 0", "0 / 0 = 1"):
        cs = claims_in(0, line)
        assert len(cs) == 1 and not cs[0].ok, line
    v = MathVerifier().verify("q", "So 5 / 0 = 0.\nThe answer is: 0", reference_answer="0")
    assert v.arithmetic == 1 and v.first_error_step == 0 and any("undefined" in r for r in v.reasons)


def test_a_power_tower_too_large_to_evaluate_is_still_checked():
    assert [ok for *_, ok in _claims("2^2^2^2^2^2 = 4")] == [False]
    assert [ok for *_, ok in _claims("2^2^2 = 16")] == [True]


def test_full_width_digits_are_read():
    assert _claims("３ + ４ = ７") == [("3+4", 7, True)]
    assert _claims("３ + ４ = ８")[0][2] is False


def test_long_solutions_keep_their_final_answer():
    q = "Ann has 2 apples and buys 2 more. How many apples does she have?"
    long_chars = "She thinks. " * 2000 + "\n2 + 2 = 4\nThe answer is: 4"
    long_lines = "She thinks about it.\n" * 300 + "2 + 2 = 4\nThe answer is: 4"
    for sol in (long_chars, long_lines):
        v = MathVerifier().verify(q, sol, reference_answer="4")
        assert v.pred_answer == "4" and v.correct


def test_answer_extractor_never_returns_the_phrase():
    assert extract_answer("The answer is: \nThe answer is: 7") == "7"
    assert extract_answer("The answer is: The answer is: 7") == "7"
    assert extract_answer("#### The answer is: 7") == "7"


def test_a_prose_reference_answer_falls_back_to_the_reference_solutions_answer():
    q = "Ann has x apples and buys 3 more; now she has 8. What is the value of unknown variable x?"
    ref = "x + 3 = 8\nx = 5\nThe value of x is 5."
    v = MathVerifier().verify(q, "x + 3 = 8, so x = 5.\nThe answer is: 5", reference_answer="Let's think step by step.",
                              reference_solution=ref)
    assert v.correct and v.first_error_step is None, v.reasons
    v = MathVerifier().verify(q, "x + 8 = 3... x = 6\nThe answer is: 6", reference_answer="Let's think step by step.",
                              reference_solution=ref)
    assert not v.correct
    assert MathVerifier().verify("Name the color.", "It is red.\nThe answer is: red", reference_answer="red",
                                 reference_solution="Red.").correct


def test_an_answer_with_a_unit_or_percent_keeps_its_number_and_the_walk_back():
    from verifier.answers import to_number
    assert to_number("5 hours") == 5 and to_number("18 km^2") == 18 and to_number("2 million") == 2_000_000
    assert to_number("5 hours and 30 minutes") is None and to_number("x = 5") is None
    q = "Ann walks 2 hours a day for 3 days and then 1 more hour. How many hours does she walk?"
    ref = "2 * 3 = <<2*3=6>>6\n6 + 1 = <<6+1=7>>7\n#### 7"
    v = MathVerifier().verify(q, "She walks 2 * 4 = 8 hours.\nThen 8 + 1 = 9 hours.\nThe answer is: 9 hours",
                              reference_answer="7", reference_solution=ref)
    assert not v.correct and v.first_error_step == 0, v.reasons


def test_operators_in_words_between_numbers_are_read():
    assert _claims("5 times 3 equals 15") == [("5*3", 15, True)]
    assert _claims("So 12 plus 8 equals 21.")[0][2] is False
    assert _claims("The $15 is 1 - 1/4 = 3/4 of the money.") == [("1-1/4", Fraction(3, 4), True)]


def test_math_verify_is_warmed_when_the_verifier_is_built_so_no_row_pays_it():
    import subprocess
    import sys
    code = ("import time\nfrom verifier import MathVerifier\nv = MathVerifier()\nc = time.process_time()\n"
            "assert v.verify('q', r'The answer is: \\frac{\\pi}{2}', reference_answer=r'\\pi/2').correct\n"
            "print(time.process_time() - c)")  # unequal strings: math-verify itself decides
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # warm, this call costs ~40 ms; cold, math-verify's first call adds ~350 ms. The bound sits between them with
    # room either side for a slower or loaded CI core.
    assert float(out.stdout.strip().splitlines()[-1]) < 0.2
