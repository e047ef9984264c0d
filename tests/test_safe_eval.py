from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostile_inputs import BOUND_SECONDS, HOSTILE, REFERENCES, steady_cpu_seconds
from verifier import EvalError, MathVerifier, safe_eval


@pytest.mark.parametrize("expr,value", [
    ("48/2", 24), ("25 + 18", 43), ("1,000 + 2.5", Fraction(2005, 2)), ("2**10", 1024), ("2^3", 8),
    ("-3*-2", 6), ("50%*20", 10), ("(1+2)*(3+4)", 21), (".5*4", 2), ("10 - 2 - 3", 5), ("12/4/3", 1),
])
def test_safe_eval_exact(expr, value):
    assert safe_eval(expr) == value


@pytest.mark.parametrize("expr", [
    "__import__('os').system('x')", "9**9**9**9", "1/0", "2**-9999", "1" * 10_000, "(" * 5000 + "1" + ")" * 5000,
    "1,00+2", "x*3", "", "3 4", "٣+٤", "1e9999", "lambda: 1", "[1,2]",
])
def test_safe_eval_rejects_hostile(expr):
    with pytest.raises(EvalError):
        safe_eval(expr)


@pytest.fixture(scope="module")
def warm_verifier():
    v = MathVerifier()
    for sol, ref in [(r"\boxed{\frac{1}{2}}", r"\frac{1}{2}"), ("The answer is: x+1", "2"), ("\\boxed{y}", "\\pi")]:
        v.verify("q", sol, reference_answer=ref)  # math-verify/sympy initialize lazily on first use: not per-solution cost
    return v


@pytest.mark.parametrize("text", HOSTILE)
def test_verifier_survives_hostile_input_bounded(text, tmp_path, warm_verifier):
    v = warm_verifier
    verdict = v.verify("Tom has 12 apples and gets 5 more. How many?", text, reference_answer="17")
    cases = [("Tom has 12 apples and gets 5 more. How many?", "17")]
    cases += [("Tom has 12 apples and gets 5 more. What is the value of unknown variable x?", ref) for ref in REFERENCES]
    for question, ref in cases:
        took = steady_cpu_seconds(lambda: v.verify(question, text, reference_answer=ref))
        assert took < BOUND_SECONDS, f"{took * 1000:.0f} ms against reference {ref!r}"
    assert 0 <= verdict.wrongness <= 1 and 0 <= verdict.absurdity <= 1
    assert not (tmp_path.parent / "hardneg_pwned").exists()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_safe_eval_never_raises_anything_but_evalerror(s):
    try:
        v = safe_eval(s)
    except EvalError:
        return
    assert isinstance(v, Fraction)


_FUZZ_VERIFIER = MathVerifier()
for _sol, _ref in [(r"\boxed{\frac{1}{2}}", r"\frac{1}{2}"), ("The answer is: x+1", "2"), ("\\boxed{y}", "\\pi")]:
    _FUZZ_VERIFIER.verify("q", _sol, reference_answer=_ref)
_tokens = st.sampled_from(["1", "12", "3.5", "1,000", "+", "-", "*", "/", "^", "**", "(", ")", "%", " ", "=", "x",
                           "$", "\\frac{1}{2}", "<<2*3=6>>", "\n", "The answer is: ", "#### ", "\\boxed{", "}"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_tokens, max_size=80).map("".join), st.text(max_size=60))
def test_verifier_fuzz_stays_in_range_and_bounded(solution, noise):
    v = _FUZZ_VERIFIER
    verdict = v.verify("A box has 12 pens. 3 are red. How many are not red?", solution + noise, reference_answer="9")
    assert steady_cpu_seconds(lambda: v.verify("A box has 12 pens. 3 are red. How many are not red?", solution + noise,
                                               reference_answer="9")) < BOUND_SECONDS
    for k, x in verdict.profile().items():
        assert 0.0 <= x <= 1.0, k
    assert 0.0 <= verdict.wrongness <= 1.0 and 0.0 <= verdict.absurdity <= 1.0
