"""Split hygiene: no equation chain -- start value, ops and operands -- in two splits, whatever story
family or direction tells it."""
import re

from harness.data.synthetic import Difficulty, generate_splits

CLAIM = re.compile(r"(\d+) ([-+*/]) (\d+) = (\d+)")


def _chain_of(p: dict) -> str:
    """The chain read back from the text: the start value and every (op, operand) of the forward computation."""
    sol = p["solution"]
    if p["backward"]:
        undo = re.findall(r"Undoing '([-+*/]) (\d+)'", sol)
        start = int(re.search(r"The value of x is (\d+)", sol).group(1))
        return f"{start}|{[(o, int(a)) for o, a in reversed(undo)]}"
    claims = CLAIM.findall(sol)
    return f"{int(claims[0][0])}|{[(o, int(a)) for _, o, a, _ in claims]}"


def test_no_equation_chain_in_two_splits():
    s = generate_splits(6000, 500, 500, 0, Difficulty(max_operand=6, max_value=30, backward_rate=0.25))
    chains = {k: {_chain_of(p) for p in v} for k, v in s.items()}
    assert len(chains["test"]) > 100
    assert not chains["train"] & chains["test"]
    assert not chains["train"] & chains["validation"]
    assert not chains["validation"] & chains["test"]
