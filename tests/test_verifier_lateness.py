"""Issue 16: the 'too late' and 'too early' rules of the value-flow walk and of equations in unknowns."""
from verifier import MathVerifier

V = MathVerifier()


def test_an_equation_in_the_solutions_own_unknown_is_checked_at_the_reference_answer():
    q = ("A store sells 2 sandwiches for $3 and 4 for $6; prices are proportional. How much do 8 sandwiches cost?")
    sol = "The price is proportional.\n(3/2) = (x/8)\nCross multiplying, 2x = 12\nSo x = 6\nThe answer is: 6"
    v = V.verify(q, sol, reference_answer="12", reference_solution="3/2 = <<3/2=1.5>>1.5\n1.5*8 = <<1.5*8=12>>12\n#### 12")
    assert v.first_error_step == 2, v.reasons
    ok = "The price is proportional.\n(3/2) = (x/8)\nCross multiplying, 2x = 24\nSo x = 12\nThe answer is: 12"
    assert V.verify(q, ok, reference_answer="12").first_error_step is None


def test_systems_of_letters_are_not_misread_as_one_unknown():
    q = "Cats and dogs total 60 and there are 20 more cats than dogs. How many cats are there?"
    sol = ("Let c be cats and d be dogs. We know that c = 20 + d and c + d = 60\n20 + d + d = 60\n2d = 40\n"
           "d = 20, so c = 40\n#### 40")
    assert V.verify(q, sol, reference_answer="40").first_error_step is None
    q2 = "Agnes is 25 and Jane is 6. In how many years will Agnes be twice as old as Jane?"
    sol2 = "25 + x = 2(6 + x)\nx - 2x = 12 - 25\n-x = -13\nx = 13\n#### 13"
    assert V.verify(q2, sol2, reference_answer="13").first_error_step is None


def test_a_wrong_answer_equal_to_a_correct_intermediate_blames_the_step_stating_it():
    q = "Ann needs 65 roses a week. A month has 4 weeks and she is short 100 roses a month. How many does she grow a week?"
    ref = "65*4 = <<65*4=260>>260\n260-100 = <<260-100=160>>160\n160/4 = <<160/4=40>>40\n#### 40"
    sol = "65 * 4 = 260 roses a month.\n260 - 100 = 160 roses a month.\nSo she grows 160 roses every week.\nThe answer is: 160"
    v = V.verify(q, sol, reference_answer="40", reference_solution=ref)
    assert v.first_error_step == 2, v.reasons
