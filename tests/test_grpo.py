"""Online RL (trainer grpo: TRL's GRPOTrainer, harness/training/grpo.py): a few steps on the micro model change its
weights and log the reward per step; every bad setting stops `harness compare` before any stage with one line and
exit 2; `harness compare --recipes sft,grpo` at micro size finishes, caches, and reports the recipe's scores."""
import importlib.util
import json
import os
import subprocess
import sys
import time

import pytest
import torch

from harness.config import load_config
from harness.registry import Recipe, get_recipe, rewards
from harness.rewards.base import reward
from tests.conftest import ROOT
from tests.test_pipeline import micro_overrides

GRPO_MICRO = ["grpo.max_steps=3", "grpo.prompts_per_step=2", "grpo.num_generations=4", "grpo.n_problems=8",
              "grpo.max_completion_length=24", "grpo.learning_rate=1e-3"]


if "digit_share" not in rewards():
    @reward("digit_share", "share of the completion's characters that are digits (a test reward)")
    def digit_share(cfg):
        """A reward that varies on a randomly initialized model's text (a right answer never comes), so the
        advantages are not all zero and a step has something to follow."""
        return lambda text, problem: sum(c.isdigit() for c in text) / max(len(text), 1)


def test_grpo_steps_change_the_weights_and_log_the_reward(micro_model, tmp_path):
    from transformers import AutoModelForCausalLM

    from harness.data.synthetic import Difficulty, generate_splits
    from harness.training.grpo import train_grpo
    problems = generate_splits(60, 2, 2, 0, Difficulty())["train"]
    # fp32: a bf16 run saves bf16 weights, which differ from the start's even where no step moved them
    cfg = load_config(None, ["device=cpu", "model.dtype=float32", *GRPO_MICRO])
    recipe = Recipe(name="grpo_digits", description="test", trainer="grpo", reward="digit_share")
    log = train_grpo(cfg, problems, str(micro_model), tmp_path / "model", tmp_path / "work", recipe)
    steps = [h for h in log if "reward" in h]
    assert [h["step"] for h in steps] == [1, 2, 3]
    assert all("rewards/digit_share/mean" in h and "reward_std" in h and "loss" in h for h in steps)
    assert all(0 <= h["reward"] <= 1 for h in steps) and any(h["reward_std"] > 0 for h in steps)
    assert log.tokens["generated"]["sequences"] == 3 * 2 * 4 == log.tokens["verifier_calls"]  # steps x prompts x G
    before = AutoModelForCausalLM.from_pretrained(micro_model).state_dict()
    after = AutoModelForCausalLM.from_pretrained(tmp_path / "model").state_dict()
    assert before.keys() == after.keys()
    assert any(not torch.equal(before[k], after[k].to(before[k].dtype)) for k in before)


def test_the_reward_sees_the_completion_cut_at_the_stop_text_and_its_problem(micro_model):
    """TRL hands the reward the decoded completions and every dataset column; the wrapper cuts each completion where
    evaluation would (the template's next question) and marks one that ran to the limit as truncated."""
    from transformers import AutoTokenizer

    from harness.training.grpo import grpo_section, prompt_rows, reward_func
    cfg = load_config(None, ["device=cpu", "grpo.max_completion_length=5"])
    recipe = get_recipe("grpo_v")
    tok = AutoTokenizer.from_pretrained(micro_model)
    fn = reward_func(cfg, recipe, grpo_section(cfg, recipe), tok, cfg.data.prompt_template)
    row = prompt_rows([{"question": "Ann has 2 apples and gets 3 more. How many?", "answer": "5",
                        "solution": "2 + 3 = 5.\nThe answer is: 5"}], cfg.data.prompt_template)[0]
    assert row["prompt"] == "Question: Ann has 2 apples and gets 3 more. How many?\nAnswer:"
    texts = [" 2 + 3 = 5.\nThe answer is: 5\nQuestion: Bob has 9 pears.\nAnswer: 9 - 1 = 8.",
             " 2 * 3 = 6.\nThe answer is: 6", " 2 + 3 = 5.\nThe answer is: 5"]
    ids = [[1] * 9, [1] * 3, [1] * 5]  # the last ran to max_completion_length without a stop: cut off
    cols = {k: [row[k]] * 3 for k in ("question", "answer", "solution")}
    scores = fn(prompts=[row["prompt"]] * 3, completions=texts, completion_ids=ids, **cols)
    assert scores[0] == 1.0 and scores[1] == 0.0 and scores[2] < 1.0


def _train_keys(tmp_path, *overrides) -> dict[str, str]:
    from harness.stages.pipeline import Pipeline
    pipe = Pipeline(load_config("tiny-planted", [f"run_dir={tmp_path}", "device=cpu", *overrides]))
    return {n: pipe.key(pipe.train_node(get_recipe(n))) for n in ("grpo", "grpo_v", "dpo")}


