"""Experiment configuration: one YAML per experiment, validated into documented dataclasses.

    cfg = load_config("tiny", ["sft.max_steps=50", "seed=1"])     # a packaged config (harness/configs/) by name
    cfg = load_config("my-experiment.yaml")                         # or any YAML file
    packaged_configs()                                              # ['gpu-smoke', ..., 'tiny', 'tiny-planted', ...]
    harness config [SECTION]          # every key with its type, allowed values, default and doc (config_docs.py)

The sections are pydantic v2 dataclasses (still `dataclasses.fields/asdict/replace`-compatible): types, `Literal`
choices, ranges and nested lists/dicts are checked by pydantic from the annotations below; what spans several fields
stays in each section's `validate()`. An unknown key or a bad value raises ConfigError with one line naming the key
and what is allowed (`_one_line` turns pydantic's first error into it). Cross-references to registries above this
layer (`report.control` must be a registered recipe) are checked where the registry is loaded (harness/cli.py).
"""
from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import field
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass as _pydantic_dataclass

from harness.tasks import task_names as _task_names
from verifier import VerifierConfig

# extra="forbid": a misspelt key is an error, never silently ignored
_SECTION = ConfigDict(extra="forbid", use_attribute_docstrings=True)


def dataclass(cls=None, /, **kw):
    """A validated config section: a pydantic dataclass that rejects unknown keys."""
    def wrap(c):
        return _pydantic_dataclass(c, config=_SECTION, **kw)
    return wrap if cls is None else wrap(cls)


# strict ints: YAML `true` or `2.5` is not a step count; floats stay lax so YAML 1.1's '1e-4' (a string) is a number
PosInt = Annotated[int, Field(strict=True, gt=0)]
NonNegInt = Annotated[int, Field(strict=True, ge=0)]
PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]
# the lm-eval tasks found in harness/tasks/ (a light registry: YAML parsing only, nothing above this layer)
EvalTask = Literal[_task_names()]
Scheduler = Literal["cosine", "linear", "constant", "constant_with_warmup"]
Tracker = Literal["none", "tensorboard", "wandb"]


class ConfigError(ValueError):
    """A config problem the user can fix; the CLI prints it as one line and exits with 2."""


@dataclass
class ModelConfig:
    """The policy to start from."""
    kind: Literal["tiny", "random", "pretrained"] = "tiny"
    """'tiny': a Qwen2-architecture model built from scratch here; 'random': the same builder at any shape the
    fields below give (the packaged gpu-smoke config: Qwen2.5-1.5B's shape, random weights, no download);
    'pretrained': load `name_or_path`."""
    name_or_path: str | None = None
    """Hub id (e.g. Qwen/Qwen2.5-1.5B) or local directory; only for kind=pretrained."""
    hidden_size: PosInt = 256
    layers: PosInt = 4
    heads: PosInt = 4
    kv_heads: PosInt = 2
    intermediate_size: PosInt = 768
    vocab_size: PosInt = 1024
    """Size of the locally trained byte-level BPE (digits are always single tokens)."""
    max_positions: PosInt = 1024
    dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    """'auto' (bf16 where the hardware computes it natively: a GPU that supports it, or a CPU with AVX512-BF16/AMX;
    else fp32; HARDNEG_CPU_BF16=0 keeps a CPU at fp32), 'float32' or 'bfloat16'. Trained weights stay fp32 (bf16 is
    autocast); the manifest records the result as `precision`."""
    train_attention: Literal["auto", "eager", "sdpa", "flash_attention_2"] = "auto"
    """Attention kernel of a model being *trained* (SFT, DPO, sft_more; sampling and evaluation keep the model's
    default, sdpa). 'auto': 'eager' on a CPU, where PyTorch's SDPA backward for CPU (flash_attention_for_cpu) took
    30% of an SFT step of the embedded default and eager's matmul + softmax cuts the step from 0.43 s to 0.30 s
    (benchmarks/results/train_attention.json), 'sdpa' on a GPU. The resolved value enters every stage key."""
    train_compile: Literal["none", "layers"] = "none"
    """'layers': each decoder layer of a model being *trained* (SFT, DPO, sft_more) runs through torch.compile
    (inductor, dynamic shapes; regional compilation, so the identical layers share one graph and the compile costs
    one layer's). Measured on the 2-core Xeon (benchmarks/results/train_compile.json, embedded default, bf16,
    eager attention): SFT 0.37 against 0.47 s per step (0.78x) after a one-time compile of ~72 s on an empty cache;
    a 90-step one-thread DPO stage 62 against 77 s on a warm cache, 112 s when it compiles its own graph. Inductor
    keeps compiled kernels on disk (TORCHINDUCTOR_CACHE_DIR), so it pays off most in long trainings and repeated
    runs; for one cold `make demo` these figures add up to ~100 s of ~1,100 (the compiles eat a third of the gain).
    The demo keeps 'none', which keeps its committed report's stage keys and SFT draw: one cold demo with 'layers'
    (benchmarks/results/demo_stages.json) drew SFT at 29.2%, under the demo's 40% floor. Needs a C++ compiler on a CPU.
    Compiled kernels round differently, so the value enters every stage key. 'none' (the default): plain eager
    PyTorch, as the tests and every committed report ran."""

    def validate(self) -> None:
        if self.kind == "pretrained" and not self.name_or_path:
            raise ConfigError("model.name_or_path: required when model.kind=pretrained (a hub id or a local dir)")
        if self.hidden_size % self.heads or self.heads % self.kv_heads:
            raise ConfigError("model.heads must divide model.hidden_size and model.kv_heads must divide model.heads")


