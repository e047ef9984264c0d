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


def test_a_value_on_the_path_only_by_coincidence_is_off_the_path():
    q = "Finley starts a race in 1st place, falls back 5 spots, moves ahead 2, falls back 3 and moves ahead 1. What place?"
    ref = "1+5 = <<1+5=6>>6\n6-2 = <<6-2=4>>4\n4+3 = <<4+3=7>>7\n7-1 = <<7-1=6>>6\n#### 6"
    sol = ("She started 1st.\nShe fell back 5 spots, so she was in 1 - 5 = -4th place.\nShe moved ahead 2, so she was "
           "in -4 + 2 = -2nd place.\nShe fell back 3, so she was in -2 + 3 = 1st place.\nShe moved ahead 1, so she "
           "was in 1 + 1 = 2nd place.\nThe answer is: 2")
    v = V.verify(q, sol, reference_answer="6", reference_solution=ref)
    assert v.first_error_step == 1, v.reasons
    # a product the reference writes, reached from an off-path value by another operation, is a coincidence
    q2 = "Ann buys 3 boxes of 4 pens and 2 more pens. How many pens?"
    ref2 = "3*4 = <<3*4=12>>12\n12+2 = <<12+2=14>>14\n#### 14"
    sol2 = "She has 3 + 3 = 6 boxes.\nThat is 6 + 6 = 12 pens.\nWith the rest, 12 + 4 = 16.\nThe answer is: 16"
    v = V.verify(q2, sol2, reference_answer="14", reference_solution=ref2)
    assert v.first_error_step == 0, v.reasons


def test_an_alternative_route_that_recombines_into_reference_values_stays_clean():
    q = "Ann has 5 red, 7 blue and 3 green pens. She gives away 4. How many pens are left?"
    ref = "5+7 = <<5+7=12>>12\n12+3 = <<12+3=15>>15\n15-4 = <<15-4=11>>11\n#### 11"
    sol = "5 + 3 = 8 red and green.\n8 + 7 = 15 pens.\n15 - 4 = 12 left.\nThe answer is: 12"
    v = V.verify(q, sol, reference_answer="11", reference_solution=ref)
    assert v.first_error_step == 2, v.reasons
    q2 = "An hour of video uses 20 kb per second. How many kb per hour?"
    sol2 = "60 * 60 = 3600 seconds in an hour.\n20 * 3600 = 72000 kb... so 7200 kb.\nThe answer is: 7200"
    ref2 = "20*60 = <<20*60=1200>>1200 per minute\n1200*60 = <<1200*60=72000>>72000\n#### 72000"
    v = V.verify(q2, sol2, reference_answer="72000", reference_solution=ref2)
    assert v.first_error_step == 1, v.reasons


def test_reference_free_mode_checks_equations_at_the_solutions_own_answer():
    q = "Sally has 15 red, x green and 6 yellow balloons, 32 + x in all. She carries 34. What is the value of unknown variable x?"
    sol = "15 + 6 + 6 + 5 = 32 balloons.\nSo 32 + 2x = 34.\nSolving, x = 2.\nThe answer is: 2"
    v = V.verify(q, sol)
    assert v.mode == "free" and v.first_error_step == 1, v.reasons
    ok = "15 + 6 + 6 + 5 = 32 balloons.\nSo 32 + x = 34.\nSolving, x = 2.\nThe answer is: 2"
    assert V.verify(q, ok).first_error_step is None


def test_an_off_path_value_that_is_dropped_still_counts_when_it_comes_first():
    q = "Ann has 3 bags of 4 apples and eats 2. How many apples are left?"
    ref = "3*4 = <<3*4=12>>12\n12-2 = <<12-2=10>>10\n#### 10"
    sol = "She has 3 + 4 = 7 apples.\nWith those 7 she has 12 apples in all.\n12 - 3 = 9 are left.\nThe answer is: 9"
    v = V.verify(q, sol, reference_answer="10", reference_solution=ref)
    assert v.first_error_step == 0, v.reasons


def test_a_negative_result_stated_as_a_positive_answer_keeps_the_walk_back():
    q = "Ann pays $90 for a bike and sells it for $50. How much money does she lose?"
    ref = "90-50 = <<90-50=40>>40\n#### 40"
    sol = "She sells it for 2 * 50 = 100 dollars.\nShe loses 90 - 100 = -10 dollars.\nSo she lost $10.\nThe answer is: 10"
    v = V.verify(q, sol, reference_answer="40", reference_solution=ref)
    assert v.first_error_step == 0, v.reasons


def test_an_expression_in_the_unknown_is_walked_at_the_reference_value():
    q = "Dale has x candies. He orders 100 more and then sells 50, leaving 130. What is the value of unknown variable x?"
    ref = "x + 100 - 50 = 130\nx + 50 = 130\nx = 80\n#### 80"
    sol = ("He orders 100 more, so he has x + 100 candies.\nAfter selling he has x + 100 + 50 candies.\n"
           "So x + 150 = 130.\nx = 130 - 150 = -20\nThe answer is: -20")
    v = V.verify(q, sol, reference_answer="80", reference_solution=ref)
    assert v.first_error_step == 1, v.reasons  # x + 100 + 50 is 230 at x = 80; the reference never reaches it
    ok = ("He orders 100 more, so he has x + 100 candies.\nAfter selling he has x + 100 - 50 candies.\n"
          "So x + 50 = 130.\nx = 130 - 50 = 80\nThe answer is: 80")
    assert V.verify(q, ok, reference_answer="80", reference_solution=ref).first_error_step is None


