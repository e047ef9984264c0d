"""Recipe registry. A recipe is a small declarative object registered from one file in baselines/.

    # baselines/my_dpo.py  -- the whole file; nothing else needs editing
    from harness.registry import Recipe, register
    register(Recipe(name="my_dpo", description="DPO with beta 0.5 on hard pairs",
                    trainer="dpo", pairs="hard", weights="uniform", overrides={"beta": 0.5}))
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field

TRAINERS = ("sft", "sft_more", "dpo")


@dataclass(frozen=True)
class Recipe:
    """What one baseline trains and how; everything else comes from the experiment config."""
    name: str
    """Identifier used on the command line (`--recipes name`) and in reports."""
    description: str
    """One line for `harness list` and the report."""
    trainer: str
    """'sft' (TRL SFTTrainer on reference solutions), 'sft_more' (SFT continued at the DPO budget, harness/training/sft_more.py)
    or 'dpo' (our WeightedDPOTrainer from the SFT checkpoint)."""
    pairs: str | None = None
    """Pair builder for DPO recipes (see harness/pairs/: 'random', 'hard')."""
    weights: str = "uniform"
    """Per-pair weight scheme for DPO recipes: 'uniform' or 'verifier'."""
    loss_type: tuple = ("sigmoid",)
    """TRL loss types; ('sigmoid', 'sft') is RPO."""
    overrides: dict = field(default_factory=dict)
    """Fields of the trainer's config section (sft or dpo) to change for this recipe only."""
    order: int = 100
    """Position in tables (lower first)."""

    def __post_init__(self) -> None:
        if self.trainer not in TRAINERS:
            raise ValueError(f"recipe {self.name}: trainer must be one of {TRAINERS}")
        if self.trainer == "dpo" and not self.pairs:
            raise ValueError(f"recipe {self.name}: a dpo recipe needs a pair builder (pairs=...)")


_RECIPES: dict[str, Recipe] = {}
_loaded = False


def register(recipe: Recipe) -> Recipe:
    if recipe.name in _RECIPES and _RECIPES[recipe.name] != recipe:
        raise ValueError(f"recipe '{recipe.name}' is registered twice with different definitions")
    _RECIPES[recipe.name] = recipe
    return recipe


def unregister(name: str) -> None:
    _RECIPES.pop(name, None)


def _discover() -> None:
    global _loaded
    if _loaded:
        return
    import baselines
    for mod in pkgutil.iter_modules(baselines.__path__):
        importlib.import_module(f"baselines.{mod.name}")
    _loaded = True


def all_recipes() -> list[Recipe]:
    _discover()
    return sorted(_RECIPES.values(), key=lambda r: (r.order, r.name))


def get_recipe(name: str) -> Recipe:
    _discover()
    if name not in _RECIPES:
        raise KeyError(f"unknown recipe '{name}'; registered: {', '.join(r.name for r in all_recipes())}")
    return _RECIPES[name]


def resolve(names: str) -> list[Recipe]:
    """'all' or a comma-separated list -> recipes, with 'sft' first when any DPO recipe needs it."""
    if names.strip() == "all":
        return all_recipes()
    return [get_recipe(n.strip()) for n in names.split(",") if n.strip()]
