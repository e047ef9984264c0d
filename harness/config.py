"""Experiment configuration: one YAML per experiment, validated into documented dataclasses.

    cfg = load_config("configs/tiny.yaml", ["sft.max_steps=50", "seed=1"])

An unknown key or a bad value raises ConfigError with one line naming the key and what is allowed.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from verifier import VerifierConfig


class ConfigError(ValueError):
    """A config problem the user can fix; the CLI prints it as one line and exits with 2."""


def _choice(section: str, name: str, value, allowed) -> None:
    if value not in allowed:
        raise ConfigError(f"{section}.{name}={value!r}: allowed values are {', '.join(map(str, allowed))}")


def _positive(section: str, obj, *names) -> None:
    for n in names:
        if getattr(obj, n) <= 0:
            raise ConfigError(f"{section}.{n}={getattr(obj, n)!r}: must be > 0")


@dataclass
class ModelConfig:
    """The policy to start from."""
    kind: str = "tiny"
    """'tiny': a Qwen2-architecture model built from scratch here; 'random': the same builder at any shape the
    fields below give (configs/gpu-smoke.yaml: Qwen2.5-1.5B's shape, random weights, no download);
    'pretrained': load `name_or_path`."""
    name_or_path: str | None = None
    """Hub id (e.g. Qwen/Qwen2.5-1.5B) or local directory; only for kind=pretrained."""
    hidden_size: int = 256
    layers: int = 4
    heads: int = 4
    kv_heads: int = 2
    intermediate_size: int = 768
    vocab_size: int = 1024
    """Size of the locally trained byte-level BPE (digits are always single tokens)."""
    max_positions: int = 1024
    dtype: str = "auto"
    """'auto' (bf16 on a GPU that supports it, else fp32), 'float32' or 'bfloat16'."""

    def validate(self) -> None:
        _choice("model", "kind", self.kind, ["tiny", "random", "pretrained"])
        _choice("model", "dtype", self.dtype, ["auto", "float32", "bfloat16"])
        if self.kind == "pretrained" and not self.name_or_path:
            raise ConfigError("model.name_or_path: required when model.kind=pretrained (a hub id or a local dir)")
        _positive("model", self, "hidden_size", "layers", "heads", "kv_heads", "intermediate_size", "vocab_size")
        if self.hidden_size % self.heads or self.heads % self.kv_heads:
            raise ConfigError("model.heads must divide model.hidden_size and model.kv_heads must divide model.heads")


@dataclass
class DataConfig:
    """Training problems and their prompt format."""
    source: str = "synthetic"
    """'synthetic' (embedded generator), 'metamathqa' (hub or `path`), 'gsm8k' (train split, hub or `path`)."""
    path: str | None = None
    """Local file/folder for metamathqa or gsm8k; unset means the Hugging Face hub."""
    n_train: int = 20000
    n_val: int = 100
    n_test: int = 200
    min_steps: int = 2
    max_steps: int = 3
    max_operand: int = 6
    """Largest operand of a step; with max_value the main difficulty knob (arithmetic is what a tiny model finds hard)."""
    max_value: int = 30
    """Largest value any intermediate result may take."""
    backward_rate: float = 0.25
    """Share of MetaMathQA-style backward ('unknown variable x') questions."""
    prompt_template: str = "Question: {question}\nAnswer:"
    """Prompt wrapped around every question, in training and in every lm-eval task."""
    planted_rate: float = 0.0
    """The planted-flaw world (harness/data/planted.py; synthetic only): share of the training problems holding a
    trigger whose solution is written with the planted flaw. 0 is the clean world (no labels, no flaws)."""
    planted_kinds: list = field(default_factory=lambda: ["misread", "omission"])
    """Which planted flaws exist in that world: 'misread' (a take-away step written as an add) and/or 'omission'
    (an add step left out)."""

    def validate(self) -> None:
        _choice("data", "source", self.source, ["synthetic", "metamathqa", "gsm8k"])
        _positive("data", self, "n_train", "min_steps", "max_steps", "max_operand", "max_value")
        if self.n_val < 0 or self.n_test < 0:
            raise ConfigError("data.n_val and data.n_test must be >= 0")
        if self.min_steps > self.max_steps:
            raise ConfigError("data.min_steps must be <= data.max_steps")
        if not 0 <= self.backward_rate <= 1:
            raise ConfigError("data.backward_rate: must lie in [0, 1]")
        if "{question}" not in self.prompt_template:
            raise ConfigError("data.prompt_template: must contain '{question}'")
        if not 0 <= self.planted_rate <= 1:
            raise ConfigError(f"data.planted_rate={self.planted_rate!r}: must lie in [0, 1] (0: the clean world)")
        for k in self.planted_kinds:
            _choice("data", "planted_kinds", k, ["misread", "omission"])
        if self.planted_rate > 0 and (self.source != "synthetic" or not self.planted_kinds):
            raise ConfigError("data.planted_rate > 0 needs data.source=synthetic and at least one data.planted_kinds")


@dataclass
class TrainConfig:
    """Optimizer settings shared by the SFT and DPO stages (each has its own section)."""
    max_steps: int = 1000
    batch_size: int = 16
    grad_accum: int = 1
    learning_rate: float = 2e-3
    warmup_steps: int = 30
    scheduler: str = "cosine"
    weight_decay: float = 0.0
    max_length: int = 256
    """Tokens per example (prompt + completion); longer rows are truncated."""
    gradient_checkpointing: bool | None = None
    """None: on for GPUs, off for CPU (TRL defaults it on; it costs ~25% throughput)."""
    logging_steps: int = 25
    report_to: str = "none"
    """Experiment tracker the trainer logs to: 'none', 'tensorboard' (under the stage's work dir) or 'wandb'."""
    liger_kernel: bool = False
    """Liger's fused RMSNorm/SwiGLU/RoPE kernels (GPU; pip install liger-kernel). TRL 1.16 already fuses the LM head."""

    def validate(self, section: str) -> None:
        _positive(section, self, "max_steps", "batch_size", "grad_accum", "learning_rate", "max_length", "logging_steps")
        _choice(section, "scheduler", self.scheduler, ["cosine", "linear", "constant", "constant_with_warmup"])
        _choice(section, "report_to", self.report_to, ["none", "tensorboard", "wandb"])


@dataclass
class DPOConfig(TrainConfig):
    """DPO stage; the trainer kind (weighting, pairs) comes from the recipe."""
    max_steps: int = 90
    batch_size: int = 8
    learning_rate: float = 5e-6
    warmup_steps: int = 10
    scheduler: str = "constant_with_warmup"
    beta: float = 0.1
    """DPO temperature: larger keeps the policy closer to the SFT reference."""
    rpo_alpha: float = 1.0
    """Weight of the SFT (NLL on chosen) term for the rpo recipe."""
    precompute_ref_log_probs: bool = True
    """Cache reference log-probs once instead of holding a second model copy."""

    def validate(self, section: str = "dpo") -> None:
        super().validate(section)
        _positive(section, self, "beta")


@dataclass
class SamplingConfig:
    """Sampling k solutions per training problem from the SFT policy."""
    backend: str = "hf"
    """'hf' (batched transformers generate) or 'vllm' (GPU; pip install .[vllm])."""
    n_problems: int = 384
    k: int = 4
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 120
    batch_size: int = 128
    cache: str = "dynamic"
    """hf backend: 'dynamic' KV cache or 'static' (preallocated; transformers compiles the decode step on CUDA)."""
    tensor_parallel_size: int = 1
    """vllm backend: GPUs one sampling engine spans (tensor parallel)."""
    gpu_memory_utilization: float = 0.9
    """vllm backend: share of each GPU's memory the engine may take; it runs in a child process per sampling
    stage, so the memory returns to the training stage after it."""
    seed: int | None = None
    """Seed of the pool and of the pairs built from it; null = the run's seed, so `harness compare --seeds` draws a
    new pool per seed. Set it (e.g. 0) to share one pool across seeds: the seeds then vary training only (data
    order), which is cheaper but leaves the pool's own sampling variance out of the intervals."""
    include_greedy: bool = False
    """Add each pool problem's greedy completion to its samples (marked `greedy: true`): evaluation is greedy, so a
    wrong greedy completion is the error the policy actually makes; pair builders prefer it as the rejected."""

    def validate(self) -> None:
        _choice("sampling", "backend", self.backend, ["hf", "vllm"])
        _choice("sampling", "cache", self.cache, ["dynamic", "static"])
        _positive("sampling", self, "n_problems", "k", "max_new_tokens", "batch_size", "tensor_parallel_size")
        if not 0 < self.gpu_memory_utilization <= 1:
            raise ConfigError(f"sampling.gpu_memory_utilization={self.gpu_memory_utilization!r}: must lie in (0, 1]")
        if self.tensor_parallel_size > 1 and self.backend != "vllm":
            raise ConfigError("sampling.tensor_parallel_size > 1 needs sampling.backend=vllm (hf samples on one device)")
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ConfigError("sampling.temperature must be >= 0 and sampling.top_p in (0, 1]")


@dataclass
class PairsConfig:
    """Verifier weights for the `verifier` weight scheme (see harness/pairs/ for the formula)."""
    alpha: float = 1.0
    """Emphasis on plausibility: weight grows with (1 - absurdity)**alpha."""
    gamma: float = 1.0
    """Emphasis on nearness: weight grows with (1 - distance)**gamma."""
    structure_bonus: float = 0.5
    """Extra weight when the negative's chain is broken (arithmetic or consistency > 0)."""
    clip_min: float = 0.2
    clip_max: float = 3.0
    """Weights are normalized to mean 1 over the dataset, then clipped to [clip_min, clip_max]."""
    max_per_problem: int = 1
    """Pairs per training problem (distinct rejected samples; a wrong greedy completion first)."""
    chosen_max_coverage: float = 0.0
    """A policy sample is a chosen only if complete: verifier coverage <= this (0: it uses every question quantity
    and derives every reference intermediate). 1 accepts any correct, clean sample."""
    continuation: str = "step"
    """`step` pairs: the completion after the shared prefix is the first flawed step ('step') or the rest of the
    solution from it ('rest'); see harness/pairs/step.py."""
    step_chosen: str = "resample"
    """`step` pairs' chosen: 'resample' (a continuation sampled from the SFT policy that the verifier rates correct,
    clean and complete) or 'corrected' (the flawed step with its false computation's true value; continuation=step)."""
    step_resample_k: int = 4
    """Continuations sampled from each prefix when step_chosen=resample."""
    logic_bonus: float = 2.0
    """`structural` weight scheme: extra weight when the negative's flaw is logical (true arithmetic, a consistency
    or coverage flag), as structure_bonus is for a broken chain in the `verifier` scheme."""
    slip_factor: float = 0.5
    """`structural` weight scheme: multiplier for a negative with an arithmetic slip (capacity errors, which
    preference updates do not fix), in [0, 1]."""

    def validate(self) -> None:
        _choice("pairs", "continuation", self.continuation, ["step", "rest"])
        _choice("pairs", "step_chosen", self.step_chosen, ["resample", "corrected"])
        _positive("pairs", self, "max_per_problem", "step_resample_k")
        if self.step_chosen == "corrected" and self.continuation != "step":
            raise ConfigError("pairs.step_chosen=corrected needs pairs.continuation=step (a corrected step has no "
                              "correct rest of the solution after it)")
        if not 0 <= self.chosen_max_coverage <= 1:
            raise ConfigError("pairs.chosen_max_coverage: must lie in [0, 1]")
        if not 0 <= self.clip_min < 1 < self.clip_max:
            raise ConfigError("pairs.clip_min must lie in [0, 1) and pairs.clip_max be > 1")
        if min(self.alpha, self.gamma, self.structure_bonus) < 0:
            raise ConfigError("pairs.alpha, pairs.gamma and pairs.structure_bonus must be >= 0")
        if self.logic_bonus < 0 or not 0 <= self.slip_factor <= 1:
            raise ConfigError("pairs.logic_bonus must be >= 0 and pairs.slip_factor lie in [0, 1]")


@dataclass
class EvalConfig:
    """Evaluation through lm-evaluation-harness tasks in tasks/."""
    tasks: list = field(default_factory=lambda: ["hardneg_synth", "hardneg_near_miss", "hardneg_gsm8k_cot", "hardneg_math500"])
    limit: int | None = 200
    """Examples per task (None: all)."""
    task_limits: dict = field(default_factory=dict)
    """Per-task overrides of `limit`, e.g. {hardneg_math500: 50}."""
    near_miss_min_share: float = 0.5
    """A test problem joins the near-miss slice when at least this share of the SFT policy's samples on it
    are near misses: a wrong answer within verifier.near_distance behind an arithmetic or consistency flaw."""
    batch_size: int = 64
    max_gen_toks: int = 192
    cache: str = "dynamic"
    """KV cache of greedy generation: 'dynamic' (transformers' default) or 'static' (preallocated; faster in raw HF
    generate at batch 250 on CPU, slower through lm-eval's padded batches: benchmarks/eval_throughput.py)."""
    slice_from_synth: bool = True
    """Score the near-miss slice from the synthetic task's per-problem rows (the slice is a frozen subset of the
    same test problems and greedy decoding gives them the same completions) instead of generating them again."""
    gsm8k_path: str | None = "../shared/data/gsm8k"
    """Local GSM8K folder (test.jsonl); unset means the hub's openai/gsm8k."""
    math500_path: str | None = "../shared/data/math/math500_test.jsonl"
    """Local MATH-500 jsonl; unset means the hub's HuggingFaceH4/MATH-500."""

    def validate(self) -> None:
        allowed = ["hardneg_synth", "hardneg_near_miss", "hardneg_gsm8k_cot", "hardneg_math500"]
        for t in [*self.tasks, *self.task_limits]:
            _choice("eval", "tasks", t, allowed)
        _positive("eval", self, "batch_size", "max_gen_toks")
        _choice("eval", "cache", self.cache, ["static", "dynamic"])
        if not 0 < self.near_miss_min_share <= 1:
            raise ConfigError("eval.near_miss_min_share: must lie in (0, 1]")


@dataclass
class ReportConfig:
    """How `harness compare` / `harness report` compare recipes (harness/reporting/analysis.py)."""
    control: str = "dpo"
    """Second baseline every recipe is paired against (besides `sft`); a recipe name, or '' for none."""

    def validate(self) -> None:
        if self.control and not self.control.replace("_", "").isalnum():
            raise ConfigError(f"report.control={self.control!r}: expected a recipe name (see `harness list`) or ''")


@dataclass
class ExperimentConfig:
    """One experiment: everything `harness compare` needs, so its hash keys the cache."""
    name: str = "tiny"
    seed: int = 0
    run_dir: str = "runs/tiny"
    device: str = "auto"
    """'auto' (cuda if available), 'cpu' or 'cuda'."""
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    sft: TrainConfig = field(default_factory=TrainConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    pairs: PairsConfig = field(default_factory=PairsConfig)
    dpo: DPOConfig = field(default_factory=DPOConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    verifier: VerifierConfig = field(default_factory=VerifierConfig)

    def validate(self) -> "ExperimentConfig":
        _choice("", "device", self.device, ["auto", "cpu", "cuda"])
        self.model.validate()
        self.data.validate()
        self.sft.validate("sft")
        self.sampling.validate()
        self.pairs.validate()
        self.dpo.validate("dpo")
        self.eval.validate()
        self.report.validate()
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _coerce(path: str, tp, value):
    """Convert a YAML value to the field's declared type, or raise ConfigError naming the key."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        tp = next(a for a in args if a is not type(None))
        origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping of {', '.join(f.name for f in dataclasses.fields(tp))}")
        return _build(tp, value, path)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{path}={value!r}: expected true or false")
    if tp is float and isinstance(value, str):
        try:  # YAML 1.1 reads '1e-4' as a string
            value = float(value)
        except ValueError:
            pass
    if tp in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (tp is int and not float(value).is_integer()):
            raise ConfigError(f"{path}={value!r}: expected {'an integer' if tp is int else 'a number'}")
        return tp(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{path}={value!r}: expected a string")
        return value
    if tp in (list, tuple) or origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{path}={value!r}: expected a list")
        return list(value)
    if tp is dict or origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{path}={value!r}: expected a mapping")
        return value
    return value


def _build(cls, data: dict, prefix: str = ""):
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if key not in names:
            raise ConfigError(f"unknown config key '{path}'; allowed keys{' under ' + prefix if prefix else ''}: {', '.join(names)}")
        kwargs[key] = _coerce(path, hints[key], value)
    try:
        return cls(**kwargs)
    except ValueError as e:  # VerifierConfig validates in __post_init__
        raise ConfigError(str(e)) from None


def _set_dotted(tree: dict, dotted: str, value) -> None:
    node = tree
    parts = dotted.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override '{dotted}': '{p}' is not a section")
    node[parts[-1]] = value


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> ExperimentConfig:
    """Read YAML (None: built-in defaults), apply `key=value` overrides, validate."""
    data: dict = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file '{p}' not found; pass --config with an existing YAML such as configs/tiny.yaml")
        try:
            data = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"config file '{p}' is not valid YAML: {str(e).splitlines()[0]}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"config file '{p}' must hold a mapping of sections")
    for ov in overrides or []:
        if "=" not in ov:
            raise ConfigError(f"override '{ov}' must look like key=value, e.g. sft.max_steps=100")
        key, raw = ov.split("=", 1)
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        _set_dotted(data, key.strip(), value)
    return _build(ExperimentConfig, data).validate()
