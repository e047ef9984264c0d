"""The graph runner of `harness compare`: resolves stage nodes, keys, locks, caches and runs them.

The stages themselves are declared units, one module each under harness/stages/kinds/ (harness/stages/kind.py says
what a kind declares): data -> base -> sft -> pool -> pairrows -> pairs -> dpo | sftmore -> eval, plus the near-miss
slice and the sweep's validation evaluation. This module knows none of them by name except through a recipe's
trainer (`train`) and the evaluation (`evaluate`); a new trainer is a new kind module, not a branch here.

    pipe = Pipeline(cfg, seed=1)                      # one (run seed, SFT seed); `shared` joins several
    stage, meta = pipe.run(pipe.node("pool"))         # runs data, base, sft first (or reads them from the cache)
    pipe.key(pipe.node("sft"))                        # a key without running anything

Seeds: the data split always comes from `cfg.seed`, so every seed is evaluated on the same problems (paired); the
base model and SFT use the SFT seed; the pool and its pairs use `sampling.seed` or the run seed; training uses the run
seed; greedy evaluation holds no seed, so one checkpoint shared by several seeds is evaluated once. The near-miss
slice is always selected by the primary SFT (`cfg.seed`) and frozen (harness/stages/near_slice.py).

Every stage is cached under `<run_dir>/<kind>-<key>` (harness/runtime/cache.py), so a rerun skips what is finished and
a killed run resumes. A key covers exactly the kind's declared fields, its upstream keys, its inputs, its seed and its
code (harness/stages/kind.py `key_payload`); the precision, attention, compile and device settings are resolved
(`auto` -> what this machine runs) before any key, and the launch's world size enters through the global batch of
every training stage.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from harness.config import ExperimentConfig
from harness.data.loaders import read_jsonl
from harness.pairs import NoPairs
from harness.registry import Recipe
from harness.runtime.cache import Stage, stage_key
from harness.runtime.progress import console, fmt_seconds, in_worker
from harness.stages.kind import Node, StageKind, get_kind, key_payload, make_node, trainer_kind


@dataclass
class StageContext:
    """What a kind's `produce` sees: the runner, its node, the config with `seed` set to the seed the stage draws
    from, and its upstream stages (run on first use)."""
    pipe: "Pipeline"
    node: Node
    cfg: ExperimentConfig
    stage: Stage

    def up(self, name: str) -> Stage:
        return self.pipe.run(self._up(name))[0]

    def up_meta(self, name: str) -> dict:
        return self.pipe.run(self._up(name))[1]

    def path(self, name: str) -> str:
        """An upstream stage's directory, or the path/hub id of an external one (a pretrained base)."""
        return self.pipe.path(self._up(name))

    def model(self, name: str) -> str:
        """The model directory an upstream training stage wrote."""
        return str(self.up(name).dir / "model")

    def split(self, name: str) -> list[dict]:
        return self.pipe.split(name)

    def cost(self, record: dict) -> dict:
        """A stage's cost record (harness/runtime/cost.py) with the device it ran on; the runner adds the seconds."""
        from harness.runtime.cost import finish
        from harness.training.counting import device_label
        return finish(record, None, device_label(self.pipe.launch["device"], self.pipe.launch["world_size"]))

    def _up(self, name: str) -> Node:
        return get_kind(self.node.kind).upstream(self.pipe, self.node)[name]


