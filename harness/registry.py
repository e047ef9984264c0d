"""What a recipe may name, and the recipes: trainers, pair builders, weight schemes and baselines, each registered
by name with a one-line description and checked when a recipe is registered.

    # baselines/my_dpo.py  -- the whole file; nothing else needs editing
    from harness.registry import Recipe, register
    register(Recipe(name="my_dpo", description="DPO with beta 0.5 on hard pairs",
                    trainer="dpo", pairs="hard", weights="uniform", overrides={"beta": 0.5}))

A misspelt trainer, pair builder, weight scheme, loss type or override field raises ConfigError at `Recipe(...)`,
with one line listing the valid names.

Where each kind is registered:
  recipes         one file per recipe in baselines/, `register(Recipe(...))`; discovered by importing every module
  pair builders   `@pair_builder(name, description)` in harness/pairs/ (harness/pairs/base.py)
  weight schemes  `@weight_scheme(name, description)` in harness/pairs/ (harness/pairs/weights.py)
  rewards         `@reward(name, description, reads=...)` in harness/rewards/, one module each (harness/rewards/base.py)
  trainers        one `register_trainer(...)` call at the end of this file, e.g.
                  register_trainer("grpo", section="grpo", needs_pairs=False, description="online GRPO from SFT")
                  (`section`: the config section whose fields a recipe's `overrides` may set)

Layers: harness.registry sits below harness.pairs (pyproject.toml [tool.importlinter]), so the name registries
live here and the pair-building code registers into them. This module never imports harness.pairs statically; to
check a recipe against every builder and scheme it loads that package by name, module by module, exactly as it
loads baselines/ -- a plug-in discovery, so the static layers (and what reporting may import) stay as they are.
"""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import sys
import typing
from dataclasses import dataclass, field
from typing import Callable

from harness.config import ConfigError, ExperimentConfig

# packages whose modules register pair builders, weight schemes and rewards on import
COMPONENT_PACKAGES = ("harness.pairs", "harness.rewards")


@dataclass(frozen=True)
class Trainer:
    """A trainer a recipe may name."""
    name: str
    description: str
    """One line for `harness list`."""
    section: str | None
    """The config section (a field of ExperimentConfig) whose fields a recipe's `overrides` set; None: no overrides."""
    needs_pairs: bool = False
    """True: a recipe with this trainer must name a pair builder (and may name a weight scheme)."""
    loss_types: tuple[str, ...] = ()
    """Loss types a recipe may combine in `loss_type`; empty: the trainer reads no loss_type."""
    needs_reward: bool = False
    """True: a recipe with this trainer must name a registered reward (`reward=...`); others may not name one."""

    def override_fields(self) -> list[str]:
        if self.section is None:
            return []
        return [f.name for f in dataclasses.fields(_section_class(self.section))]


@dataclass(frozen=True)
class Component:
    """A registered pair builder, weight scheme or reward: its name, one line, and the function that implements it."""
    kind: str
    name: str
    description: str
    fn: Callable = field(compare=False)
    reads: tuple = ()
    """A reward: the config fields its scores depend on (dotted, as a stage kind's `reads`), keyed by the stage."""

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()


TRAINERS: dict[str, Trainer] = {}
_COMPONENTS: dict[str, dict[str, Component]] = {"pair builder": {}, "weight scheme": {}, "reward": {}}


def _section_class(section: str):
    hints = typing.get_type_hints(ExperimentConfig)
    cls = hints.get(section)
    if cls is None or not dataclasses.is_dataclass(cls):
        sections = [n for n, t in hints.items() if dataclasses.is_dataclass(t)]
        raise ConfigError(f"trainer section '{section}' is not a config section; sections: {', '.join(sections)}")
    return cls


def register_trainer(name: str, *, description: str, section: str | None, needs_pairs: bool = False,
                     loss_types: tuple[str, ...] = (), needs_reward: bool = False) -> Trainer:
    """Declare a trainer recipes may name (its code lives in harness/training/ and its stage in harness/stages/)."""
    if section is not None:
        _section_class(section)
    t = Trainer(name, description, section, needs_pairs, tuple(loss_types), needs_reward)
    if TRAINERS.get(name, t) != t:
        raise ConfigError(f"trainer '{name}' is registered twice with different definitions")
    TRAINERS[name] = t
    return t