@dataclass
class DataConfig:
    """Training problems and their prompt format."""
    source: Literal["synthetic", "metamathqa", "gsm8k"] = "synthetic"
    """'synthetic' (embedded generator), 'metamathqa' (hub or `path`), 'gsm8k' (train split, hub or `path`)."""
    path: str | None = None
    """Local file/folder for metamathqa or gsm8k; unset: the matching file under HARDNEG_DATA_DIR when that is set and
    holds it (gsm8k/ or metamathqa/MetaMathQA-395K.json), else the Hugging Face hub."""
    n_train: PosInt = 20000
    n_val: NonNegInt = 100
    n_test: NonNegInt = 200
    min_steps: PosInt = 2
    max_steps: PosInt = 3
    max_operand: PosInt = 6
    """Largest operand of a step; with max_value the main difficulty knob (arithmetic is what a tiny model finds hard)."""
    max_value: PosInt = 30
    """Largest value any intermediate result may take."""
    backward_rate: Share = 0.25
    """Share of MetaMathQA-style backward ('unknown variable x') questions."""
    prompt_template: str = "Question: {question}\nAnswer:"
    """Prompt wrapped around every question, in training and in every lm-eval task."""
    planted_rate: Share = 0.0
    """The planted-flaw world (harness/data/planted.py; synthetic only): share of the training problems holding a
    trigger whose solution is written with the planted flaw. 0 is the clean world (no labels, no flaws)."""
    planted_kinds: list[Literal["misread", "omission"]] = field(default_factory=lambda: ["misread", "omission"])
    """Which planted flaws exist in that world: 'misread' (a take-away step written as an add) and/or 'omission'
    (an add step left out)."""

    def validate(self) -> None:
        if self.min_steps > self.max_steps:
            raise ConfigError("data.min_steps must be <= data.max_steps")
        if "{question}" not in self.prompt_template:
            raise ConfigError("data.prompt_template: must contain '{question}'")
        if self.planted_rate > 0 and (self.source != "synthetic" or not self.planted_kinds):
            raise ConfigError("data.planted_rate > 0 needs data.source=synthetic and at least one data.planted_kinds")


