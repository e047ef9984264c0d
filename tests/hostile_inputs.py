"""Hostile model-written solutions and the reference answers they are checked against: shared by the verifier's
robustness tests (tests/test_safe_eval.py) and its worst-case timing benchmark (benchmarks/verifier_hostile.py)."""
import time

# What "bounded" means in a unit test: a hostile input that reaches an unbounded path (a tower of powers, a
# factorial, a 10,000-digit rewrite) costs seconds; an ordinary one costs milliseconds. The per-solution budget
# itself (50 ms worst case) is a speed target, measured by benchmarks/verifier_hostile.py, not asserted here:
# a loaded CI core once read 55 ms for a 30 ms call.
BOUND_SECONDS = 0.5


def steady_cpu_seconds(fn) -> float:
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
    # model-written answers that once ran for seconds inside math-verify
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

# numeric, symbolic and LaTeX-looking references (sets, tuples, fractions of powers): math-verify is reachable
REFERENCES = ("17", r"\\frac{\\pi}{2}", "x^2+1", r"\{1,2,3\}\cup\{4\}", r"\frac{(x+1)^{4}}{y}",
              r"\left( 3, \frac{\pi}{2} \right)")