def _register_component(kind: str, name: str, description: str, fn: Callable, reads: tuple = ()) -> Component:
    reg = _COMPONENTS[kind]
    old = reg.get(name)
    if old is not None and (old.fn.__module__, old.fn.__qualname__) != (fn.__module__, fn.__qualname__):
        raise ConfigError(f"{kind} '{name}' is registered twice ({old.fn.__module__} and {fn.__module__})")
    reg[name] = Component(kind, name, description, fn, tuple(reads))
    return reg[name]


def register_pair_builder(name: str, description: str, fn: Callable) -> Component:
    """Called by harness.pairs.base.pair_builder; use that decorator."""
    return _register_component("pair builder", name, description, fn)


def register_weight_scheme(name: str, description: str, fn: Callable) -> Component:
    """Called by harness.pairs.weights.weight_scheme; use that decorator."""
    return _register_component("weight scheme", name, description, fn)


def register_reward(name: str, description: str, fn: Callable, reads: tuple = ()) -> Component:
    """Called by harness.rewards.base.reward; use that decorator."""
    return _register_component("reward", name, description, fn, reads)


_components_loaded = False


def _discover_components() -> None:
    global _components_loaded
    if _components_loaded:
        return
    _components_loaded = True
    for pkg_name in COMPONENT_PACKAGES:
        pkg = importlib.import_module(pkg_name)
        for mod in pkgutil.iter_modules(pkg.__path__):
            importlib.import_module(f"{pkg_name}.{mod.name}")


def pair_builders() -> dict[str, Component]:
    """Every registered pair builder, by name."""
    _discover_components()
    return dict(sorted(_COMPONENTS["pair builder"].items()))


def weight_schemes() -> dict[str, Component]:
    """Every registered weight scheme, by name."""
    _discover_components()
    return dict(sorted(_COMPONENTS["weight scheme"].items()))


def rewards() -> dict[str, Component]:
    """Every registered reward (online RL), by name."""
    _discover_components()
    return dict(sorted(_COMPONENTS["reward"].items()))


def _lookup(kind: str, name: str, known: dict) -> object:
    if name not in known:
        raise ConfigError(f"unknown {kind} '{name}'; registered: {', '.join(known)}")
    return known[name]


def get_pair_builder(name: str) -> Component:
    return _lookup("pair builder", name, pair_builders())


def get_weight_scheme(name: str) -> Component:
    return _lookup("weight scheme", name, weight_schemes())


def get_reward(name: str) -> Component:
    return _lookup("reward", name, rewards())