@dataclass
class TrainConfig:
    """Optimizer settings shared by the SFT and DPO stages (each has its own section)."""
    max_steps: PosInt = 1000
    batch_size: PosInt = 16
    """Sequences per micro-batch on each process (memory)."""
    grad_accum: PosInt = 1
    """Micro-batches accumulated per optimizer step on each process; derived when global_batch is set."""
    global_batch: PosInt | None = None
    """Sequences per optimizer step over all processes: what the experiment is. When set, grad_accum is derived as
    global_batch / (batch_size x processes), which must be a whole number (else the run stops before any stage), so
    one config is the same experiment on 1 or 8 GPUs. None: batch_size x grad_accum x processes, as given."""
    learning_rate: PosFloat = 2e-3
    warmup_steps: NonNegInt = 30
    scheduler: Scheduler = "cosine"
    weight_decay: NonNegFloat = 0.0
    max_length: PosInt = 256
    """Tokens per example (prompt + completion); longer rows are truncated."""
    gradient_checkpointing: bool | None = None
    """None: on for GPUs, off for CPU (TRL defaults it on; it costs ~25% throughput)."""
    logging_steps: PosInt = 25
    report_to: Tracker = "none"
    """Experiment tracker the trainer logs to: 'none', 'tensorboard' (under the stage's work dir) or 'wandb'."""
    liger_kernel: bool = False
    """Liger's fused RMSNorm/SwiGLU/RoPE kernels (GPU; pip install liger-kernel). TRL 1.16 already fuses the LM head."""

    def derive_accumulation(self, section: str, processes: int) -> None:
        """grad_accum from global_batch and this launch's processes (see global_batch), or one line saying why not."""
        if self.global_batch is None:
            return
        per_step = self.batch_size * processes
        if self.global_batch % per_step:
            fits = [b for b in range(1, self.batch_size + 1) if self.global_batch % (b * processes) == 0]
            hint = (f"set {section}.batch_size to one of {fits}" if fits else
                    f"use a {section}.global_batch that {processes} processes divide")
            raise ConfigError(f"{section}.global_batch={self.global_batch}: {processes} process(es) x "
                              f"{section}.batch_size={self.batch_size} = {per_step} does not divide it; {hint}")
        accum = self.global_batch // per_step
        if self.grad_accum not in (1, accum, getattr(self, "_derived", None)):
            raise ConfigError(f"{section}.grad_accum={self.grad_accum} contradicts {section}.global_batch="
                              f"{self.global_batch} ({accum} at {processes} process(es) x batch {self.batch_size}); "
                              f"leave grad_accum unset where global_batch is set")
        self.grad_accum = self._derived = accum


@dataclass
class DPOConfig(TrainConfig):
    """DPO stage; the trainer kind (weighting, pairs) comes from the recipe."""
    max_steps: PosInt = 90
    batch_size: PosInt = 8
    learning_rate: PosFloat = 5e-6
    warmup_steps: NonNegInt = 10
    scheduler: Scheduler = "constant_with_warmup"
    beta: PosFloat = 0.1
    """DPO temperature: larger keeps the policy closer to the SFT reference."""
    rpo_alpha: NonNegFloat = 1.0
    """Weight of the SFT (NLL on chosen) term for the rpo recipe."""
    precompute_ref_log_probs: bool = True
    """Cache reference log-probs once instead of holding a second model copy."""


GRPOLoss = Literal["dapo", "dr_grpo", "grpo"]


