"""Adding a baseline is one new file in baselines/ and no edit anywhere else."""
import subprocess
import sys

import pytest

from harness.registry import Recipe, all_recipes, get_recipe, resolve

from .conftest import ROOT


def test_builtin_recipes_are_registered():
    names = [r.name for r in all_recipes()]
    assert names == ["sft", "sft_more", "rft", "dpo", "hn_dpo", "w_dpo", "hn_w_dpo", "hs_dpo", "hn_ws_dpo", "hs_ws_dpo",
                     "rpo",
                     "step_dpo", "step_w_dpo", "step_fix_w_dpo", "step_rpo", "step_w_rpo"]
    assert get_recipe("hn_w_dpo").pairs == "hard" and get_recipe("hn_w_dpo").weights == "verifier"
    assert get_recipe("rpo").loss_type == ("sigmoid", "sft")
    assert [r.name for r in resolve("sft, dpo")] == ["sft", "dpo"]


def test_recipe_validation():
    with pytest.raises(ValueError):
        Recipe(name="x", description="y", trainer="ppo")
    with pytest.raises(ValueError):
        Recipe(name="x", description="y", trainer="dpo")


def test_a_new_file_registers_a_recipe():
    path = ROOT / "baselines" / "zz_throwaway_test_recipe.py"
    path.write_text('from harness.registry import Recipe, register\n'
                    'register(Recipe(name="throwaway", description="IPO-ish test recipe", trainer="dpo",\n'
                    '                pairs="hard", weights="verifier", overrides={"beta": 0.3}))\n')
    try:
        r = subprocess.run([sys.executable, "-m", "harness.cli", "list"], cwd=ROOT, capture_output=True, text=True,
                           timeout=120, env={**__import__("os").environ, "COLUMNS": "200"})
        assert r.returncode == 0, r.stderr
        assert "throwaway" in r.stdout and "IPO-ish test recipe" in r.stdout
    finally:
        path.unlink()


def test_issue9_baselines_are_one_file_each_and_need_nothing_else():
    """rft and the step recipes are declared in their own files only: the trainer, pair builders and weight
    schemes they name already exist, so `harness list` shows them with no other edit."""
    from harness.pairs import PAIR_BUILDERS, WEIGHT_SCHEMES
    from harness.registry import TRAINERS
    for name in ("rft", "step_dpo", "step_w_dpo", "step_fix_w_dpo", "step_rpo", "step_w_rpo"):
        assert (ROOT / "baselines" / f"{name}.py").is_file()
        r = get_recipe(name)
        assert r.trainer in TRAINERS and r.pairs in PAIR_BUILDERS and r.weights in WEIGHT_SCHEMES
    assert get_recipe("rft").loss_type == ("sft",) and get_recipe("rft").pairs == "hard"
    assert get_recipe("step_w_dpo").weights == "verifier" and get_recipe("step_w_rpo").loss_type == ("sigmoid", "sft")
    assert get_recipe("sft_more").trainer == "sft_more" and get_recipe("step_fix_w_dpo").pairs == "step_corrected"