@dataclass(frozen=True)
class Recipe:
    """What one baseline trains and how; everything else comes from the experiment config. Checked on creation
    against the registered trainers, pair builders, weight schemes, loss types and config fields."""
    name: str
    """Identifier used on the command line (`--recipes name`) and in reports."""
    description: str
    """One short line for `harness list` and the report."""
    trainer: str
    """A registered trainer (`harness list`): 'sft', 'sft_more', 'dpo' or 'grpo'."""
    pairs: str | None = None
    """Pair builder for trainers that read pairs (`harness list` names them)."""
    weights: str = "uniform"
    """Per-pair weight scheme for trainers that read pairs (`harness list` names them)."""
    reward: str | None = None
    """The reward an online trainer (grpo) scores its completions with (`harness list` names them)."""
    loss_type: tuple = ("sigmoid",)
    """Loss types the trainer combines; for dpo ('sigmoid', 'sft') is RPO and ('sft',) the chosen side's NLL."""
    overrides: dict = field(default_factory=dict)
    """Fields of the trainer's config section (sft for sft/sft_more, dpo for dpo, grpo for grpo) to change for this
    recipe only."""
    order: int = 100
    """Position in tables (lower first)."""
    rounds: int = 1
    """Iterated rounds (trainers that read pairs): round r samples a fresh pool from round r-1's policy (round 1:
    the SFT's, so round 1 is the recipe without iteration), verifies, mines and trains from that policy with it as
    the reference, each round at the trainer's full step budget (harness/stages/kinds/rounds.py)."""

    def __post_init__(self) -> None:
        if isinstance(self.loss_type, (list, str)):
            object.__setattr__(self, "loss_type", (self.loss_type,) if isinstance(self.loss_type, str)
                               else tuple(self.loss_type))
        what = f"recipe '{self.name}'"
        trainer = TRAINERS.get(self.trainer)
        if trainer is None:
            raise ConfigError(f"{what}: unknown trainer '{self.trainer}'; registered: {', '.join(TRAINERS)}")
        if trainer.needs_pairs:
            if not self.pairs:
                raise ConfigError(f"{what}: trainer '{self.trainer}' needs a pair builder (pairs=...); registered: "
                                  f"{', '.join(pair_builders())}")
            if self.pairs not in pair_builders():
                raise ConfigError(f"{what}: unknown pair builder '{self.pairs}'; registered: "
                                  f"{', '.join(pair_builders())}")
            if self.weights not in weight_schemes():
                raise ConfigError(f"{what}: unknown weight scheme '{self.weights}'; registered: "
                                  f"{', '.join(weight_schemes())}")
        elif self.pairs:
            raise ConfigError(f"{what}: trainer '{self.trainer}' reads no pairs; drop pairs={self.pairs!r} or use one "
                              f"of: {', '.join(n for n, t in TRAINERS.items() if t.needs_pairs)}")
        if trainer.needs_reward:
            if self.reward not in rewards():
                raise ConfigError(f"{what}: " + (f"unknown reward '{self.reward}'" if self.reward else
                                                 f"trainer '{self.trainer}' needs a reward (reward=...)")
                                  + f"; registered: {', '.join(rewards())}")
        elif self.reward:
            raise ConfigError(f"{what}: trainer '{self.trainer}' takes no reward; drop reward={self.reward!r} or use "
                              f"one of: {', '.join(n for n, t in TRAINERS.items() if t.needs_reward)}")
        if trainer.loss_types:
            bad = [t for t in self.loss_type if t not in trainer.loss_types] or ([] if self.loss_type else ["(none)"])
            if bad:
                raise ConfigError(f"{what}: unknown loss type {', '.join(map(repr, bad))} for trainer "
                                  f"'{self.trainer}'; allowed: {', '.join(trainer.loss_types)}")
        if not isinstance(self.rounds, int) or self.rounds < 1 or (self.rounds > 1 and not trainer.needs_pairs):
            raise ConfigError(f"{what}: rounds={self.rounds!r}: a positive integer, above 1 only for trainers that "
                              f"read pairs ({', '.join(n for n, t in TRAINERS.items() if t.needs_pairs)})")
        fields = trainer.override_fields()
        bad_fields = sorted(set(self.overrides) - set(fields))
        if bad_fields:
            raise ConfigError(f"{what}: overrides {', '.join(bad_fields)} are not fields of section "
                              f"'{trainer.section}'; allowed: {', '.join(fields) or '(none)'}")


_RECIPES: dict[str, Recipe] = {}
_ORIGIN: dict[str, str] = {}
_loaded = False


def register(recipe: Recipe) -> Recipe:
    if recipe.name in _RECIPES and _RECIPES[recipe.name] != recipe:
        raise ConfigError(f"recipe '{recipe.name}' is registered twice with different definitions")
    _RECIPES[recipe.name] = recipe
    _ORIGIN.setdefault(recipe.name, sys._getframe(1).f_globals.get("__name__", "?"))
    return recipe


def recipe_origin(name: str) -> str:
    """The module that registered a recipe (e.g. 'baselines.dpo')."""
    get_recipe(name)
    return _ORIGIN[name]


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


def is_offline(recipe: Recipe) -> bool:
    """Trained from one pool of the SFT policy, no generation during training: not an online (reward) trainer, not
    iterated. `make demo` runs these; the online and iterated recipes cost several times more (`harness list`)."""
    return not TRAINERS[recipe.trainer].needs_reward and recipe.rounds == 1


def resolve(names: str) -> list[Recipe]:
    """'all', 'offline' (the recipes `is_offline` keeps) or a comma-separated list -> recipes."""
    if names.strip() == "all":
        return all_recipes()
    if names.strip() == "offline":
        return [r for r in all_recipes() if is_offline(r)]
    return [get_recipe(n.strip()) for n in names.split(",") if n.strip()]


# The trainers. Adding one: a register_trainer call here, its training code in harness/training/, its stage.
register_trainer("sft", section="sft",
                 description="TRL SFTTrainer on the reference solutions")
register_trainer("sft_more", section="sft",
                 description="SFT continued from the SFT checkpoint at the DPO budget")
# loss types: the subset of TRL 1.16 DPOConfig.loss_type that WeightedDPOTrainer implements
# (harness/training/dpo.py SUPPORTED_LOSSES; tests/test_registry.py keeps the two equal)
register_trainer("dpo", section="dpo", needs_pairs=True, loss_types=("sigmoid", "sft"),
                 description="TRL DPOTrainer with per-pair weights, from the SFT checkpoint")
register_trainer("grpo", section="grpo", needs_reward=True,
                 description="TRL GRPOTrainer: online RL from the SFT checkpoint with a registered reward")
