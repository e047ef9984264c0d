"""The lm-eval tasks in tasks/ run through the real lm-evaluation-harness, in Python and from its CLI."""
import json
import os
import subprocess
import sys

from harness.config import load_config
from harness.data.loaders import write_jsonl
from harness.stages.evaluate import TASKS_DIR, run_lm_eval, task_metadata
from harness.data.synthetic import Difficulty, generate_splits

from .conftest import ROOT, shared


def test_process_results_uses_the_shared_checker():
    sys.path.insert(0, str(TASKS_DIR))
    try:
        import utils
    finally:
        sys.path.pop(0)
    doc = {"question": "Tom has 3 apples and buys 4 more. How many apples?", "answer": "7"}
    good = utils.process_results(doc, [" He has 3 + 4 = 7 apples.\nThe answer is: 7"])
    assert good["exact_match"] == 1 and good["equiv"] == 1 and good["wrongness"] == 0
    loose = utils.process_results(doc, [" He has 3 + 4 = 7 apples, so $7.00"])
    assert loose["exact_match"] == 0 and loose["equiv"] == 1
    slip = utils.process_results(doc, [" He has 3 + 4 = 8 apples.\nThe answer is: 8"])
    assert slip["equiv"] == 0 and slip["hard_negative"] == 1 and slip["arithmetic_error"] == 1


def test_simple_evaluate_all_tasks(micro_model, tmp_path):
    cfg = load_config(None, ["eval.limit=3", "eval.batch_size=8", "eval.max_gen_toks=24", "device=cpu",
                             f"eval.gsm8k_path={shared('gsm8k')}", f"eval.math500_path={shared('math', 'math500_test.jsonl')}"])
    test = generate_splits(10, 5, 10, 0, Difficulty())["test"]
    write_jsonl(tmp_path / "test.jsonl", test)
    write_jsonl(tmp_path / "near.jsonl", test[:4])
    meta = task_metadata(cfg, str(tmp_path / "test.jsonl"), str(tmp_path / "near.jsonl"))
    tasks = ["hardneg_synth", "hardneg_near_miss", "hardneg_gsm8k_cot", "hardneg_math500"]
    scores, throughput = run_lm_eval(str(micro_model), cfg, tasks, meta, tmp_path)
    assert throughput["generated_tokens"] > 0 and throughput["tokens_per_s"] > 0
    for t in tasks:
        assert scores[t]["n"] == 3
        assert 0 <= scores[t]["equiv"] <= 1 and 0 <= scores[t]["wrongness"] <= 1
        rows = [json.loads(x) for x in (tmp_path / f"samples_{t}.jsonl").read_text().splitlines()]
        assert len(rows) == 3 and all("response" in r and "verdict" in r for r in rows)
        # per-problem rows are the source of every statistic: they must reproduce lm-eval's aggregate
        assert abs(sum(r["equiv"] for r in rows) / 3 - scores[t]["equiv"]) < 1e-9


def test_plain_lm_eval_cli(micro_model, tmp_path):
    env = {**os.environ, "HARDNEG_GSM8K_PATH": str(shared("gsm8k"))}
    r = subprocess.run([sys.executable, "-m", "lm_eval", "--include_path", "tasks", "--tasks", "hardneg_synth,hardneg_gsm8k_cot",
                        "--model", "hf", "--model_args", f"pretrained={micro_model}", "--limit", "2", "--device", "cpu",
                        "--gen_kwargs", "max_gen_toks=16", "--output_path", str(tmp_path / "out")],
                       cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "hardneg_synth" in r.stdout and "equiv" in r.stdout
