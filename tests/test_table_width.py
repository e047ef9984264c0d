"""The terminal table of `harness compare` fits an 80-column terminal: every registered recipe's full name, one line
per recipe, with the widest cells the statistics can produce (two-digit negative intervals, tiny p values, a movement
with its floor), before and after the movement statistics exist."""
import pytest
from rich.console import Console

from harness.registry import all_recipes
from harness.reporting.markdown import rich_table


def _stats(names: list[str], movement: bool, mde_none: bool) -> tuple[dict, dict]:
    rows = []
    for i, name in enumerate(names):
        row = {"recipe": name, "accuracy": {"mean": 0.587 - 0.11 * (i % 2), "low": 0.55, "high": 0.62, "n": 1000}}
        if name != "sft":
            row["vs_sft"] = {"diff": -0.123, "low": -0.158, "high": -0.091, "p": 3.2e-12, "p_holm": 4.1e-11,
                             "mde": None if mde_none else 0.0213}
            if movement:
                row["movement"] = {"vs_sft": 0.1234, "floor": 0.101 if i % 3 else None, "at_floor": i % 2 == 0}
        else:
            row["vs_sft"] = None
            if movement:
                row["movement"] = None
        rows.append(row)
    results = {"experiment": "tiny", "seeds": [0, 1, 2], "tasks": ["hardneg_synth", "hardneg_near_miss"]}
    stats = {"tasks": {"hardneg_synth": rows, "hardneg_near_miss": rows}, "baselines": {"sft": True, "control": "dpo"}}
    return results, stats


@pytest.mark.parametrize("movement,mde_none", [(False, False), (True, False), (True, True)])
def test_every_recipe_name_whole_at_80_columns(movement, mde_none):
    names = [r.name for r in all_recipes()]
    assert len(names) >= 13 and "step_fix_w_dpo" in names
    results, stats = _stats(names, movement, mde_none)
    console = Console(width=80, record=True, color_system=None)
    console.print(rich_table(results, stats))
    text = console.export_text()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    for name in names:  # the name whole, on exactly one line, which holds that recipe's whole row
        hits = [line for line in lines if line.split() and line.split()[0] == name]
        assert len(hits) == 1, (name, lines)
        cells = hits[0].split()
        assert cells[1] in ("58.7", "47.7")
        if name != "sft":
            assert "-12.3" in hits[0] and "[-15.8," in hits[0] and "4.1e-11*" in hits[0]
            assert ("12%" in hits[0]) == movement
        else:
            assert hits[0].count("–") >= 3
    assert ("MDE –" in text) == mde_none


@pytest.mark.parametrize("key", [int, str])  # int in memory, str after a JSON round trip
def test_sft_row_is_the_checkpoint_the_deltas_are_paired_with(key):
    """With two SFT seeds the recipes start from the primary one: its accuracy, not the seed average, is the sft row,
    so the row and a recipe's Δ add up, and the caption names the other seed's accuracy."""
    results, stats = _stats(["sft", "rft"], movement=True, mde_none=False)
    results["primary_seed"] = 0
    stats["sft_seed_spread"] = {"hardneg_synth": {"per_sft_seed": {key(0): 0.61, key(1): 0.389}, "min": 0.389, "max": 0.61}}
    console = Console(width=80, record=True, color_system=None)
    console.print(rich_table(results, stats))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    sft_line = next(line for line in text.splitlines() if line.split() and line.split()[0] == "sft")
    assert sft_line.split()[1] == "61.0"
    assert "SFT seed 0, the one recipes start from" in text and "1: 38.9" in text