class Pipeline:
    def __init__(self, cfg: ExperimentConfig, seed: int | None = None, sft_seed: int | None = None,
                 shared: dict | None = None):
        from harness.runtime.device import resolve_device, resolve_precision
        from harness.runtime.dist import resolve_global_batch, world_size
        cfg = resolve_global_batch(resolve_precision(cfg))
        self.seed = cfg.seed if seed is None else seed
        self.sft_seed = cfg.seed if sft_seed is None else sft_seed
        self.data_cfg = cfg  # data split and the near-miss slice: always the primary seed
        self.cfg = dataclasses.replace(cfg, seed=self.seed)
        self.sft_cfg = dataclasses.replace(cfg, seed=self.sft_seed)
        self.launch = {"device": resolve_device(cfg.device), "world_size": world_size()}
        self.run_dir = Path(cfg.run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # stage results are shared between the pipelines of one `harness compare` (one per seed)
        shared = shared if shared is not None else {}
        self.timings: dict[str, dict] = shared.setdefault("timings", {})
        self._memo: dict[str, tuple[Stage, dict]] = shared.setdefault("memo", {})
        self._payloads: dict[Node, dict] = {}  # per config: a sweep's pipelines share `shared` across configs
        self._shared = shared

    # ---- nodes and keys ---------------------------------------------------------------------------------------
    @property
    def is_primary(self) -> bool:
        return self.seed == self.data_cfg.seed and self.sft_seed == self.data_cfg.seed

    @property
    def pool_seed(self) -> int:
        """Seed of the pool and its pairs: `sampling.seed` when set (one pool shared by every seed), else the run's."""
        return self.seed if self.cfg.sampling.seed is None else self.cfg.sampling.seed

    def node(self, kind: str, **params) -> Node:
        return make_node(kind, self.seed, self.sft_seed, **params)

    def primary_node(self, kind: str, **params) -> Node:
        """A node at the config's own seed, whatever this pipeline's: the near-miss slice is selected once, by the
        primary SFT, for every seed."""
        return make_node(kind, self.data_cfg.seed, self.data_cfg.seed, **params)

    def seed_of(self, kind: StageKind, node: Node) -> int | None:
        if kind.seed == "data":
            return self.data_cfg.seed
        if kind.seed == "sft":
            return node.sft_seed
        if kind.seed == "pool":
            return node.seed if self.cfg.sampling.seed is None else self.cfg.sampling.seed
        if kind.seed == "run":
            return node.seed
        return None

    def payload(self, node: Node) -> dict:
        """What the node's key hashes (harness/stages/kind.py `key_payload`); computed without running anything."""
        if node not in self._payloads:
            kind = get_kind(node.kind)
            up = {name: self.key(n) for name, n in kind.upstream(self, node).items()}
            self._payloads[node] = key_payload(kind, self, node, self.seed_of(kind, node), up, kind.inputs(self, node))
        return self._payloads[node]

    def key(self, node: Node) -> str:
        return stage_key(node.kind, self.payload(node))

    def stage(self, node: Node) -> Stage:
        kind = get_kind(node.kind)
        return Stage(self.run_dir, kind.name, self.payload(node), resumable=kind.resumable,
                     data_parallel=kind.data_parallel)

    def is_external(self, node: Node) -> bool:
        kind = get_kind(node.kind)
        return kind.external is not None and kind.external(self, node) is not None

    def path(self, node: Node) -> str:
        kind = get_kind(node.kind)
        return kind.external(self, node) if self.is_external(node) else str(self.run(node)[0].dir)

    def label(self, node: Node) -> str:
        """'pool' for the primary seeds, 'pool@seed1' or 'train:sft@sft1' otherwise."""
        kind = get_kind(node.kind)
        text = kind.label(node) if kind.label else kind.name
        parts = [] if node.sft_seed == self.data_cfg.seed else [f"sft{node.sft_seed}"]
        if kind.seed not in ("data", "sft") and node.seed != self.data_cfg.seed:
            parts.append(f"seed{node.seed}")
        return text + ("@" + ",".join(parts) if parts else "")

    # ---- running ----------------------------------------------------------------------------------------------
    def run(self, node: Node) -> tuple[Stage, dict]:
        """The node's stage and meta: from this run's memo, the cache, or computed (upstream first)."""
        kind = get_kind(node.kind)
        st = self.stage(node)
        if st.dir.name in self._memo:
            return self._memo[st.dir.name]
        # upstream first, each under its own lock (this stage's lock is held only while it works), and even when this
        # stage is cached: what it was made from stays in the run directory (a deleted slice is made again) and in
        # this run's memo, where the report reads the pool, pair and slice summaries
        for up in kind.upstream(self, node).values():
            if not self.is_external(up):
                self.run(up)
        runner = self if (node.seed, node.sft_seed) == (self.seed, self.sft_seed) else \
            Pipeline(self.data_cfg, seed=node.seed, sft_seed=node.sft_seed, shared=self._shared)
        seed = self.seed_of(kind, node)
        cfg = dataclasses.replace(runner.cfg, seed=seed if seed is not None else runner.cfg.seed)
        no_pairs = self._shared.setdefault("no_pairs", {})  # a builder that found nothing is not run again per scheme
        if st.key in no_pairs:
            raise no_pairs[st.key]
        try:
            meta = st.run(lambda out: kind.produce(StageContext(runner, node, cfg, st), out))
        except NoPairs as e:
            no_pairs[st.key] = e
            raise
        label = self.label(node)
        if not meta["cached"] and not in_worker():  # one line per stage that did work: what, how long, where
            console.log(f"[bold cyan]{label}[/] {fmt_seconds(meta.get('seconds'))} [dim]{st.dir.name}[/]")
        self.timings[label] = {"seconds": meta.get("seconds"), "cached": meta["cached"], "dir": st.dir.name}
        self._memo[st.dir.name] = (st, meta)
        return st, meta

    def completed(self) -> list[tuple[Stage, dict]]:
        """Every stage this run (all its seeds) has finished or read from the cache, in order: (stage, meta)."""
        return list(self._memo.values())

    def split(self, name: str) -> list[dict]:
        return read_jsonl(self.run(self.node("data"))[0].dir / f"{name}.jsonl")

    # ---- the recipe's view ------------------------------------------------------------------------------------
    @staticmethod
    def recipe(node: Node) -> Recipe:
        """The recipe a training or evaluation node is for."""
        from harness.registry import get_recipe
        return get_recipe(node.p("recipe"))

    def train_node(self, recipe: Recipe) -> Node:
        kind = trainer_kind(recipe.trainer)
        return self.node(kind.name, **kind.recipe_params(recipe))

    def train(self, recipe: Recipe) -> tuple[str, dict, str]:
        """-> (model dir, stage meta, stage key)"""
        st, meta = self.run(self.train_node(recipe))
        return str(st.dir / "model"), meta, st.key

    def eval_node(self, recipe: Recipe) -> Node:
        return self.node("eval", recipe=recipe.name)

    def evaluate(self, recipe: Recipe) -> tuple[Stage, dict]:
        """-> (eval stage, meta with `scores` per task); the stage dir holds samples_<task>.jsonl."""
        return self.run(self.eval_node(recipe))

    def closure(self, node: Node) -> dict[str, Node]:
        """{kind: node} of every stage `node` depends on, itself included (nearest first when a kind repeats)."""
        out: dict[str, Node] = {}
        todo = [node]
        while todo:
            n = todo.pop(0)
            out.setdefault(n.kind, n)
            todo.extend(get_kind(n.kind).upstream(self, n).values())
        return out

    # shorthands the reporting pass and the benchmarks use
    def data(self) -> Stage:
        return self.run(self.node("data"))[0]

    def base(self) -> str:
        """Directory (or hub id) of the model SFT starts from."""
        return self.path(self.node("base"))

    def base_key(self) -> str:
        return self.key(self.node("base"))

    def sft(self) -> tuple[Stage, dict]:
        return self.run(self.node("sft"))

    def sft_key(self) -> str:
        return self.key(self.node("sft"))

    def pool(self) -> tuple[Stage, dict]:
        return self.run(self.node("pool"))

    def pairs(self, builder: str, scheme: str) -> tuple[Stage, dict]:
        return self.run(self.node("pairs", builder=builder, scheme=scheme))

    def near_miss_slice(self) -> tuple[Stage, dict]:
        return self.run(self.primary_node("slice"))

    def mark_no_pairs(self, builder: str, error: NoPairs) -> None:
        """Record that `builder` found no pairs in this pool (another process tried: `harness compare --jobs`), so
        this process skips its recipes without building them again."""
        self._shared.setdefault("no_pairs", {})[self.key(self.node("pairrows", builder=builder))] = error

