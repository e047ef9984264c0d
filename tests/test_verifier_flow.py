"""Value-flow localization, reference-free mode, equations at the true unknown, false-flag rules (hand-written)."""
from verifier import MathVerifier

V = MathVerifier()

Q = ("Isaias wants a profit of $2000. He sells 3/5 of his 300 chickens at $50 each. "
     "For how much money did he buy the chickens he took to the market?")
REF = ("Isaias sells 3/5*300 = <<3/5*300=180>>180 chickens.\nHe sells them for $50*180 = $<<50*180=9000>>9000\n"
       "He bought them for $9000-$2000 = $<<9000-2000=7000>>7000.\n#### 7000")


def test_wrong_plan_with_correct_arithmetic_is_located_at_the_plan_step():
    sol = ("He sells 300 * 3/5 = 180 chickens.\nHe makes 180 * $50 = $9000.\n"
           "To make a profit of $2000 he needs $9000 + $2000 = $11000.\nSo he bought the chickens for $11000.\n"
           "The answer is: 11000")
    v = V.verify(Q, sol, reference_answer="7000", reference_solution=REF)
    assert v.arithmetic == 0 and not v.correct and v.mode == "reference"
    assert v.first_error_step == 2  # not the answer line (4), not the conclusion (3)
    assert v.coverage > 0 and any("off the reference's path" in r for r in v.reasons)


def test_left_out_quantity_is_located_where_the_total_is_formed():
    q = "Tom buys 3 pens at $2 each, 2 books at $5 each and a bag for $7. How much does he spend?"
    ref = "Pens cost 3*2 = <<3*2=6>>6.\nBooks cost 2*5 = <<2*5=10>>10.\nIn all 6+10+7 = <<6+10+7=23>>23.\n#### 23"
    sol = "The pens cost 3 * 2 = 6 dollars.\nThe books cost 2 * 5 = 10 dollars.\nHe spends 6 + 10 = 16 dollars.\nThe answer is: 16"
    v = V.verify(q, sol, reference_answer="23", reference_solution=ref)
    assert v.first_error_step == 2 and v.arithmetic == 0
    assert any("never used: 7" in r for r in v.reasons)


def test_alternative_correct_route_stays_clean():
    q = "Tom buys 3 pens at $2 each, 2 books at $5 each and a bag for $7. How much does he spend?"
    ref = "Pens cost 3*2 = <<3*2=6>>6.\nBooks cost 2*5 = <<2*5=10>>10.\nIn all 6+10+7 = <<6+10+7=23>>23.\n#### 23"
    # another order: bag and pens first (13 is never written by the reference), then the books
    sol = "Pens and bag: 3 * 2 + 7 = 13 dollars.\nThe books cost 2 * 5 = 10 dollars.\nIn all 13 + 10 = 23 dollars.\nThe answer is: 23"
    v = V.verify(q, sol, reference_answer="23", reference_solution=ref)
    assert v.correct and v.first_error_step is None and v.consistency == 0 and v.arithmetic == 0
    # a wrong last step after the alternative route: the route's 13 is vouched for by no on-path child, but the
    # earliest off-path value the answer depends on is still the wrong sum, not the partial sum
    bad = sol.replace("13 + 10 = 23", "13 * 10 = 130").replace(": 23", ": 130")
    w = V.verify(q, bad, reference_answer="23", reference_solution=ref)
    assert not w.correct and w.first_error_step in (0, 2)


def test_reference_free_mode_reports_mode_and_internal_checks():
    q = "Ann has 12 apples and buys 8 more. She eats 5. How many are left?"
    used_early = "She eats 5, so 20 - 5 = 15 apples are left.\nShe had 12 + 8 = 20 apples.\nThe answer is: 15"
    v = V.verify(q, used_early)
    assert v.mode == "free" and v.first_error_step == 0 and v.consistency > 0
    assert any("before step 1 derives it" in r for r in v.reasons)
    nowhere = "She had 12 + 8 = 20 apples.\nShe eats 5, so 20 - 17 = 3 apples are left.\nThe answer is: 3"
    v = V.verify(q, nowhere)
    assert v.first_error_step == 1 and any("neither in the question" in r for r in v.reasons)
    mismatch = "She had 12 + 8 = 20 apples.\nShe eats 5, so 20 - 5 = 15 apples are left.\nThe answer is: 14"
    v = V.verify(q, mismatch, reference_answer="15")
    assert v.mode == "answer" and v.first_error_step == 2


def test_equations_in_the_unknown_must_hold_at_its_true_value():
    q = ("Mazie has 52 marbles and gives them to twins, Dallas and Darla. If Dallas has a total of x marbles after "
         "dropping 4 of them, Mazie gave 27 to Darla. What is the value of unknown variable x?")
    sol = ("Mazie has 52 marbles.\nShe gives 27 to Darla, so 52 - 27 = 25 are left.\nDallas has x after dropping 4.\n"
           "So we can set up the equation x - 4 + 27 = 52.\nSimplifying, x + 23 = 52.\nSo x = 29.\nThe answer is: 29")
    v = V.verify(q, sol, reference_answer="21")
    assert v.first_error_step == 3 and v.consistency > 0
    assert any("false at x = 21" in r for r in v.reasons)
    good = sol.replace("x - 4 + 27 = 52", "x + 4 + 27 = 52").replace("x + 23 = 52", "x + 31 = 52").replace("29", "21")
    assert V.verify(q, good, reference_answer="21").first_error_step is None


def test_a_last_sentence_stating_the_asked_quantity_is_an_answer():
    q = "Raymond had $20 and spent $12 on a game. How much money does Raymond have left?"
    v = V.verify(q, "He spent 12, so 20 - 12 = 8.\nSo Raymond has $8 left.", reference_answer="8")
    assert v.form == 0 and v.correct and v.first_error_step is None
    cut = V.verify(q, "He spent 12, so 20 - 12 = 8.\nSo Raymond has $8 le", reference_answer="8")
    assert cut.form == 1  # a sentence cut off mid-way is no answer


def test_restated_givens_are_not_a_repetition_loop():
    q = "Sam has 3 cats and 4 dogs. How many pets does Sam have?"
    sol = "Sam has 3 cats.\nSam has 4 dogs.\nSam has 3 cats.\nIn all 3 + 4 = 7 pets.\nThe answer is: 7"
    assert V.verify(q, sol, reference_answer="7").form == 0
    loop = "Sam has 3 cats.\n" * 4 + "In all 3 + 4 = 7 pets.\nThe answer is: 7"
    assert V.verify(q, loop, reference_answer="7").form == 1
