"""The lm-eval tasks in harness/tasks/ run through the real lm-evaluation-harness, in Python and from its CLI, and
score alike in both: every setting that changes a score travels in the task metadata."""
import dataclasses
import json
import shutil
import subprocess
import sys

import pytest

from harness.config import ConfigError, load_config
from harness.data.loaders import write_jsonl
from harness.data.synthetic import Difficulty, generate_splits
from harness.stages.evaluate import TASKS_DIR, generation_settings, run_lm_eval, task_metadata
from harness.tasks import all_tasks, task, task_fingerprint

from .conftest import ROOT, shared

# not the verifier's defaults: only the answer counts towards wrongness, and a wrong answer is never near
NON_DEFAULT_VERIFIER = ["verifier.weights={answer: 1.0, distance: 0.0, arithmetic: 0.0, consistency: 0.0, coverage: 0.0}",
                        "verifier.near_distance=0.0"]
ROW_METRICS = ("exact_match", "equiv", "wrongness", "hard_negative", "arithmetic_error")


def _utils():
    sys.path.insert(0, str(TASKS_DIR))
    try:
        import utils
    finally:
        sys.path.pop(0)
    return utils


def _doc(utils, question: str, answer: str, **meta) -> dict:
    """One doc as the task loader builds it from `meta` (the task metadata)."""
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        write_jsonl(Path(d) / "p.jsonl", [{"id": "p0", "question": question, "answer": answer, "solution": ""}])
        return dict(utils.load_synth(synth_path=str(Path(d) / "p.jsonl"), **meta)["test"][0])


def test_process_results_uses_the_shared_checker():
    utils = _utils()
    doc = _doc(utils, "Tom has 3 apples and buys 4 more. How many apples?", "7")
    good = utils.process_results(doc, [" He has 3 + 4 = 7 apples.\nThe answer is: 7"])
    assert good["exact_match"] == 1 and good["equiv"] == 1 and good["wrongness"] == 0
    loose = utils.process_results(doc, [" He has 3 + 4 = 7 apples, so $7.00"])
    assert loose["exact_match"] == 0 and loose["equiv"] == 1
    slip = utils.process_results(doc, [" He has 3 + 4 = 8 apples.\nThe answer is: 8"])
    assert slip["equiv"] == 0 and slip["hard_negative"] == 1 and slip["arithmetic_error"] == 1


def test_verifier_settings_change_scores_through_the_metadata_alone():
    """The same solution, two task metadata: the scores differ, with no process state in between."""
    utils = _utils()
    q, slip = "Tom has 3 apples and buys 4 more. How many apples?", " He has 3 + 4 = 8 apples.\nThe answer is: 8"
    default = utils.process_results(_doc(utils, q, "7"), [slip])
    cfg = load_config(None, NON_DEFAULT_VERIFIER)
    meta = json.loads(json.dumps(task_metadata(cfg, None, None)))  # as `lm_eval --metadata` passes it
    doc = _doc(utils, q, "7", **meta)
    assert json.loads(doc["verifier_config"])["near_distance"] == 0.0
    tuned = utils.process_results(doc, [slip])
    assert tuned["wrongness"] == 1.0 != default["wrongness"]
    # and back: the defaults again, in the same process
    assert utils.process_results(_doc(utils, q, "7"), [slip]) == default
    # a partial `verifier` mapping fills the rest from the defaults
    part = _doc(utils, q, "7", verifier={"near_distance": 0.0})
    assert json.loads(part["verifier_config"])["weights"] == json.loads(_doc(utils, q, "7")["verifier_config"])["weights"]