@dataclass
class GRPOConfig:
    """Online RL from the SFT checkpoint (trainer `grpo`: TRL's GRPOTrainer, harness/training/grpo.py). Each step
    samples `num_generations` completions for each of `prompts_per_step` training prompts, scores every completion
    with the recipe's reward (harness/rewards/; `harness list correct`) and moves the policy toward the completions
    that beat their group's mean. Defaults are sized for the embedded default on 2 CPU cores: 90 steps of 8 x 8
    completions took ~270 s in a calibration outside the project; lr 1e-4 destroyed that model."""
    max_steps: PosInt = 90
    """Optimizer steps; each samples a fresh batch of prompts_per_step x num_generations completions."""
    prompts_per_step: PosInt = 8
    """Training prompts per optimizer step, over all processes. The step's batch is prompts_per_step x
    num_generations completions (TRL's generation batch), so it always holds whole groups."""
    num_generations: Annotated[int, Field(strict=True, ge=2)] = 8
    """Completions sampled per prompt: the group whose rewards are normalized into advantages (at least 2)."""
    grad_accum: PosInt = 1
    """Micro-batches each step's completions are split into (per process): memory, not the experiment (the allowed
    losses normalize over the whole step). It and the number of processes must divide the step's completions."""
    learning_rate: PosFloat = 2e-5
    """AdamW learning rate."""
    warmup_steps: NonNegInt = 0
    """Steps of linear learning-rate warm-up."""
    scheduler: Scheduler = "constant"
    """Learning-rate schedule after the warm-up (constant, as in the calibration)."""
    weight_decay: NonNegFloat = 0.0
    """AdamW weight decay."""
    loss_type: GRPOLoss = "dapo"
    """TRL's token aggregation: 'dapo' (TRL's default: token losses summed over the step's completions, divided by
    their token count), 'dr_grpo' (divided by a constant, max_completion_length) or 'grpo' (each completion's mean,
    then the batch mean: favours short right answers). Losses whose value depends on the micro-batch split (bnpo)
    are not offered."""
    beta: NonNegFloat = 0.0
    """KL penalty towards the SFT model; 0 (TRL's default) loads no reference model. > 0 keeps a frozen copy."""
    temperature: PosFloat = 1.0
    """Sampling temperature of the completions."""
    top_p: Annotated[float, Field(gt=0, le=1)] = 1.0
    """Nucleus sampling of the completions (1: the whole distribution)."""
    max_completion_length: PosInt = 120
    """Tokens a completion may have (the tiny model's sampling length, as sampling.max_new_tokens); a longer one is
    cut and scored as it stands. The longest training prompt plus this must fit the model's context."""
    n_problems: PosInt = 720
    """Training prompts used: the first n_problems of the training split (the pool samples the same head). 720 =
    the default 90 steps x 8 prompts: each prompt once; fewer repeat, in a fresh shuffle per pass."""
    gradient_checkpointing: bool | None = None
    """None: on for GPUs, off for CPU."""
    use_vllm: bool = False
    """Generate through vLLM colocated with the trainer (TRL's vllm_mode 'colocate'; GPU, pip install .[vllm]);
    False: transformers' generate inside TRL."""
    logging_steps: PosInt = 1
    """Steps between log entries; 1 records the reward of every step in the stage's log_history."""
    report_to: Tracker = "none"
    """Experiment tracker the trainer logs to: 'none', 'tensorboard' or 'wandb'."""
    flaw_penalty: Share = 0.5
    """`verifier` reward: taken off a right answer behind a step the verifier flags (a false computation or a
    broken chain; harness/rewards/verifier.py)."""
    near_credit: Share = 0.25
    """`verifier` reward: given to a wrong answer near the reference (within verifier.near_distance) whose first
    flaw is an arithmetic slip on the reference's path; never to a wrong reading with true arithmetic."""
    form_penalty: Share = 0.25
    """`verifier` reward: times the verifier's form score (no final answer, cut off, degenerate), taken off."""

    def validate(self, model: "ModelConfig | None" = None) -> None:
        completions = self.prompts_per_step * self.num_generations
        if completions % self.grad_accum:
            raise ConfigError(f"grpo.grad_accum={self.grad_accum}: must divide the step's prompts_per_step x "
                              f"num_generations = {completions} completions")
        if self.near_credit > 1 - self.flaw_penalty:
            raise ConfigError(f"grpo.near_credit={self.near_credit}: a wrong answer would outscore a right one; keep "
                              f"it <= 1 - grpo.flaw_penalty = {1 - self.flaw_penalty:g}")
        if model is not None and model.kind != "pretrained" and self.max_completion_length >= model.max_positions:
            raise ConfigError(f"grpo.max_completion_length={self.max_completion_length}: leaves no room for a prompt "
                              f"in model.max_positions={model.max_positions}; lower it or raise model.max_positions")


