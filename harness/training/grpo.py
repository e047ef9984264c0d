"""Online RL from the SFT checkpoint: TRL's GRPOTrainer (pinned: trl==1.16.0) with a registered reward.

    log = train_grpo(cfg, problems, sft_dir, out, work, recipe)    # the stage (harness/stages/kinds/grpo.py)
    check_grpo(cfg, recipes)                                       # the CLI, before any stage: bad settings

Each optimizer step samples `grpo.num_generations` completions for each of `grpo.prompts_per_step` training prompts
(the question in `data.prompt_template`; the reference answer and solution ride along as dataset columns, which TRL
hands to reward functions as keyword lists), scores each completion with the recipe's reward (harness/rewards/) on
its text cut at the template's stop texts (as evaluation cuts its generations: harness/models/sampling.py
`stop_texts`), and takes one step of TRL's loss (`grpo.loss_type`; a KL term to the SFT model only when
`grpo.beta` > 0) on the group-normalized advantages. No RL loop of our own: TRL samples, scores, normalizes and steps.

TRL 1.16's batch arithmetic, which the `grpo` section hides: `per_device_train_batch_size` counts completions, the
generation batch (per_device x processes x steps_per_generation) must hold whole groups of num_generations, and
steps_per_generation defaults to the accumulation steps. Here the step's batch is prompts_per_step x num_generations
completions, generated at once and split into grad_accum micro-batches per process (steps_per_generation =
grad_accum: one fresh generation per optimizer step, on-policy, so TRL's clipping never binds).

Precision and devices as in SFT and DPO: the policy trains in fp32 with bf16 autocast where `use_bf16` says, eager
attention on a CPU (`load_policy`); generation runs through transformers' generate inside TRL, or with
`grpo.use_vllm` through vLLM colocated on the GPU. A killed stage resumes from its last checkpoint.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from harness.config import ConfigError
from harness.training.progress import TrainProgress


def grpo_section(cfg, recipe):
    """The recipe's `grpo` section: the config's with the recipe's overrides, checked as the config is."""
    from harness.training.common import with_overrides
    section = with_overrides(cfg.grpo, recipe.overrides or None)
    section.validate(cfg.model)
    return section


def prompt_rows(problems: list[dict], template: str) -> list[dict]:
    """TRL prompt rows: the question in the template, plus the columns rewards read (question, reference answer,
    reference solution: a planted-world problem's correct `solution`, never the flawed text SFT trained on)."""
    return [{"prompt": template.format(question=p["question"]), "question": p["question"], "answer": str(p["answer"]),
             "solution": p.get("solution") or ""} for p in problems]


def reward_func(cfg, recipe, section, tok, template: str):
    """The recipe's reward as a TRL reward function `f(prompts, completions, completion_ids, **columns)`: each
    completion cut at the template's stop texts, stripped, and scored with its problem; `truncated` when it ran
    to max_completion_length without a stop token or stop text (the verifier's form reads it)."""
    from harness.models.sampling import cut_at_stop, stop_texts, stop_token_ids
    from harness.registry import get_reward
    score = get_reward(recipe.reward).fn(dataclasses.replace(cfg, grpo=section))
    stops, stop_ids = stop_texts(template, tok), set(stop_token_ids(tok))

    def fn(prompts, completions, completion_ids, question, answer, solution, **_):
        out = []
        for text, ids, q, a, s in zip(completions, completion_ids, question, answer, solution, strict=True):
            text, at_stop = cut_at_stop(text, stops)
            ended = at_stop or bool(ids) and ids[-1] in stop_ids
            truncated = not ended and len(ids) >= section.max_completion_length
            out.append(float(score(text.strip(), {"question": q, "answer": a, "solution": s or None,
                                                  "truncated": truncated})))
        return out
    fn.__name__ = recipe.reward  # TRL logs rewards/<name>/mean
    return fn


