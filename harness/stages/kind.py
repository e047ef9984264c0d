"""A stage kind: one declared unit of `harness compare`'s graph.

Each kind lives in its own module under harness/stages/kinds/ and declares
- `reads`: the config fields its output depends on (dotted: `sft.learning_rate`; `verifier.*` for a whole section
  whose every field is a scoring setting; `launch.device`, `launch.world_size` and `<section>.global_batch` for what
  the launch decides), either a tuple or a function of the node when a field matters only for some nodes (beta only
  for a sigmoid loss);
- `upstream`: the stages it reads, as {name: Node};
- `inputs`: anything else its output depends on that is not a config field (a recipe's loss and overrides, the
  evaluated task list and the fingerprint of those tasks' files);
- `code`: the modules (or packages) whose source produces it, hashed with the kind's own module;
- `produce(ctx, out) -> meta`: the function that writes its artifact into `out`.

A stage's key is built from exactly those: its declared fields' values, its upstream keys, its inputs, the seed it
draws from and the code fingerprint (`key_payload`). A config field no kind declares changes no key; a new field a
kind must see has to be declared (tests/test_stage_keys.py lists every field as read by some kind or as reporting
only). The runner that resolves, keys, locks, caches and schedules the nodes is harness/stages/pipeline.py.

    # harness/stages/kinds/my_stage.py: a new trainer or any new stage is one module like this
    KIND = register(StageKind(name="grpo", trainer="grpo", resumable=True, seed="run",
                              reads=("grpo.learning_rate", ...), code=("harness.training.grpo",),
                              upstream=lambda pipe, n: {"sft": n.at("sft")}, produce=produce))
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

SEEDS = ("data", "sft", "pool", "run", None)


@dataclass(frozen=True)
class Node:
    """One stage instance: its kind, the run seed and SFT seed of the pipeline that asked for it, and its own
    parameters (a recipe name, a pair builder, ...) as sorted (name, value) pairs."""
    kind: str
    seed: int
    sft_seed: int
    params: tuple = ()

    def p(self, name: str, default=None):
        return dict(self.params).get(name, default)

    def at(self, kind: str, seed: int | None = None, sft_seed: int | None = None, **params) -> "Node":
        """A node of another kind under the same seeds (or the given ones)."""
        return make_node(kind, self.seed if seed is None else seed, self.sft_seed if sft_seed is None else sft_seed,
                         **params)


def make_node(kind: str, seed: int, sft_seed: int, **params) -> Node:
    if kind not in _KINDS:
        load_kinds()
    if kind not in _KINDS:
        raise KeyError(f"unknown stage kind '{kind}'; known: {', '.join(sorted(_KINDS))}")
    return Node(kind, seed, sft_seed, tuple(sorted((k, _hashable(v)) for k, v in params.items() if v is not None)))


def _hashable(v):
    return json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v


@dataclass(frozen=True)
class StageKind:
    name: str
    """Directory prefix of its artifacts: <run_dir>/<name>-<key>."""
    produce: Callable
    """produce(ctx: StageContext, out: Path) -> meta dict; writes the artifact into `out`."""
    reads: tuple | Callable = ()
    """Config fields the output depends on (see the module docstring), or (pipeline, node) -> such a tuple."""
    upstream: Callable = field(default=lambda pipe, node: {})
    """(pipeline, node) -> {name: Node} of the stages it reads; they run (or load from the cache) first."""
    inputs: Callable = field(default=lambda pipe, node: {})
    """(pipeline, node) -> dict of what else enters the key (never a path under the run directory)."""
    seed: str | None = None
    """Which seed the stage draws from: 'data' (the config's seed), 'sft', 'pool' (sampling.seed or the run's),
    'run', or None (deterministic: greedy evaluation, so one checkpoint shared by several seeds is evaluated once)."""
    code: tuple = ()
    """Modules or packages whose source produces the output (the kind's own module is always added)."""
    resumable: bool = False
    """Training: a killed run resumes from the last checkpoint; collective across the ranks of a launch."""
    data_parallel: bool = False
    """A stage that only runs a model over items (sampling, evaluation): under a launch of N processes every rank
    computes its share of the items and rank 0 writes the artifact (harness/runtime/shard.py)."""
    trainer: str | None = None
    """The recipe trainer (harness/registry.py) this kind trains, if any."""
    recipe_params: Callable = field(default=lambda recipe: {"recipe": recipe.name})
    """A trainer kind: recipe -> the node parameters that train it."""
    label: Callable | None = None
    """node -> log label ('train:dpo', 'pairs:hard/verifier'); default: the kind's name."""
    external: Callable | None = None
    """(pipeline, node) -> a path or hub id when the stage needs no computation (a pretrained base model)."""
    serial: Callable | None = None
    """(pipeline, node) -> a group; `--jobs` runs the first node of a group before the others (a shared cache)."""
    module: str = ""

    def fields(self, pipe, node: Node) -> tuple:
        return tuple(self.reads(pipe, node)) if callable(self.reads) else tuple(self.reads)


_KINDS: dict[str, StageKind] = {}
_loaded = False


def register(kind: StageKind) -> StageKind:
    if kind.seed not in SEEDS:
        raise ValueError(f"stage kind {kind.name}: seed must be one of {SEEDS}")
    if kind.name in _KINDS and _KINDS[kind.name].module != kind.module:
        raise ValueError(f"stage kind '{kind.name}' is registered twice")
    import inspect
    module = kind.module or inspect.getmodule(kind.produce).__name__
    kind = dataclasses.replace(kind, module=module)
    _KINDS[kind.name] = kind
    return kind


def load_kinds() -> dict[str, StageKind]:
    """Every kind module under harness/stages/kinds/, imported once."""
    global _loaded
    if not _loaded:
        import pkgutil

        import harness.stages.kinds as pkg
        for mod in pkgutil.iter_modules(pkg.__path__):
            importlib.import_module(f"{pkg.__name__}.{mod.name}")
        _loaded = True
    return _KINDS


def get_kind(name: str) -> StageKind:
    load_kinds()
    return _KINDS[name]


def trainer_kind(trainer: str) -> StageKind:
    """The stage kind that trains recipes of `trainer`."""
    for k in load_kinds().values():
        if k.trainer == trainer:
            return k
    raise KeyError(f"no stage kind trains '{trainer}'; known trainers: "
                   f"{', '.join(sorted(k.trainer for k in _KINDS.values() if k.trainer))}")


# ---- what a key is built from ----------------------------------------------------------------------------------
def read_field(cfg, launch: dict, dotted: str):
    """The value of one declared field: a config field, `section.*` (the whole section), `launch.<name>`, or
    `<section>.global_batch` (batch_size x grad_accum x world size: what the optimizer sees per step)."""
    section, _, name = dotted.partition(".")
    if section == "launch":
        return launch[name]
    obj = getattr(cfg, section)
    if name == "*":
        return dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else obj
    if name == "global_batch":
        return obj.batch_size * obj.grad_accum * launch["world_size"]
    if not name:
        return obj
    return getattr(obj, name)


def read_fields(cfg, launch: dict, fields: tuple) -> dict:
    return {f: read_field(cfg, launch, f) for f in fields}


def _source_files(target: str) -> list[Path]:
    spec = importlib.util.find_spec(target)
    if spec is None or spec.origin is None:
        raise KeyError(f"code fingerprint: no module '{target}'")
    origin = Path(spec.origin)
    if spec.submodule_search_locations:  # a package: every .py under it
        return sorted(p for p in origin.parent.rglob("*.py") if "__pycache__" not in p.parts)
    return [origin]


@functools.lru_cache(maxsize=None)  # once per process: one run keys all its stages with the same code
def code_fingerprint(targets: tuple) -> str:
    """sha256 over the source of the named modules/packages (names and bytes, sorted): editing the code that
    produces a stage gives it a new key."""
    h = hashlib.sha256()
    files = sorted({p for t in targets for p in _source_files(t)})
    for p in files:
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()[:12]


def key_payload(kind: StageKind, pipe, node: Node, seed_value, upstream_keys: dict, inputs: dict) -> dict:
    return {"reads": read_fields(pipe.cfg, pipe.launch, kind.fields(pipe, node)), "upstream": upstream_keys, "inputs": inputs,
            "seed": seed_value, "code": code_fingerprint(tuple(sorted({kind.module, *kind.code})))}


# Config fields no kind lists in `reads`, and why (tests/test_stage_keys.py: every field is read or listed here).
REPORTING_ONLY = ("name", "run_dir", "report.*", "sft.logging_steps", "sft.report_to", "dpo.logging_steps",
                  "dpo.report_to", "grpo.logging_steps", "grpo.report_to", "grpo.grad_accum")
"""Names, destinations and loggers: they change no result. grpo.grad_accum splits a GRPO step's completions into
micro-batches (memory only: its losses normalize over the whole step, and the step's batch, prompts_per_step x
num_generations, is keyed whatever the split)."""
KEYED_AS_INPUTS = ("sft.batch_size", "sft.grad_accum", "dpo.batch_size", "dpo.grad_accum", "seed", "sampling.seed", "device", "eval.tasks", "eval.optional_tasks", "eval.real_benchmarks_for",
                   "eval.limit", "eval.task_limits", "eval.gsm8k_path", "eval.math500_path")
"""They enter keys in another form: a training section's batch and accumulation as its global batch, `seed`/`sampling.seed` as the seed a stage draws from, `device` resolved as
`launch.device`, the task list (after optional and real-benchmark filtering), each evaluated task's limit and, for a
real benchmark, its data path as the evaluation's inputs, per evaluated task."""