@dataclass
class SamplingConfig:
    """Sampling k solutions per training problem from the SFT policy."""
    backend: Literal["hf", "vllm"] = "hf"
    """'hf' (batched transformers generate) or 'vllm' (GPU; pip install .[vllm])."""
    n_problems: PosInt = 384
    k: PosInt = 4
    temperature: NonNegFloat = 1.0
    top_p: Annotated[float, Field(gt=0, le=1)] = 1.0
    max_new_tokens: PosInt = 120
    batch_size: PosInt = 128
    cache: Literal["dynamic", "static"] = "dynamic"
    """hf backend: 'dynamic' KV cache or 'static' (preallocated; transformers compiles the decode step on CUDA)."""
    tensor_parallel_size: PosInt = 1
    """vllm backend: GPUs one sampling engine spans (tensor parallel)."""
    gpu_memory_utilization: Annotated[float, Field(gt=0, le=1)] = 0.9
    """vllm backend: share of each GPU's memory the engine may take; it runs in a child process per sampling
    stage, so the memory returns to the training stage after it."""
    seed: NonNegInt | None = None
    """Seed of the pool and of the pairs built from it; null = the run's seed, so `harness compare --seeds` draws a
    new pool per seed. Set it (e.g. 0) to share one pool across seeds: the seeds then vary training only (data
    order), which is cheaper but leaves the pool's own sampling variance out of the intervals."""
    include_greedy: bool = False
    """Add each pool problem's greedy completion to its samples (marked `greedy: true`): evaluation is greedy, so a
    wrong greedy completion is the error the policy actually makes; pair builders prefer it as the rejected."""

    def validate(self) -> None:
        if self.tensor_parallel_size > 1 and self.backend != "vllm":
            raise ConfigError("sampling.tensor_parallel_size > 1 needs sampling.backend=vllm (hf samples on one device)")


@dataclass
class PairsConfig:
    """Verifier weights for the `verifier` weight scheme (see harness/pairs/ for the formula)."""
    alpha: NonNegFloat = 1.0
    """Emphasis on plausibility: weight grows with (1 - absurdity)**alpha."""
    gamma: NonNegFloat = 1.0
    """Emphasis on nearness: weight grows with (1 - distance)**gamma."""
    structure_bonus: NonNegFloat = 0.5
    """Extra weight when the negative's chain is broken (arithmetic or consistency > 0)."""
    clip_min: Annotated[float, Field(ge=0, lt=1)] = 0.2
    clip_max: Annotated[float, Field(gt=1)] = 3.0
    """Weights are normalized to mean 1 over the dataset, then clipped to [clip_min, clip_max]."""
    max_per_problem: PosInt = 1
    """Pairs per training problem (distinct rejected samples; a wrong greedy completion first)."""
    chosen_max_coverage: Share = 0.0
    """A policy sample is a chosen only if complete: verifier coverage <= this (0: it uses every question quantity
    and derives every reference intermediate). 1 accepts any correct, clean sample."""
    continuation: Literal["step", "rest"] = "step"
    """`step` pairs: the completion after the shared prefix is the first flawed step ('step') or the rest of the
    solution from it ('rest'); see harness/pairs/step.py."""
    step_chosen: Literal["resample", "corrected"] = "resample"
    """`step` pairs' chosen: 'resample' (a continuation sampled from the SFT policy that the verifier rates correct,
    clean and complete) or 'corrected' (the flawed step with its false computation's true value; continuation=step)."""
    step_resample_k: PosInt = 4
    """Continuations sampled from each prefix when step_chosen=resample."""
    logic_bonus: NonNegFloat = 2.0
    """`structural` weight scheme: extra weight when the negative's flaw is logical (true arithmetic, a consistency
    or coverage flag), as structure_bonus is for a broken chain in the `verifier` scheme."""
    slip_factor: Share = 0.5
    """`structural` weight scheme: multiplier for a negative with an arithmetic slip (capacity errors, which
    preference updates do not fix), in [0, 1]."""

    def validate(self) -> None:
        if self.step_chosen == "corrected" and self.continuation != "step":
            raise ConfigError("pairs.step_chosen=corrected needs pairs.continuation=step (a corrected step has no "
                              "correct rest of the solution after it)")


