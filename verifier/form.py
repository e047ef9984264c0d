"""The `form` dimension: a missing final answer, truncation, repetition loops, implausible answers."""
from __future__ import annotations

import re
from fractions import Fraction

EXPLICIT_ANSWER = re.compile(r"The answer is|^####|\\boxed|The value of (?:the unknown variable )?x is", re.I | re.M)
_COUNT_Q = re.compile(r"\bhow many\b", re.I)
_ASK = re.compile(r"(?:how (?:many|much|long|far|old|often)|what|which|find|calculate|determine)\b([^?.]*)\?", re.I)
_STOP = frozenset("""the a an of to in on at for and or is are was were be been does did do will would can could
should has have had how many much what which who whom whose that this these those there their his her its they he she
it we you your our if then than as by with from into after before each per every all total number amount left
more less times""".split())


_CONCLUDES = re.compile(r"\b(?:in total|total(?:s|ling|ing)? (?:is|are|was|of|comes? to)|altogether|in all|overall)\b",
                        re.I | re.ASCII)


def _words(text: str) -> set[str]:
    """Content words cut to four letters: 'spent' answers 'spend', 'earns' answers 'earned'."""
    return {w[:4] for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in _STOP and w.rstrip("s") not in _STOP}


def states_asked_quantity(question: str, last_step: str) -> bool:
    """The last step states a number about what the question asks ('So Raymond has $8 left.' for 'How much money
    does Raymond have left?'): a finished sentence with a number and a content word of the question's ask clause."""
    if not re.search(r"\d", last_step) or not re.search(r"[.!]['\")\s]*$", last_step):
        return False  # a sentence cut off mid-way (a truncated generation) states nothing
    if _CONCLUDES.search(last_step):  # 'In total, she spent $45.': a stated total is a final answer
        return True
    asks = _ASK.findall(question[-600:])
    return bool(asks and _words(asks[-1]) & _words(last_step))


def states_final_answer(question: str, steps: list[str], pred: str | None) -> bool:
    """An explicit answer phrase, or a last sentence that states the asked quantity."""
    return any(EXPLICIT_ANSWER.search(s) for s in steps) or bool(
        steps and pred is not None and states_asked_quantity(question, steps[-1]))


def form_score(question: str, steps: list[str], pred: str | None, pred_num: Fraction | None, q_nums: set,
               given: set[str], truncated: bool, magnitude_factor: float, reasons: list[str]):
    """(score, first flawed step or None). Repeated lines that only restate the question's givens ('She has 3
    cats.' listed twice) are not a loop unless they repeat three times or more."""
    score, step = 0.0, None
    explicit = any(EXPLICIT_ANSWER.search(s) for s in steps)
    if truncated:
        score, step = 1.0, max(len(steps) - 1, 0)
        reasons.append("generation was truncated" if explicit else "no explicit final answer (truncated)")
    elif not states_final_answer(question, steps, pred):
        score, step = 1.0, max(len(steps) - 1, 0)
        reasons.append("no explicit final answer")
    counts: dict[str, int] = {}
    first_repeat: dict[str, int] = {}
    for i, s in enumerate(steps):
        if len(s) >= 8:
            counts[s] = counts.get(s, 0) + 1
            if counts[s] == 2:
                first_repeat[s] = i
    loops = {s: n for s, n in counts.items() if n >= 3 or (n == 2 and not _restates_givens(s, given))}
    if loops:
        step = min([first_repeat[s] for s in loops] + ([step] if step is not None else []))
    reps = max(loops.values(), default=1)
    if reps >= 3:
        score = 1.0
        reasons.append(f"repetition loop: a line repeated {reps} times")
    elif reps == 2:
        score = max(score, 0.5)
        reasons.append("a line is repeated")
    if pred_num is not None:
        big = max(q_nums, default=Fraction(10))
        if _COUNT_Q.search(question) and (pred_num < 0 or pred_num.denominator != 1):
            score = 1.0
            reasons.append(f"implausible count {pred}")
        elif abs(pred_num) > magnitude_factor * max(big, 10) ** 2:
            score = 1.0
            reasons.append(f"implausible magnitude {pred}")
    return score, step


def question_numbers(question: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", question.replace(",", "")))


def _restates_givens(line: str, given: set[str]) -> bool:
    """Every number of the line is a question number and it does no arithmetic: a restated fact, not a loop."""
    nums = re.findall(r"\d+(?:\.\d+)?", line.replace(",", ""))
    return not re.search(r"[=<>]", line) and all(n in given for n in nums)


def ask_words(question: str) -> set[str]:
    """Content words of the question's last ask clause ('How many does she grow a week?': grow, week)."""
    asks = _ASK.findall(question[-600:])
    return _words(asks[-1]) if asks else set()


def content_words(text: str) -> set[str]:
    return _words(text)
