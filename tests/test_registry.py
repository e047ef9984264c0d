"""The registries: a baseline is one file, pair builders and weight schemes are discovered, every name a recipe
uses is checked when it registers (one line naming the valid ones), and `harness list` reads at 80 columns."""
import os
import subprocess
import sys

import pytest

from harness.config import ConfigError
from harness.registry import (TRAINERS, Recipe, all_recipes, get_recipe, pair_builders, register_trainer, resolve,
                              rewards, weight_schemes)

from .conftest import ROOT


def _list(*args: str, columns: int = 80) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", "list", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": str(columns)})


def test_core_recipes_are_registered_once_each():
    names = [r.name for r in all_recipes()]
    assert {"sft", "sft_more", "rft", "dpo", "hn_w_dpo"} <= set(names)
    assert len(names) == len(set(names))
    assert names[0] == "sft"  # tables start from the baseline every other recipe is compared with
    assert get_recipe("hn_w_dpo").pairs == "hard" and get_recipe("hn_w_dpo").weights == "verifier"
    assert get_recipe("rpo").loss_type == ("sigmoid", "sft")
    assert [r.name for r in resolve("sft, dpo")] == ["sft", "dpo"]
    with pytest.raises(KeyError, match="unknown recipe 'nope'; registered: sft"):
        get_recipe("nope")


def test_every_recipe_names_registered_parts():
    builders, schemes = pair_builders(), weight_schemes()
    assert {"random", "hard", "structural", "step", "step_corrected"} <= set(builders)
    assert {"uniform", "verifier", "structural"} <= set(schemes)
    for r in all_recipes():
        t = TRAINERS[r.trainer]
        assert r.description and "\n" not in r.description and len(r.description) <= 60, r.name
        if t.needs_pairs:
            assert r.pairs in builders and r.weights in schemes, r.name
            assert set(r.loss_type) <= set(t.loss_types), r.name
        assert set(r.overrides) <= set(t.override_fields()), r.name
        assert (r.reward in rewards()) if t.needs_reward else r.reward is None, r.name
    assert {"correct", "verifier"} <= set(rewards())
    for c in [*builders.values(), *schemes.values(), *rewards().values(), *TRAINERS.values()]:
        assert c.description and "\n" not in c.description


def test_dpo_loss_types_are_what_the_trainer_implements_and_trl_knows():
    from trl import DPOConfig

    from harness.training.dpo import SUPPORTED_LOSSES
    assert set(TRAINERS["dpo"].loss_types) == SUPPORTED_LOSSES
    doc = DPOConfig.__dataclass_fields__["loss_type"].metadata["help"]
    assert all(f"`'{t}'`" in doc for t in TRAINERS["dpo"].loss_types)


BAD = [
    (dict(trainer="ppo"), "recipe 'x': unknown trainer 'ppo'; registered: sft, sft_more, dpo"),
    (dict(trainer="dpo"), "recipe 'x': trainer 'dpo' needs a pair builder (pairs=...); registered: hard, random"),
    (dict(trainer="dpo", pairs="hardd"), "recipe 'x': unknown pair builder 'hardd'; registered: hard, random"),
    (dict(trainer="dpo", pairs="hard", weights="verfier"),
     "recipe 'x': unknown weight scheme 'verfier'; registered: structural, uniform, verifier"),
    (dict(trainer="dpo", pairs="hard", loss_type=("sigmoid", "ipo")),
     "recipe 'x': unknown loss type 'ipo' for trainer 'dpo'; allowed: sigmoid, sft"),
    (dict(trainer="dpo", pairs="hard", overrides={"bta": 0.3}),
     "recipe 'x': overrides bta are not fields of section 'dpo'; allowed: max_steps,"),
    (dict(trainer="sft_more", overrides={"beta": 0.3}),
     "recipe 'x': overrides beta are not fields of section 'sft'; allowed: max_steps,"),
    (dict(trainer="sft", pairs="hard"), "recipe 'x': trainer 'sft' reads no pairs; drop pairs='hard'"),
    (dict(trainer="grpo"), "recipe 'x': trainer 'grpo' needs a reward (reward=...); registered: correct"),
    (dict(trainer="grpo", reward="corect"), "recipe 'x': unknown reward 'corect'; registered: correct"),
    (dict(trainer="dpo", pairs="hard", reward="correct"), "recipe 'x': trainer 'dpo' takes no reward; drop reward="),
    (dict(trainer="grpo", reward="correct", overrides={"rpo_alpha": 1.0}),
     "recipe 'x': overrides rpo_alpha are not fields of section 'grpo'; allowed: max_steps,"),
]