def test_a_correct_value_computed_again_by_another_route_and_given_as_the_answer_blames_the_recomputation():
    q = ("John boats 6 hours and swims half that time. He watches 3 shows of 2 hours each. That was 30% of his time. "
         "He spent 40% of his time sightseeing. How many hours did he spend sightseeing?")
    ref = "6/2=<<6/2=3>>3\n3*2=<<3*2=6>>6\n6+3+6=<<6+3+6=15>>15\n15/.3=<<15/.3=50>>50\n50*.4=<<50*.4=20>>20\n#### 20"
    sol = ("Swimming takes 6/2 = 3 hours.\nThe shows take 3 * 2 = 6 hours.\nThese add to 6 + 3 + 6 = 15 hours.\n"
           "Sightseeing is 15 * 0.4 = 6 hours.\nSo he spent 6 hours sightseeing.\nThe answer is: 6")
    v = V.verify(q, sol, reference_answer="20", reference_solution=ref)
    assert v.first_error_step == 3, v.reasons


def test_a_correct_intermediate_named_as_the_asked_quantity_blames_the_step_naming_it():
    q = ("Benny threw 2 pieces at each red balloon and 3 at each yellow balloon, 58 pieces in all. 20 balloons were "
         "red. How many yellow balloons were there?")
    ref = "2*20=<<2*20=40>>40\n58-40=<<58-40=18>>18\n18/3=<<18/3=6>>6\n#### 6"
    sol = "The number of yellow balloons is 58 - 2 * 20 = 58 - 40 = 18.\nSo there were 18 of them.\nThe answer is: 18"
    v = V.verify(q, sol, reference_answer="6", reference_solution=ref)
    assert v.first_error_step == 0, v.reasons


def test_a_dropped_value_never_mentioned_again_is_a_dead_end_not_the_deviation():
    q = "Ann and Bo each have 100 candies. Ann eats 4 a day and Bo eats 3 a day. After 14 days, how many more does Bo have?"
    ref = "4-3=<<4-3=1>>1\n1*14=<<1*14=14>>14\n#### 14"
    sol = ("After a day Ann has 100 - 4 = 96 left.\nAnn eats 4 * 14 = 56.\nBo eats 3 * 14 = 42.\n"
           "Bo has 100 - 42 = 58 left.\nSo Bo has 58 - 56 = 2 more.\nThe answer is: 2")
    v = V.verify(q, sol, reference_answer="14", reference_solution=ref)
    assert v.first_error_step == 1, v.reasons
    # mentioned again, even rounded or with its sign dropped, it still counts
    sol2 = "She has 8 / 1.5 = 5.33 bags.\nShe keeps 5 bags.\nThe answer is: 5"
    v = V.verify("Ann has 8 kg in bags of 1.5 kg and buys 4 more bags. How many bags?", sol2, reference_answer="9",
                 reference_solution="8/1.5 = <<8/1.5=5>>5\n5+4=<<5+4=9>>9\n#### 9")
    assert v.first_error_step is not None


def test_a_given_number_derived_again_from_derived_values_is_a_coincidence():
    q = "Mia is 40 and Emma is 16 years older. What is the average of their ages?"
    ref = "40+16=<<40+16=56>>56\n56+40=<<56+40=96>>96\n96/2=<<96/2=48>>48\n#### 48"
    sol = "Emma is 40 + 16 = 56.\nTheir age difference is 56 - 40 = 16.\nThe average is 16 / 2 = 8.\nThe answer is: 8"
    v = V.verify(q, sol, reference_answer="48", reference_solution=ref)
    assert v.first_error_step == 1, v.reasons


def test_a_reference_expression_without_its_result_still_derives_it():
    from verifier.localize import expression_runs, reference_operations
    assert [v for v, _ in expression_runs("so (1/4)*12 boys are on varsity, and 12 + x girls")] == [3]
    assert 3 in reference_operations("One-fourth of the boys, (1/4)*12 boys, are on varsity.")


def test_without_a_reference_solution_a_negative_quantity_or_a_declared_doubt_is_flagged():
    q = "A farmer makes 5 bales an hour and a truck takes 3 an hour. After 6 hours, how many bales are in the field?"
    sol = ("The farmer makes 5 * 6 = 30 bales.\nThe truck takes 3 * 6 = 18 bales.\nTogether that is 30 + 18 = 48 bales.\n"
           "So 30 - 48 = -18 bales are left.\nThe answer is: 18")
    for ref in ("12", None):
        v = V.verify(q, sol, reference_answer=ref)
        assert v.first_error_step == 3 and any("negative" in r for r in v.reasons), v.reasons
    q2 = "Shawna is 9. Her father is five times as old as Shawna. How old is her father?"
    sol2 = "Her father is 9 / 5 = 1.8 years old.\nWe can't have a fraction of a year, so he is 2.\nThe answer is: 2"
    v = V.verify(q2, sol2)
    assert v.mode == "free" and v.first_error_step == 0, v.reasons
    # a question about a loss may have negative values; a doubt restated from the question is none
    assert V.verify("Ann had $5 and lost $8. What is her balance?", "5 - 8 = -3\nThe answer is: -3").first_error_step is None
    assert V.verify("3 of 10 runners couldn't finish. How many finished?", "10 - 3 = 7 couldn't finish... no, 7 finished.\n"
                    "The answer is: 7").first_error_step is None