@dataclass
class EvalConfig:
    """Evaluation through lm-evaluation-harness tasks in harness/tasks/."""
    tasks: Annotated[list[EvalTask], Field(min_length=1)] = field(default_factory=lambda: ["hardneg_synth", "hardneg_near_miss"])
    """lm-eval tasks (harness/tasks/) every model is evaluated on; at least one. Required: when a real benchmark's
    data cannot be loaded (no local copy, no hub), the run stops before SFT with one line and exit 2. The real
    benchmarks: hardneg_gsm8k_cot and hardneg_math500 (hub by default, or eval.gsm8k_path / eval.math500_path)."""
    optional_tasks: list[EvalTask] = field(default_factory=list)
    """Tasks evaluated too when their data loads, skipped with one line saying which setting to set when it does not
    (harness/data/benchmarks.py); the packaged tiny configs list GSM8K and MATH-500 here so they run offline. A task
    in both lists is required."""
    limit: PosInt | None = 200
    """Examples per task (None: all)."""
    task_limits: dict[EvalTask, PosInt | None] = field(default_factory=dict)
    """Per-task overrides of `limit`, e.g. {hardneg_math500: 50}."""
    batch_size: PosInt = 64
    max_gen_toks: PosInt | None = None
    """Generation budget for every task; None: each task YAML's own `max_gen_toks` (harness list NAME). When set,
    the eval stage records the override per task (`generation` in its meta)."""
    cache: Literal["dynamic", "static"] = "dynamic"
    """KV cache of greedy generation: 'dynamic' (transformers' default) or 'static' (preallocated; faster in raw HF
    generate at batch 250 on CPU, slower through lm-eval's padded batches: benchmarks/eval_throughput.py)."""
    slice_from_synth: bool = True
    """Score the near-miss slice from the synthetic task's per-problem rows (the slice is a frozen subset of the
    same test problems and greedy decoding gives them the same completions) instead of generating them again; and
    take the primary SFT's synthetic rows from the slice stage, which already ran it greedily on the whole split."""
    gsm8k_path: str | None = None
    """Local GSM8K folder (test.jsonl) or jsonl file; unset: <HARDNEG_DATA_DIR>/gsm8k when that environment variable
    names a folder holding it, else the hub's openai/gsm8k."""
    math500_path: str | None = None
    """Local MATH-500 jsonl; unset: <HARDNEG_DATA_DIR>/math/math500_test.jsonl when that exists, else the hub's
    HuggingFaceH4/MATH-500."""
    real_benchmarks_for: Literal["all", "sft"] = "all"
    """Which models GSM8K and MATH-500 (when in `tasks`) evaluate: 'all', or 'sft' alone, where they are only a smoke
    test that the real benchmarks run end to end (the embedded default scores 0-4% on them, and their long prompts
    cost ~4x a synthetic problem: the packaged `tiny` config sets 'sft')."""


@dataclass
class ReportConfig:
    """How `harness compare` / `harness report` compare recipes (harness/reporting/analysis.py)."""
    control: str = "dpo"
    """Second baseline every recipe is paired against (besides `sft`); a registered recipe name (`harness list`;
    checked by `check_references` once the registry is loaded), or '' for none."""

    def validate(self) -> None:
        if self.control and not self.control.replace("_", "").isalnum():
            raise ConfigError(f"report.control={self.control!r}: expected a recipe name (see `harness list`) or ''")


