import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _steady_cpu_seconds(fn) -> float:
    """CPU time of one call, best of three with the caches cleared: per-solution cost, without a lazy
    library import (sympy grammars) or a garbage-collection pause that happens to land in the call."""
    from verifier.batch import clear_caches
    best = float("inf")
    for _ in range(3):
        clear_caches()
        t0 = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t0)
    return best


HOSTILE = [
    "__import__('os').system('touch /tmp/hardneg_pwned')\nThe answer is: 5",
    "So 9**9**9**9 = 3.\nThe answer is: 3",
    "We get " + "9" * 10_000 + " + 1 = 2\nThe answer is: 2",
    "(" * 5000 + "1+1" + ")" * 5000 + " = 2\nThe answer is: 2",
    "Thus ٣ + ٤ = ٧ and 3 + 4 = 7\nThe answer is: ٧",
    "a" * 1_000_000,
    ("12 + 5 = 17\n" * 20_000) + "The answer is: 17",
    "\\boxed{" * 3000 + "1" + "}" * 3000,
    "The answer is: \\frac{\\frac{\\frac{1}{2}}{3}}{" + "{" * 500,
    "<<" * 10_000 + "2+2=4" + ">>" * 10_000,
    "$" * 100_000 + "1 + 1 = 2",
    "1/0 = 5 and 0/0 = 0\n#### 5",
    "\x00\x01\x02 = \ufffd\nThe answer is: NaN",
    # model-written answers that once ran for seconds inside math-verify (issue 8)
    "So the answer is \\boxed{9^{9^{9}}}",
    "The answer is: 10^{10^{10}}",
    "The answer is: 1000000!",
    "The answer is: 7!!!!",
    "#### 9^9^9^9",
    "The answer is: (x+y+z)^{60}",
    "The answer is: \\frac{(x+1)(x+2)(x+3)(x+4)(x+5)(x+6)}{(x-1)(x-2)(x-3)(x-4)}",
    "The answer is: \\sum_{i=1}^{100000000} i",
    "The answer is: \\sqrt{" + "9" * 100 + "}",
    "The answer is: 2^{" + "9" * 40 + "}",
    "\\boxed{\\15} and 80 GB / 2 GB/minute = 39 and 2*(9+40) = 2*49 = 98",
    "Let x = 5.\nThen " + "(x+1)*" * 40 + "1 = 7\nThe answer is: x",
]


@pytest.fixture(scope="module")
def warm_verifier():
    v = MathVerifier()
    for sol, ref in [(r"\boxed{\frac{1}{2}}", r"\frac{1}{2}"), ("The answer is: x+1", "2"), ("\\boxed{y}", "\\pi")]:
        v.verify("q", sol, reference_answer=ref)  # math-verify/sympy initialize lazily on first use: not per-solution cost
    return v


@pytest.mark.parametrize("text", HOSTILE)
def test_verifier_survives_hostile_input_fast(text, tmp_path, warm_verifier):
    v = warm_verifier
    verdict = v.verify("Tom has 12 apples and gets 5 more. How many?", text, reference_answer="17")
    # numeric, symbolic and LaTeX-looking references (sets, tuples, fractions of powers): math-verify is reachable
    for ref in ("17", r"\\frac{\\pi}{2}", "x^2+1", r"\{1,2,3\}\cup\{4\}", r"\frac{(x+1)^{4}}{y}",
                r"\left( 3, \frac{\pi}{2} \right)"):
        assert _steady_cpu_seconds(lambda: v.verify("Tom has 12 apples and gets 5 more. What is the value of "
                                                    "unknown variable x?", text, reference_answer=ref)) < 0.05
    assert 0 <= verdict.wrongness <= 1 and 0 <= verdict.absurdity <= 1
    elapsed = _steady_cpu_seconds(lambda: v.verify("Tom has 12 apples and gets 5 more. How many?", text,
                                                   reference_answer="17"))
    assert elapsed < 0.05, f"{elapsed * 1000:.1f} ms"
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
def test_verifier_fuzz_stays_in_range_and_fast(solution, noise):
    v = _FUZZ_VERIFIER
    verdict = v.verify("A box has 12 pens. 3 are red. How many are not red?", solution + noise, reference_answer="9")
    assert _steady_cpu_seconds(lambda: v.verify("A box has 12 pens. 3 are red. How many are not red?", solution + noise,
                                                reference_answer="9")) < 0.05
    for k, x in verdict.profile().items():
        assert 0.0 <= x <= 1.0, k
    assert 0.0 <= verdict.wrongness <= 1.0 and 0.0 <= verdict.absurdity <= 1.0
