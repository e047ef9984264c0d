"""Config validation by pydantic (harness/config.py): every bad value stops with one line naming the key, exit 2."""
import dataclasses
import subprocess
import sys

import pytest

from harness.config import ConfigError, ExperimentConfig, load_config
from harness.config_docs import describe

from .conftest import ROOT

# values that once loaded silently, a bad nested value, and the neighbours of each
BAD = [
    ("eval.task_limits={hardneg_synth: abc}", "eval.task_limits.hardneg_synth='abc': expected an integer"),
    ("eval.task_limits={hardneg_nope: 3}", "eval.task_limits: unknown key 'hardneg_nope'; allowed keys: hardneg_synth"),
    ("eval.tasks=[]", "eval.tasks=[]: must hold at least 1 item(s)"),
    ("sft.warmup_steps=-5", "sft.warmup_steps=-5: must be >= 0"),
    ("dpo.rpo_alpha=-2", "dpo.rpo_alpha=-2: must be >= 0"),
    ("eval.tasks=[hardneg_synth, 7]", "eval.tasks[1]=7: allowed values are hardneg_synth, hardneg_near_miss"),
    ("verifier.weights={answer: -1}", "verifier.weights: weights must be >= 0"),
    ("sampling.top_p=1.5", "sampling.top_p=1.5: must lie in (0, 1]"),
    ("sft.batch_size=2.5", "sft.batch_size=2.5: expected an integer"),
    ("seed=true", "seed=True: expected an integer"),
    ("sft.scheduler=cosin", "sft.scheduler='cosin': allowed values are cosine, linear, constant, constant_with_warmup"),
    ("sft=3", "sft=3: expected a mapping of max_steps, batch_size"),
    ("pairs.clip_max=1", "pairs.clip_max=1: must be > 1"),
    ("name=12", "name=12: expected a string"),
]


@pytest.mark.parametrize("override,needle", BAD)
def test_bad_value_is_one_line_naming_the_key(override, needle):
    with pytest.raises(ConfigError) as e:
        load_config(None, [override])
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_good_values_keep_their_types():
    cfg = load_config(None, ["dpo.learning_rate=1e-6", "eval.task_limits={hardneg_math500: 5, hardneg_synth: null}",
                             "sampling.seed=0", "sft.learning_rate=1"])
    assert cfg.dpo.learning_rate == 1e-6 and isinstance(cfg.sft.learning_rate, float)
    assert cfg.eval.task_limits == {"hardneg_math500": 5, "hardneg_synth": None}
    # still stdlib-dataclass compatible (stage keys hash dataclasses.asdict; recipes use dataclasses.replace)
    assert dataclasses.asdict(cfg)["sampling"]["seed"] == 0
    with pytest.raises(Exception):
        dataclasses.replace(cfg.sft, max_steps=-1)  # a recipe override is validated too


def test_defaults_match_a_default_config(monkeypatch):
    monkeypatch.delenv("HARDNEG_DATA_DIR", raising=False)  # it fills the unset data paths (tests/test_config_data.py)
    assert load_config(None).to_dict() == ExperimentConfig().to_dict()


def test_describe_documents_every_field():
    rows = {r[0]: r for r in describe()}
    assert rows["model.kind"][1] == "tiny | random | pretrained"
    assert rows["sft.warmup_steps"][1] == "int (>= 0)"
    assert "greedy" in rows["sampling.include_greedy"][3]
    assert rows["dpo.max_length"][3] == rows["sft.max_length"][3] != ""  # inherited docs
    assert rows["verifier.near_distance"][3]  # the verifier's stdlib dataclass too
    assert all(k.startswith("eval.") for k in (r[0] for r in describe("eval")))


def _harness(*args):
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("override", [b[0] for b in BAD[:5]] + ["report.control=nosuch"])
def test_cli_bad_value_exits_2_with_one_line(override):
    r = _harness("compare", "--recipes", "sft", "run_dir=/tmp/hardneg-never-created-19", override)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().count("\n") == 0 and r.stderr.startswith("error: ")
    key = override.split("=")[0]
    assert key in r.stderr


def test_cli_control_names_the_registered_recipes():
    r = _harness("compare", "--recipes", "sft", "run_dir=/tmp/hardneg-never-created-19", "report.control=nosuch")
    assert "report.control='nosuch'" in r.stderr and "hn_w_dpo" in r.stderr


def test_cli_config_command_shows_docs():
    r = _harness("config", "dpo")
    assert r.returncode == 0, r.stderr
    assert "dpo.beta: float (> 0) = 0.1" in r.stdout and "reference" in r.stdout
    r = _harness("config", "nosuch")
    assert r.returncode == 2 and "config section 'nosuch' does not exist" in r.stderr
