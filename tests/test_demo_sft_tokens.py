"""Pre-tokenized SFT rows (harness/training/sft_tokens.py) are exactly what TRL's SFTTrainer makes of the same
prompt/completion rows, so handing it the tokens changes nothing but the time it takes."""


def test_pretokenized_rows_equal_trl_tokenization(micro_model, tmp_path):
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from harness.data.loaders import sft_rows
    from harness.data.synthetic import Difficulty, generate_splits
    from harness.training.sft_tokens import pretokenize
    tok = AutoTokenizer.from_pretrained(micro_model)
    rows = sft_rows(generate_splits(200, 5, 5, 1, Difficulty())["train"][:150], "Question: {question}\nAnswer:")
    rows[0] = {**rows[0], "completion": rows[0]["completion"] + tok.eos_token}  # already ends with EOS: no second one
    args = SFTConfig(output_dir=str(tmp_path), max_steps=1, per_device_train_batch_size=2, report_to=[],
                     completion_only_loss=True, use_cpu=True, bf16=False, gradient_checkpointing=False, max_length=256)
    model = AutoModelForCausalLM.from_pretrained(micro_model)
    theirs = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok).train_dataset
    ours = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(pretokenize(rows, tok)),
                      processing_class=tok).train_dataset
    cols = [c for c in theirs.column_names if c in ours.column_names]  # what the trainer feeds the model
    assert {"input_ids", "labels"} <= set(cols), (theirs.column_names, ours.column_names)
    assert [{c: r[c] for c in cols} for r in ours] == [{c: r[c] for c in cols} for r in theirs]
    assert ours[0]["input_ids"].count(tok.eos_token_id) == 1
    assert all(-100 in r["labels"] and any(x != -100 for x in r["labels"]) for r in ours)  # loss on the completion
