import subprocess
import sys

import pytest

from harness.config import ConfigError, load_config

from .conftest import ROOT


def test_yaml_configs_load():
    tiny = load_config("tiny")
    assert tiny.model.kind == "tiny"
    qwen = load_config("qwen2.5-1.5b")
    assert qwen.model.kind == "pretrained" and "Qwen2.5-1.5B" in qwen.model.name_or_path


def test_overrides_and_types():
    cfg = load_config(None, ["sft.max_steps=7", "verifier.near_distance=0.2", "eval.limit=null", "seed=3"])
    assert (cfg.sft.max_steps, cfg.verifier.near_distance, cfg.eval.limit, cfg.seed) == (7, 0.2, None, 3)


@pytest.mark.parametrize("override,needle", [
    ("sft.max_stepz=5", "unknown config key 'sft.max_stepz'"),
    ("model.kind=foo", "model.kind='foo': allowed values are tiny, random, pretrained"),
    ("sft.max_steps=abc", "sft.max_steps='abc': expected an integer"),
    ("sft.learning_rate=-1", "sft.learning_rate=-1"),
    ("verifier.weights={answer: 1, foo: 2}", "unknown key(s) ['foo']"),
    ("eval.tasks=[hardneg_nope]", "eval.tasks[0]='hardneg_nope': allowed values are hardneg_synth"),
    ("nosuchsection.x=1", "unknown config key 'nosuchsection'"),
])
def test_bad_values_name_the_key(override, needle):
    with pytest.raises(ConfigError) as e:
        load_config(None, [override])
    assert needle in str(e.value)
    assert "\n" not in str(e.value)


def _harness(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_cli_missing_config_exits_2_with_one_line(tmp_path):
    r = _harness("compare", "--config", str(tmp_path / "missing.yaml"))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "not found" in r.stderr
    assert not (tmp_path / "runs").exists()


def test_cli_misspelt_key_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsft:\n  max_stpes: 3\n")
    r = _harness("compare", "--config", str(bad))
    assert r.returncode == 2
    assert "unknown config key 'sft.max_stpes'" in r.stderr and r.stderr.strip().count("\n") == 0


def test_cli_unknown_recipe_exits_2():
    r = _harness("compare", "--recipes", "nope", "run_dir=/tmp/hardneg-never-created")
    assert r.returncode == 2 and "unknown recipe 'nope'" in r.stderr


def test_cli_list_shows_recipes_and_tasks():
    r = _harness("list")
    assert r.returncode == 0, r.stderr
    for name in ("sft", "dpo", "hn_dpo", "w_dpo", "hn_w_dpo", "rpo", "hardneg_synth", "hardneg_near_miss",
                 "hardneg_gsm8k_cot", "hardneg_math500"):
        assert name in r.stdout + r.stderr


def test_sampling_seed_shares_one_pool_across_seeds(tmp_path):
    """`sampling.seed` pins the pool (and its pairs) to one seed; unset, every run seed draws its own pool."""
    from harness.stages.pipeline import Pipeline
    own = load_config(None, [f"run_dir={tmp_path}"])
    assert [Pipeline(own, seed=s).pool_seed for s in (0, 1, 2)] == [0, 1, 2]
    pinned = load_config(None, [f"run_dir={tmp_path}", "sampling.seed=0"])
    assert [Pipeline(pinned, seed=s).pool_seed for s in (0, 1, 2)] == [0, 0, 0]
    assert Pipeline(pinned, seed=2).cfg.seed == 2  # training still follows the run seed
    study = load_config("tiny-study")
    assert study.sampling.seed == 0 and study.sampling.n_problems >= 2000 and study.sampling.k >= 8