def grpo_args(cfg, section, work: Path, device: str, run_name: str):
    """TRL's GRPOConfig from the `grpo` section (see the module docstring for the batch arithmetic)."""
    from trl import GRPOConfig as TRLGRPOConfig

    from harness.runtime.device import use_bf16
    from harness.runtime.dist import world_size
    from harness.training.common import report_to
    completions = section.prompts_per_step * section.num_generations
    split = section.grad_accum * world_size()
    if completions % split:
        raise ConfigError(split_error(section, world_size()))
    gc = section.gradient_checkpointing if section.gradient_checkpointing is not None else device == "cuda"
    return TRLGRPOConfig(
        output_dir=str(work), max_steps=section.max_steps, per_device_train_batch_size=completions // split,
        gradient_accumulation_steps=section.grad_accum, steps_per_generation=section.grad_accum,
        num_generations=section.num_generations, learning_rate=section.learning_rate,
        warmup_steps=section.warmup_steps, lr_scheduler_type=section.scheduler, weight_decay=section.weight_decay,
        loss_type=section.loss_type, beta=section.beta, temperature=section.temperature, top_p=section.top_p,
        max_completion_length=section.max_completion_length, use_vllm=section.use_vllm, vllm_mode="colocate",
        logging_steps=section.logging_steps, save_strategy="steps", save_steps=max(25, section.max_steps // 3),
        save_total_limit=1, report_to=report_to(section, "grpo"), run_name=run_name, seed=cfg.seed,
        data_seed=cfg.seed, bf16=use_bf16(device, cfg.model.dtype), gradient_checkpointing=gc,
        use_cpu=device == "cpu", disable_tqdm=True, dataloader_num_workers=0, log_completions=False)


def split_error(section, processes: int) -> str:
    completions = section.prompts_per_step * section.num_generations
    return (f"grpo: the step's {section.prompts_per_step} prompts x {section.num_generations} generations = "
            f"{completions} completions do not split over grad_accum={section.grad_accum} x {processes} "
            f"process(es); choose grad_accum and processes whose product divides {completions}")


def train_grpo(cfg, problems: list[dict], sft_dir: str, out: Path, work: Path, recipe) -> list[dict]:
    """GRPO from the SFT checkpoint on the first `grpo.n_problems` of `problems` (the training split) with the
    recipe's reward; writes the model to `out` and returns TRL's log history (loss, reward, reward_std,
    rewards/<reward>/mean, completion lengths, ... per logged step) as a `TrainLog` whose `tokens` are the run's
    counts for its cost (harness/training/counting.py `counting_grpo_trainer`, kept through a resume)."""
    from harness.runtime.device import release_accelerator_memory, resolve_device, set_threads
    from harness.training.common import (last_checkpoint, load_policy, quiet, save_final, shared_dataset,
                                         skip_final_checkpoint, tracker_dir)
    from harness.training.counting import (GRPO_COUNTS, TrainLog, checkpoint_counts, counting_grpo_trainer,
                                           grpo_tokens, resume_counts)
    set_threads()
    section = grpo_section(cfg, recipe)
    device = resolve_device(cfg.device)
    template = cfg.data.prompt_template
    rows = prompt_rows(problems[: section.n_problems], template)
    model, tok = load_policy(sft_dir, cfg)
    check_context(max(len(tok(r["prompt"])["input_ids"]) for r in rows), section,
                  model.config.max_position_embeddings, "the model's max_position_embeddings")
    ds = shared_dataset(rows, work)
    args = grpo_args(cfg, section, work, device, f"{cfg.name}/{recipe.name}")
    bar = RewardProgress(f"grpo:{recipe.name}", section.max_steps)
    with tracker_dir(work):
        trainer = quiet(counting_grpo_trainer()(
            model=model, reward_funcs=[reward_func(cfg, recipe, section, tok, template)], args=args,
            train_dataset=ds, processing_class=tok, callbacks=[bar, skip_final_checkpoint()]))
    trainer.add_callback(checkpoint_counts(trainer.token_counter))
    resume = last_checkpoint(work)
    resume_counts(trainer.token_counter, resume, GRPO_COUNTS)
    with bar:
        trainer.train(resume_from_checkpoint=resume)
    save_final(trainer, tok, out)
    log = TrainLog(trainer.state.log_history, grpo_tokens(trainer.token_counter, trainer.accelerator))
    del trainer, model
    release_accelerator_memory()
    return log


def check_context(prompt_tokens: int, section, context: int, what: str) -> None:
    if prompt_tokens + section.max_completion_length > context:
        raise ConfigError(f"grpo.max_completion_length={section.max_completion_length}: the longest training prompt "
                          f"({prompt_tokens} tokens) plus the completion exceeds {what} ({context}); lower "
                          f"grpo.max_completion_length or grpo.n_problems' prompt lengths, or raise the context")


class RewardProgress(TrainProgress):
    """The training bar, showing the last logged mean reward beside the loss."""

    def on_log(self, args, state, control, logs=None, **kw):
        if logs and "reward" in logs:
            self.progress.update(self.task, info=f"loss {logs.get('loss', float('nan')):.4f} "
                                                 f"reward {logs['reward']:.3f}")


# ---- bad settings, before any stage ---------------------------------------------------------------------------
def check_grpo(cfg, recipes) -> None:
    """Stop a run with one ConfigError line before any stage when a grpo recipe cannot train: its section
    (config and recipe overrides: `GRPOConfig.validate`), a step's completions that the accumulation and the
    processes of this launch do not split, `grpo.use_vllm` off a GPU or without vLLM installed, or a completion
    length that the model's context cannot hold after the longest training prompt (model.max_positions for a
    tiny or random model, a local pretrained model's max_position_embeddings; a hub model is skipped)."""
    import importlib.util

    from harness.runtime.device import resolve_device
    from harness.runtime.dist import world_size
    grpo = [r for r in recipes if r.trainer == "grpo"]
    if not grpo:
        return
    sections = [grpo_section(cfg, r) for r in grpo]
    for s in sections:
        if (s.prompts_per_step * s.num_generations) % (s.grad_accum * world_size()):
            raise ConfigError(split_error(s, world_size()))
        if s.use_vllm:
            if importlib.util.find_spec("vllm") is None:
                raise ConfigError("grpo.use_vllm=true: vllm is not installed; pip install .[vllm] (GPU) or set "
                                  "grpo.use_vllm=false")
            if resolve_device(cfg.device) != "cuda":
                raise ConfigError("grpo.use_vllm=true: vLLM generates on a GPU only; set grpo.use_vllm=false on "
                                  "this device")
    context = _context(cfg)
    if context is None:
        return
    from harness.data.loaders import build_splits
    limit, what, count = context
    train = build_splits(cfg.data, cfg.seed)["train"]  # the data stage's split: it is drawn from cfg.seed alone
    tokens = [count(cfg.data.prompt_template.format(question=p["question"]))
              for p in train[: max(s.n_problems for s in sections)]]
    for s in sections:
        check_context(max(tokens[: s.n_problems]), s, limit, what)


def _context(cfg):
    """(context length, its name, prompt -> token count) the check can know before any stage, or None.

    A tiny or random model's tokenizer is trained in its base stage, so it does not exist yet; the count is then
    the number of its pre-tokens (harness/models/tiny.py: single digits, then byte-level BPE over GPT-2's split),
    a lower bound of its token count (a BPE token never spans two pre-tokens): the check refuses only lengths that
    certainly do not fit, and the stage checks the exact count once the tokenizer exists."""
    import json
    if cfg.model.kind != "pretrained":
        from tokenizers import pre_tokenizers
        pre = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                       pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
        return cfg.model.max_positions, "model.max_positions", lambda text: len(pre.pre_tokenize_str(text))
    local = Path(cfg.model.name_or_path)
    if not (local / "config.json").is_file():
        return None  # a hub id: nothing is downloaded to check
    limit = json.loads((local / "config.json").read_text()).get("max_position_embeddings")
    if not limit:
        return None
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(local))
    return limit, f"{local}'s max_position_embeddings", lambda text: len(tok(text)["input_ids"])