def test_task_registry_reads_the_yamls():
    tasks = all_tasks()
    assert {"hardneg_synth", "hardneg_near_miss", "hardneg_gsm8k_cot", "hardneg_math500"} <= set(tasks)
    assert task("hardneg_gsm8k_cot").data == "gsm8k" and task("hardneg_gsm8k_cot").benchmark
    assert task("hardneg_gsm8k_cot").max_gen_toks == 320 and task("hardneg_math500").max_gen_toks == 512
    assert task("hardneg_synth").max_gen_toks == 192 and not task("hardneg_synth").benchmark  # from _hardneg.yaml
    assert task("hardneg_near_miss").label == "near-miss" and task("hardneg_near_miss").version >= 2.1
    with pytest.raises(KeyError, match="registered tasks: .*hardneg_synth"):
        task("hardneg_nope")
    with pytest.raises(ConfigError, match="eval.tasks.*allowed values are .*hardneg_synth"):
        load_config(None, ["eval.tasks=[hardneg_nope]"])


def test_task_fingerprint_covers_only_what_scores_the_task(tmp_path):
    folder = tmp_path / "tasks"
    shutil.copytree(TASKS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    names = ["hardneg_synth", "hardneg_gsm8k_cot"]
    before = task_fingerprint(names, folder)
    assert task_fingerprint(names) == before  # the copy hashes like the original: names and bytes, no paths
    (folder / "hardneg_extra.yaml").write_text("include: _hardneg.yaml\ntask: hardneg_extra\n"
                                               "custom_dataset: !function utils.load_synth\n")
    (folder / "hardneg_math500.yaml").write_text((folder / "hardneg_math500.yaml").read_text() + "# edited\n")
    assert task_fingerprint(names, folder) == before  # a new or another task's YAML changes no existing key
    spec = all_tasks.__wrapped__(folder)["hardneg_extra"]  # no registry line: defaults from the YAML
    assert (spec.data, spec.benchmark, spec.label, spec.max_gen_toks) == ("synth", False, "extra", 192)
    (folder / "utils.py").write_text((folder / "utils.py").read_text() + "\n# edited\n")
    assert task_fingerprint(names, folder) != before


def test_generation_settings_record_an_override():
    stops = ["\nQuestion:", "<|endoftext|>", "<|im_end|>"]
    own = load_config(None, [])
    assert own.eval.max_gen_toks is None
    assert generation_settings(own, ["hardneg_synth", "hardneg_gsm8k_cot"]) == {
        "hardneg_synth": {"max_gen_toks": 192, "until": stops}, "hardneg_gsm8k_cot": {"max_gen_toks": 320, "until": stops}}
    cut = load_config(None, ["eval.max_gen_toks=192"])
    assert generation_settings(cut, ["hardneg_synth", "hardneg_gsm8k_cot"]) == {
        "hardneg_synth": {"max_gen_toks": 192, "until": stops},
        "hardneg_gsm8k_cot": {"max_gen_toks": 192, "until": stops, "overridden_from": {"max_gen_toks": 320}}}
    # another prompt template: its own head stops generation, as it stops sampling (harness/models/sampling.py)
    paper = load_config(None, ["data.prompt_template='### Instruction:\n{question}\n\n### Response:'"])
    got = generation_settings(paper, ["hardneg_synth"])["hardneg_synth"]
    assert got["until"] == ["\n### Instruction:", "<|endoftext|>", "<|im_end|>"]
    assert got["overridden_from"] == {"until": stops}


def _problems(tmp_path, n: int = 10):
    test = generate_splits(10, 5, n, 0, Difficulty())["test"]
    write_jsonl(tmp_path / "test.jsonl", test)
    return test


def _rows(path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_simple_evaluate_all_tasks(micro_model, tmp_path):
    cfg = load_config(None, ["eval.limit=3", "eval.batch_size=8", "eval.max_gen_toks=24", "device=cpu",
                             f"eval.gsm8k_path={shared('gsm8k')}", f"eval.math500_path={shared('math', 'math500_test.jsonl')}"])
    test = _problems(tmp_path)
    write_jsonl(tmp_path / "near.jsonl", test[:4])
    meta = task_metadata(cfg, str(tmp_path / "test.jsonl"), str(tmp_path / "near.jsonl"))
    tasks = ["hardneg_synth", "hardneg_near_miss", "hardneg_gsm8k_cot", "hardneg_math500"]
    scores, throughput = run_lm_eval(str(micro_model), cfg, tasks, meta, tmp_path)
    assert throughput["generated_tokens"] > 0 and throughput["tokens_per_s"] > 0
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(micro_model)
    for t in tasks:
        assert scores[t]["n"] == 3
        assert 0 <= scores[t]["equiv"] <= 1 and 0 <= scores[t]["wrongness"] <= 1
        rows = _rows(tmp_path / f"samples_{t}.jsonl")
        assert len(rows) == 3 and all("response" in r and "verdict" in r for r in rows)
        # per-problem rows are the source of every statistic: they must reproduce lm-eval's aggregate
        assert abs(sum(r["equiv"] for r in rows) / 3 - scores[t]["equiv"]) < 1e-9
        # eval.max_gen_toks overrides every task's own budget (320 and 512 for the real benchmarks)
        assert max(len(tok(r["response"], add_special_tokens=False)["input_ids"]) for r in rows) <= 24 + 1


def _plain_lm_eval(model_dir, tmp_path, meta: dict, limit: int, *extra: str) -> list[dict]:
    """The task through the plain lm_eval CLI in a subprocess (tasks found as installed), its logged samples."""
    import harness.tasks
    from pathlib import Path
    include = Path(harness.tasks.__file__).parent
    out = tmp_path / "lm_eval_out"
    r = subprocess.run([sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args",
                        f"pretrained={model_dir},dtype=float32", "--include_path", str(include), "--tasks",
                        "hardneg_synth", "--metadata", json.dumps(meta), "--limit", str(limit), "--device", "cpu",
                        "--batch_size", "1", "--log_samples", "--output_path", str(out), *extra],
                       cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    (logged,) = out.rglob("samples_hardneg_synth_*.jsonl")
    return sorted(_rows(logged), key=lambda s: s["doc_id"])


def test_harness_and_plain_lm_eval_score_row_by_row(micro_model, tmp_path):
    """One model, one task version: `run_lm_eval` (what `harness compare` runs) and the plain lm_eval CLI with the
    same metadata give the same response and the same scores on every problem, under non-default verifier
    settings, each task at its own max_gen_toks."""
    n = 6
    cfg = load_config(None, [f"eval.limit={n}", "eval.batch_size=1", "device=cpu", "model.dtype=float32",
                             *NON_DEFAULT_VERIFIER])
    assert cfg.verifier != type(cfg.verifier)() and cfg.eval.max_gen_toks is None
    _problems(tmp_path)
    meta = task_metadata(cfg, str(tmp_path / "test.jsonl"), None)
    harness_dir = tmp_path / "harness"
    harness_dir.mkdir()
    run_lm_eval(str(micro_model), cfg, ["hardneg_synth"], meta, harness_dir)
    ours = _rows(harness_dir / "samples_hardneg_synth.jsonl")
    theirs = _plain_lm_eval(micro_model, tmp_path, meta, n)
    assert len(ours) == len(theirs) == n and all(r["response"].strip() for r in ours)
    for a, b in zip(ours, theirs):
        assert a["doc_id"] == b["doc_id"] and a["id"] == b["doc"]["id"]
        assert a["response"] == b["resps"][0][0]
        assert {m: a[m] for m in ROW_METRICS} == {m: b[m] for m in ROW_METRICS}, a["id"]
        # the logged verdict is the one process_results scored with: the configured, not the default, verifier
        assert a["verdict"]["wrongness"] == a["wrongness"] and a["verdict"]["hard_negative"] == bool(a["hard_negative"])
        assert b["doc"]["verifier_config"] == json.dumps(dataclasses.asdict(cfg.verifier), sort_keys=True)
    # the settings did matter: under the defaults these rows would score otherwise
    from verifier import MathVerifier
    default = [MathVerifier().verify(r["question"], r["response"], reference_answer=r["answer"]).wrongness for r in ours]
    assert default != [r["wrongness"] for r in ours]
    # the task's own budget (192 tokens in _hardneg.yaml) held: nothing longer came back
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(micro_model)
    assert max(len(tok(r["response"], add_special_tokens=False)["input_ids"]) for r in ours) <= 192 + 1