@dataclass
class ExperimentConfig:
    """One experiment: everything `harness compare` needs, so its hash keys the cache."""
    name: str = "tiny"
    """Experiment name (manifest, tracker run names)."""
    seed: NonNegInt = 0
    """Seed of SFT and of every post-SFT stage (`harness compare --seeds` repeats the post-SFT stages per seed)."""
    run_dir: str = "runs/tiny"
    """Where stages, results.json, manifest.json and report/ go; stages are cached here by their inputs' hash."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """'auto' (cuda if available), 'cpu' or 'cuda'."""
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    sft: TrainConfig = field(default_factory=TrainConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    pairs: PairsConfig = field(default_factory=PairsConfig)
    dpo: DPOConfig = field(default_factory=DPOConfig)
    grpo: GRPOConfig = field(default_factory=GRPOConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    verifier: VerifierConfig = field(default_factory=VerifierConfig)

    def validate(self) -> "ExperimentConfig":
        self.model.validate()
        self.data.validate()
        self.sampling.validate()
        self.pairs.validate()
        self.grpo.validate(self.model)
        self.report.validate()
        for name in ("sft", "dpo"):  # one process here; a launch derives again (harness/runtime/dist.py)
            getattr(self, name).derive_accumulation(name, 1)
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _section_at(cls, loc: tuple):
    """The config class a pydantic error location points into (for 'allowed keys under ...')."""
    for part in loc:
        if not (isinstance(part, str) and dataclasses.is_dataclass(cls)):
            return None
        hints = typing.get_type_hints(cls)
        if part not in hints:
            return None
        cls = hints[part]
    return cls if dataclasses.is_dataclass(cls) else None


def _key(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_EXPECTED = {"int": "expected an integer", "float": "expected a number", "bool": "expected true or false",
             "string": "expected a string", "list": "expected a list", "dict": "expected a mapping",
             "tuple": "expected a list"}
_BOUNDS = {"greater_than": ("gt", ">"), "greater_than_equal": ("ge", ">="), "less_than": ("lt", "<"),
           "less_than_equal": ("le", "<=")}


def _one_line(err: dict) -> str:
    """One pydantic error -> 'key=value: what is allowed' (the line the CLI prints)."""
    kind, loc, value = err["type"], tuple(err["loc"]), err.get("input")
    ctx = err.get("ctx") or {}
    if loc and loc[-1] == "[key]":  # a bad key of a mapping such as eval.task_limits
        loc = loc[:-2]
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"{_key(loc)}: unknown key {value!r}" + (f"; allowed keys: {', '.join(allowed)}" if allowed else "")
    key = _key(loc)
    if kind == "unexpected_keyword_argument":
        parent = _section_at(ExperimentConfig, loc[:-1])
        names = [f.name for f in dataclasses.fields(parent)] if parent else []
        under = f" under {_key(loc[:-1])}" if loc[:-1] else ""
        return f"unknown config key '{key}'; allowed keys{under}: {', '.join(names)}"
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"{key}={value!r}: allowed values are {', '.join(allowed)}"
    if kind == "dataclass_type":
        section = _section_at(ExperimentConfig, loc)
        names = ", ".join(f.name for f in dataclasses.fields(section)) if section else "its keys"
        return f"{key}={value!r}: expected a mapping of {names}"
    if kind == "value_error":  # a section's own check (VerifierConfig.__post_init__) already names its key
        return str(ctx.get("error", err["msg"])).splitlines()[0]
    if kind in _BOUNDS:
        name, op = _BOUNDS[kind]
        return f"{key}={value!r}: {_range_text(loc) or f'must be {op} {ctx.get(name)}'}"
    if kind == "too_short":
        return f"{key}={value!r}: must hold at least {ctx.get('min_length')} item(s)"
    for prefix, text in _EXPECTED.items():
        if kind.startswith(prefix + "_"):
            return f"{key}={value!r}: {text}"
    return f"{key}={value!r}: {err['msg']}"


def _range_text(loc: tuple) -> str | None:
    """'must lie in (0, 1]' for a field bounded on both sides (None otherwise: the one bound pydantic names will do)."""
    section = _section_at(ExperimentConfig, loc[:-1])
    if section is None or not isinstance(loc[-1], str):
        return None
    tp = typing.get_type_hints(section, include_extras=True).get(loc[-1])
    b: dict = {}
    for arg in typing.get_args(tp)[1:] if typing.get_origin(tp) is Annotated else ():
        for m in getattr(arg, "metadata", [arg]):
            b.update({k: getattr(m, k) for k in ("gt", "ge", "lt", "le") if getattr(m, k, None) is not None})
    if not ({"gt", "ge"} & set(b) and {"lt", "le"} & set(b)):
        return None
    low, high = ("(", b["gt"]) if "gt" in b else ("[", b["ge"]), (b["lt"], ")") if "lt" in b else (b["le"], "]")
    return f"must lie in {low[0]}{low[1]:g}, {high[0]:g}{high[1]}"


_ADAPTER: TypeAdapter | None = None


def _validate(data: dict) -> "ExperimentConfig":
    global _ADAPTER
    _ADAPTER = _ADAPTER or TypeAdapter(ExperimentConfig)
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as e:
        raise ConfigError(_one_line(e.errors(include_url=False)[0])) from None


def _set_dotted(tree: dict, dotted: str, value) -> None:
    node = tree
    parts = dotted.split(".")
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override '{dotted}': '{p}' is not a section")
    node[parts[-1]] = value


CONFIGS_DIR = Path(__file__).resolve().parent / "configs"
"""The experiment configs shipped inside the package (package data: found beside this module in a wheel too)."""

DATA_DIR_ENV = "HARDNEG_DATA_DIR"
"""Environment variable naming a local data folder laid out like {gsm8k/test.jsonl, gsm8k/train.jsonl,
math/math500_test.jsonl, metamathqa/MetaMathQA-395K.json}; `load_config` fills the config's unset paths from it."""

