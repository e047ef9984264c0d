"""The stop text derives from the prompt template (harness/models/sampling.py `stop_texts`), the same for the HF and
vLLM samplers, so a sample that starts the next problem ends there on both and is not `truncated`."""
import pytest

from harness.models.sampling import cut_at_stop, stop_texts

PAPER = ("Below is an instruction that describes a task. Write a response that appropriately completes the request."
         "\n\n### Instruction:\n{question}\n\n### Response: Let's think step by step.")


def test_stop_texts_follow_the_template():
    assert stop_texts("Question: {question}\nAnswer:") == ["\nQuestion:"]
    assert stop_texts(PAPER) == ["\nBelow is an instruction that describes a task. Write a response that "
                                 "appropriately completes the request.", "\n### Instruction:"]
    assert stop_texts("### Instruction:\n{question}\n\n### Response:") == ["\n### Instruction:"]
    assert stop_texts("{question}") == []  # nothing before the question: only end-of-text ends a sample


def test_stop_texts_add_the_tokenizers_end_of_text(micro_model):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(micro_model))
    stops = stop_texts("Q: {question}\nA:", tok)
    assert stops[0] == "\nQ:" and tok.eos_token in stops and len(stops) == len(set(stops))


def test_cut_at_stop_takes_the_first_stop():
    stops = stop_texts(PAPER)
    text = " 2 + 3 = 5. The answer is 5\n\n### Instruction:\nWhat is 1 + 1?\nBelow is an instruction"
    assert cut_at_stop(text, stops) == (" 2 + 3 = 5. The answer is 5\n", True)
    assert cut_at_stop(" 2 + 3 = 5", stops) == (" 2 + 3 = 5", False)


@pytest.fixture(scope="module")
def tok(micro_model):
    from transformers import AutoTokenizer
    t = AutoTokenizer.from_pretrained(str(micro_model))
    t.pad_token = t.pad_token or t.eos_token
    return t


@pytest.mark.parametrize("template", ["Question: {question}\nAnswer:", PAPER])
def test_a_row_that_starts_the_next_problem_ends_there_and_is_not_truncated(tok, template):
    """The HF sampler's reading of a generated row (`finish_row`, real tokenizer): a row that runs to the token limit
    after writing the template's next-problem head is cut there, keeps its ids through the head, and is not
    truncated -- vLLM, stopping at the same text, reports finish_reason 'stop'. Without the head it is truncated."""
    from harness.models.sampling import finish_row, stop_token_ids
    stops, stop_ids = stop_texts(template, tok), stop_token_ids(tok)
    head = stop_texts(template)[-1]  # the next-problem head (the last line of a several-line one)
    row = tok(" 2 + 3 = 5. The answer is 5" + head + " What is 1 + 1?", add_special_tokens=False)["input_ids"]
    text, truncated, ids = finish_row(tok, row, False, stops, stop_ids, max_new_tokens=len(row))
    assert text == "2 + 3 = 5. The answer is 5" and not truncated
    assert tok.decode(ids).endswith(head) and head not in tok.decode(ids[:-1])
    plain = tok(" 2 + 3 = 5. The answer is 5 and 5 and 5", add_special_tokens=False)["input_ids"]
    assert finish_row(tok, plain, False, stops, stop_ids, max_new_tokens=len(plain)) == (
        "2 + 3 = 5. The answer is 5 and 5 and 5", True, plain)
    ended = plain[:5] + [tok.eos_token_id] + [tok.pad_token_id] * (len(plain) - 6)
    assert finish_row(tok, ended, True, stops, stop_ids, max_new_tokens=len(ended))[1:] == (False, plain[:5])