@pytest.mark.parametrize("kw,line", BAD, ids=[b[1].split(": ")[1].split(" '")[0] for b in BAD])
def test_a_bad_name_fails_at_registration_with_one_line(kw, line):
    with pytest.raises(ConfigError) as e:
        Recipe(name="x", description="y", **kw)
    msg = str(e.value)
    assert msg.startswith(line) and "\n" not in msg


def test_a_trainer_is_one_call_and_its_overrides_are_its_section_fields():
    t = register_trainer("sft_like", section="sft", description="test trainer")
    try:
        assert Recipe(name="x", description="y", trainer="sft_like", overrides={"learning_rate": 1e-3})
        with pytest.raises(ConfigError, match="not fields of section 'sft'"):
            Recipe(name="x", description="y", trainer="sft_like", overrides={"beta": 1.0})
        assert t.override_fields() == TRAINERS["sft"].override_fields()
    finally:
        del TRAINERS["sft_like"]
    with pytest.raises(ConfigError, match="trainer section 'ppo' is not a config section; sections: model, data"):
        register_trainer("ppo", section="ppo", description="online RL")
    assert "ppo" not in TRAINERS


def test_a_new_file_registers_a_recipe():
    path = ROOT / "baselines" / "zz_throwaway_test_recipe.py"
    path.write_text('from harness.registry import Recipe, register\n'
                    'register(Recipe(name="throwaway", description="IPO-ish test recipe", trainer="dpo",\n'
                    '                pairs="hard", weights="verifier", overrides={"beta": 0.3}))\n')
    try:
        r = _list()
        assert r.returncode == 0, r.stderr
        assert "throwaway" in r.stdout and "IPO-ish test recipe" in r.stdout
        one = _list("throwaway")
        assert "dpo.beta=0.3" in one.stdout and "baselines.zz_throwaway_test_recipe" in one.stdout
    finally:
        path.unlink()


def test_a_misspelt_builder_in_a_baseline_stops_harness_list_with_one_line():
    path = ROOT / "baselines" / "zz_throwaway_bad_recipe.py"
    path.write_text('from harness.registry import Recipe, register\n'
                    'register(Recipe(name="bad", description="typo", trainer="dpo", pairs="hrad"))\n')
    try:
        r = _list()
        assert r.returncode == 2 and r.stderr.strip().splitlines() == [
            "error: recipe 'bad': unknown pair builder 'hrad'; registered: hard, random, step, step_corrected, "
            "structural"], r.stderr
    finally:
        path.unlink()


def test_a_new_module_in_harness_pairs_registers_a_builder_and_a_scheme():
    path = ROOT / "harness" / "pairs" / "zz_throwaway_builder.py"
    path.write_text('from harness.pairs.base import pair_builder\nfrom harness.pairs.weights import weight_scheme\n'
                    '@pair_builder("first", "rejected = the first incorrect sample")\n'
                    'def first(negs, rng):\n    return negs[0]\n'
                    '@weight_scheme("half", "w = 0.5")\ndef half(row, cfg):\n    return 0.5\n')
    try:
        r = subprocess.run([sys.executable, "-c", "from harness.registry import Recipe\n"
                            "print(Recipe(name='x', description='y', trainer='dpo', pairs='first', weights='half'))"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "pairs='first'" in r.stdout, r.stderr
    finally:
        path.unlink()


def test_harness_list_fits_80_columns_and_names_everything():
    r = _list()
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    for name in [*(x.name for x in all_recipes()), *pair_builders(), *weight_schemes(), *TRAINERS]:
        assert any(line.split()[:1] == [name] for line in lines), name
    for title in ("recipes", "pair builders", "weight schemes", "trainers", "lm-eval tasks"):
        assert any(line.startswith(title) for line in lines), title
    assert len(lines) < 60  # one line per entry, no wrapped descriptions


@pytest.mark.parametrize("name,expect", [("hn_w_dpo", ["recipe hn_w_dpo", "weights:     verifier"]),
                                         ("structural", ["pair builder structural", "weight scheme structural"]),
                                         ("dpo", ["recipe dpo", "trainer dpo", "loss types:", "beta"]),
                                         ("hardneg_synth", ["lm-eval task hardneg_synth", "version:"])])
def test_harness_list_name_prints_the_whole_record(name, expect):
    r = _list(name)
    assert r.returncode == 0, r.stderr
    assert all(e in r.stdout for e in expect), r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


def test_harness_list_unknown_name_is_one_line_exit_2():
    r = _list("nope")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "nope" in r.stderr