# (section, key, source it applies to or None for any, path under HARDNEG_DATA_DIR)
_DATA_DIR_LAYOUT = (("eval", "gsm8k_path", None, "gsm8k"),
                    ("eval", "math500_path", None, "math/math500_test.jsonl"),
                    ("data", "path", "gsm8k", "gsm8k"),
                    ("data", "path", "metamathqa", "metamathqa/MetaMathQA-395K.json"))


def packaged_configs() -> list[str]:
    """Names of the configs shipped in the package (`harness compare --config NAME`), sorted."""
    return sorted(p.stem for p in CONFIGS_DIR.glob("*.yaml"))


def config_path(name_or_path: str | Path) -> Path:
    """An existing file as given; else a packaged config by name ('tiny-planted' or 'tiny-planted.yaml'); else a
    ConfigError listing the packaged names."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    stem = p.name[: -len(p.suffix)] if p.suffix in (".yaml", ".yml") else p.name
    if p.parent == Path(".") and (CONFIGS_DIR / f"{stem}.yaml").is_file():
        return CONFIGS_DIR / f"{stem}.yaml"
    raise ConfigError(f"config '{name_or_path}' not found: neither a file nor a packaged config; packaged configs: "
                      f"{', '.join(packaged_configs())}")


def data_dir_path(rel: str) -> str | None:
    """HARDNEG_DATA_DIR/rel as the variable writes it (a relative folder stays relative), when the variable is set
    and that file or folder exists; else None (the hub)."""
    import os
    root = os.environ.get(DATA_DIR_ENV)
    path = os.path.join(root, rel) if root else None
    return path if path and os.path.exists(path) else None


def _fill_data_dir(data: dict) -> None:
    """Unset local-data paths (keys absent from the YAML and the overrides; an explicit null keeps the hub) from
    HARDNEG_DATA_DIR, for each file that exists there, so the manifest and the stage keys record what the user set."""
    section_data = data.get("data")
    source = section_data.get("source", "synthetic") if isinstance(section_data, dict) else "synthetic"
    for section, key, needs, rel in _DATA_DIR_LAYOUT:
        node = data.get(section, {})
        if not isinstance(node, dict) or key in node or (needs is not None and source != needs):
            continue
        path = data_dir_path(rel)
        if path:
            data.setdefault(section, {})[key] = path


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> ExperimentConfig:
    """Read YAML (None: built-in defaults; a packaged config by name, see `config_path`), apply `key=value`
    overrides, fill unset local-data paths from HARDNEG_DATA_DIR, validate."""
    data: dict = {}
    if path is not None:
        p = config_path(path)
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
    _fill_data_dir(data)
    return _validate(data).validate()