@pytest.mark.parametrize("override,changed", [
    ("grpo.learning_rate=3e-5", {"grpo", "grpo_v"}), ("grpo.num_generations=4", {"grpo", "grpo_v"}),
    ("grpo.max_completion_length=100", {"grpo", "grpo_v"}), ("data.prompt_template='Q: {question}\\nA:'", None),
    ("grpo.flaw_penalty=0.3", {"grpo_v"}), ("verifier.near_distance=0.2", {"grpo_v", "dpo"}),  # the pool reads it
    ("grpo.grad_accum=2", set()), ("grpo.logging_steps=5", set()), ("grpo.report_to=tensorboard", set()),
    ("dpo.beta=0.5", {"dpo"}),
])
def test_a_grpo_stage_is_keyed_by_what_changes_its_result(tmp_path, override, changed):
    """The step's batch, the optimizer and sampling settings key both recipes; the shaping constants and the
    verifier only the reward that reads them; the accumulation split, logging and trackers nothing."""
    before, after = _train_keys(tmp_path), _train_keys(tmp_path, override)
    diff = {n for n in before if before[n] != after[n]}
    assert diff == changed if changed is not None else {"grpo", "grpo_v"} <= diff


def _compare(recipes, run_dir, *extra, timeout=600, env=None):
    return subprocess.run([sys.executable, "-m", "harness.cli", "compare", "--recipes", recipes,
                           *micro_overrides(run_dir), *extra], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200", **(env or {})}, timeout=timeout)


def _stopped_before_any_stage(r, run_dir, expect: str) -> None:
    assert r.returncode == 2, r.stderr[-2000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0], r.stderr
    assert not run_dir.exists() or not any(p.is_dir() for p in run_dir.iterdir())


@pytest.mark.parametrize("extra,env,expect", [
    (["grpo.grad_accum=3"], {},
     "grpo.grad_accum=3: must divide the step's prompts_per_step x num_generations = 64 completions"),
    ([], {"WORLD_SIZE": "3"}, "64 completions do not split over grad_accum=1 x 3 process(es)"),
    (["grpo.max_completion_length=1000"], {},
     "grpo.max_completion_length=1000: the longest training prompt ("),
    (["grpo.max_completion_length=1024"], {}, "grpo.max_completion_length=1024: leaves no room for a prompt"),
    (["grpo.use_vllm=true"], {}, "grpo.use_vllm=true: vLLM generates on a GPU only" if importlib.util.find_spec("vllm")
     else "grpo.use_vllm=true: vllm is not installed"),
], ids=["batch", "processes", "context", "no_room", "vllm"])
def test_a_bad_grpo_setting_stops_before_sft_with_one_line(tmp_path, extra, env, expect):
    run_dir = tmp_path / "run"
    _stopped_before_any_stage(_compare("sft,grpo", run_dir, *extra, env=env, timeout=120), run_dir, expect)


def test_an_unknown_reward_stops_at_registration_with_one_line(tmp_path):
    path = ROOT / "baselines" / "zz_throwaway_bad_reward.py"
    path.write_text('from harness.registry import Recipe, register\n'
                    'register(Recipe(name="bad_rl", description="typo", trainer="grpo", reward="corect"))\n')
    try:
        run_dir = tmp_path / "run"
        _stopped_before_any_stage(_compare("sft", run_dir, timeout=120), run_dir,
                                  "recipe 'bad_rl': unknown reward 'corect'; registered: correct")
    finally:
        path.unlink()


@pytest.mark.slow
def test_compare_sft_and_grpo_finishes_caches_and_reports(tmp_path):
    run_dir = tmp_path / "run"
    extra = [*GRPO_MICRO, "eval.tasks=[hardneg_synth]"]
    t0 = time.time()
    r = _compare("sft,grpo", run_dir, *extra)
    first = time.time() - t0
    assert r.returncode == 0, r.stderr[-4000:]
    res = json.loads((run_dir / "results.json").read_text())
    runs = {x["name"]: x["runs"][0] for x in res["recipes"]}
    assert list(runs) == ["sft", "grpo"]
    scores = runs["grpo"]["scores"]["hardneg_synth"]
    assert 0 <= scores["equiv"] <= 1 and scores["n"] == 4
    rewards_logged = [h for h in runs["grpo"]["train"]["log_history"] if "rewards/correct/mean" in h]
    assert [h["step"] for h in rewards_logged] == [1, 2, 3]
    meta = json.loads(next(run_dir.glob("grpo-*/meta.json")).read_text())
    cost = meta["cost"]
    assert cost["generated_tokens"] > 0 and cost["verifier_calls"] == 3 * 2 * 4 and cost["flops"] > 0
    assert len(list(run_dir.glob("grpo-*"))) == 1 and not list(run_dir.glob("*.partial"))

    t0 = time.time()
    r2 = _compare("sft,grpo", run_dir, *extra)
    assert r2.returncode == 0, r2.stderr[-3000:]
    res2 = json.loads((run_dir / "results.json").read_text())
    assert all(v["cached"] for v in res2["manifest"]["stages"].values())
    assert [x["runs"][0]["scores"] for x in res2["recipes"]] == [x["runs"][0]["scores"] for x in res["recipes"]]
    assert time.time() - t0 < first / 2
