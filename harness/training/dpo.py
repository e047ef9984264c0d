"""Verifier-weighted DPO: a per-pair weight column on top of TRL's DPOTrainer (pinned: trl==1.16.0).

TRL has no external per-example weight (trl#5613); its `use_weighting` is WPO, weights from the
policy's own probabilities, which is not this. We keep a `weight` column through the dataset and the
collator and replace the loss with `weighted_dpo_loss`, a small pure function.

Rows may carry `eos: False` (step pairs, harness/pairs/step.py): their completions keep no end-of-text token.
loss_type ("sft",) alone is the `rft` control: the NLL of the chosen side only, at the DPO budget.

Token counts for the run's cost (harness/runtime/cost.py; `train_dpo` returns them as `TrainLog.tokens`):
- trained: every sequence the policy runs forward and backward, as TRL concatenates them (prompt + chosen and
  prompt + rejected, each truncated to max_length; the rft NLL path only the chosen half, `chosen_half`), counted
  in `_compute_loss` from the batch's attention mask, so padding never counts;
- reference: every sequence the frozen reference runs forward (`compute_ref_log_probs`): once per row of the pair
  set when precomputed, each step's batch otherwise; rft reads no reference and counts none;
- reference_reused: the part of `reference` a content-keyed cache file served (`_precompute_ref_logps`): another
  recipe's stage computed it; counted from the rows' token lengths exactly as the collator truncates them.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from trl import DPOTrainer
from trl.trainer.dpo_trainer import DataCollatorForPreference

SUPPORTED_LOSSES = {"sigmoid", "sft"}


def weighted_dpo_loss(chosen_logps: torch.Tensor, rejected_logps: torch.Tensor, ref_chosen_logps: torch.Tensor,
                      ref_rejected_logps: torch.Tensor, weights: torch.Tensor, beta: float
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Weighted sigmoid DPO loss.

        L = (1/B) * sum_i w_i * -log sigmoid( beta * [ (log pi(y_w|x) - log ref(y_w|x))
                                                      - (log pi(y_l|x) - log ref(y_l|x)) ] )

    Args (all shape (B,), sequence log-probs summed over completion tokens):
        chosen_logps, rejected_logps: policy log-probs of the chosen / rejected completion.
        ref_chosen_logps, ref_rejected_logps: the same under the frozen reference.
        weights: per-pair weights, normalized to mean 1 over the *dataset* (not re-normalized here,
            so a batch of low-weight pairs really contributes less).
        beta: DPO temperature.
    Returns: (scalar loss, chosen rewards (B,), rejected rewards (B,)), rewards = beta * log-ratio.
    With all weights 1 this is exactly DPO (Rafailov et al., 2023, eq. 7) as TRL computes it.
    """
    chosen_logratios = chosen_logps - ref_chosen_logps
    rejected_logratios = rejected_logps - ref_rejected_logps
    per_pair = -F.logsigmoid(beta * (chosen_logratios - rejected_logratios))
    loss = (weights.to(per_pair.dtype) * per_pair).mean()
    return loss, beta * chosen_logratios.detach(), beta * rejected_logratios.detach()


class WeightedPreferenceCollator(DataCollatorForPreference):
    """TRL's preference collator plus a float `weight` tensor (B,) when examples carry one."""

    def torch_call(self, examples):
        out = super().torch_call(examples)
        if "weight" in examples[0]:
            out["weight"] = torch.tensor([float(e["weight"]) for e in examples], dtype=torch.float32)
        return out


class WeightedDPOTrainer(DPOTrainer):
    """DPOTrainer whose sigmoid loss is weighted per pair by the dataset's `weight` column.

    Supports loss_type ["sigmoid"] (DPO) and ["sigmoid", "sft"] (RPO, the SFT term unweighted), with or
    without precompute_ref_log_probs. Logs rewards/*, logps/* like TRL, plus weights/mean. `ref_cache`: a folder
    where precomputed reference log-probs are kept by content (see `_precompute_ref_logps`).
    """

    def __init__(self, *args, ref_cache: Path | None = None, **kwargs):
        from harness.runtime.cost import TokenCounter
        # before DPOTrainer.__init__: it precomputes the reference log-probs
        self.ref_cache = Path(ref_cache) if ref_cache else None
        self.token_counter = TokenCounter()
        self._ref_count = "reference"
        targs = kwargs.get("args")
        if targs is not None:
            unsupported = set(targs.loss_type) - SUPPORTED_LOSSES
            if unsupported or getattr(targs, "use_weighting", False) or getattr(targs, "ld_alpha", None) is not None:
                raise ValueError(f"WeightedDPOTrainer supports loss_type within {sorted(SUPPORTED_LOSSES)} "
                                 f"without use_weighting/ld_alpha; got {targs.loss_type}")
        if "data_collator" not in kwargs and targs is not None:
            tok = kwargs.get("processing_class")
            kwargs["data_collator"] = WeightedPreferenceCollator(
                pad_token_id=tok.pad_token_id, max_length=targs.max_length,
                truncation_mode=targs.truncation_mode, pad_to_multiple_of=targs.pad_to_multiple_of)
        super().__init__(*args, **kwargs)

    def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
        """TRL appends EOS to every chosen and rejected string; a row with `eos: False` (a step pair's completion,
        which stops mid-solution) gets that last token removed again, so the model is not taught to stop there."""
        ds = super()._prepare_dataset(dataset, processing_class, args, dataset_name)
        if "eos" not in ds.column_names:
            return ds
        eos = getattr(processing_class, "tokenizer", processing_class).eos_token_id  # a processor wraps its tokenizer

        def strip(ex):
            if not ex["eos"]:
                for k in ("chosen_ids", "rejected_ids"):
                    if ex[k] and ex[k][-1] == eos:
                        ex[k] = ex[k][:-1]
            return ex
        return ds.map(strip)

    def _set_signature_columns_if_needed(self):
        super()._set_signature_columns_if_needed()
        if "weight" not in self._signature_columns:
            self._signature_columns = [*self._signature_columns, "weight"]

    def _precompute_ref_logps(self, dataset, name, batch_size):
        """TRL's precompute, plus a content-keyed cache in `ref_cache` (a folder): recipes that train on the same pairs
        from the same SFT model (hn_dpo, rpo, rft; step_w_dpo, step_w_rpo; ...) compute them once. One process only
        (a distributed run takes TRL's own path); a loss without the sigmoid term (rft) needs no reference at all.
        The key holds `reference_precision`, so a bf16-autocast run never reads an fp32 run's file, nor the reverse."""
        if "sigmoid" not in self.loss_types:  # rft: the chosen side's NLL never reads the reference
            zeros = [0.0] * len(dataset)
            return dataset.add_column("ref_chosen_logps", zeros).add_column("ref_rejected_logps", zeros)
        from harness.runtime.dist import is_distributed
        if self.ref_cache is None or is_distributed():
            return self._precompute_counted(dataset, name, batch_size)
        from datasets.fingerprint import Hasher

        from harness.runtime.io import atomic_path
        key = Hasher.hash([self._precompute_model_hash, batch_size, self.args.max_length, self.args.truncation_mode,
                           self.args.pad_to_multiple_of, reference_precision(self.accelerator),
                           dataset.select_columns(["prompt_ids", "chosen_ids", "rejected_ids"]).to_list()])
        path = Path(self.ref_cache) / f"{key}.pt"
        if path.is_file():
            ref = torch.load(path)
            self.token_counter.add("reference_reused", self._pair_lengths(dataset))
        else:
            done = self._precompute_counted(dataset, name, batch_size)
            ref = {c: torch.tensor(done[c]) for c in ("ref_chosen_logps", "ref_rejected_logps")}
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                torch.save(ref, tmp)
        for c in ("ref_chosen_logps", "ref_rejected_logps"):
            dataset = dataset.add_column(c, ref[c].tolist())
        return dataset

    def _precompute_counted(self, dataset, name, batch_size):
        """TRL's precompute, its reference forwards counted apart from the per-step ones (a resumed run computes
        them again: `train_dpo` restores only the per-step counts from the checkpoint)."""
        self._ref_count = "reference_precomputed"
        try:
            return super()._precompute_ref_logps(dataset, name, batch_size)
        finally:
            self._ref_count = "reference"

    def _pair_lengths(self, dataset) -> list[int]:
        """The lengths of the sequences the reference runs for `dataset` (prompt + chosen, prompt + rejected per row),
        truncated to max_length as TRL's collator truncates them."""
        cap = self.args.max_length
        cols = dataset.select_columns(["prompt_ids", "chosen_ids", "rejected_ids"]).to_dict()
        lengths = [len(p) + len(c) for p, c in zip(cols["prompt_ids"], cols["chosen_ids"])]
        lengths += [len(p) + len(r) for p, r in zip(cols["prompt_ids"], cols["rejected_ids"])]
        return [min(n, cap) if cap is not None else n for n in lengths]

    def compute_ref_log_probs(self, model, inputs):
        from harness.training.counting import row_lengths
        self.token_counter.add(self._ref_count, row_lengths(inputs))
        # the precompute pass collates with our collator, so the batch may carry `weight`; the model must not see it
        return super().compute_ref_log_probs(model, {k: v for k, v in inputs.items() if k != "weight"})

    def _compute_loss(self, model, inputs, return_outputs):
        mode = "train" if self.model.training else "eval"
        inputs = dict(inputs)
        weights = inputs.pop("weight", None)
        completion_mask = inputs["completion_mask"]
        shift_mask = completion_mask[..., 1:]
        model_kwargs = {k: v for k, v in inputs.items()
                        if k not in {"completion_mask", "ref_chosen_logps", "ref_rejected_logps"}}
        model_kwargs["use_cache"] = False
        chosen_only = list(self.loss_types) == ["sft"]
        if chosen_only:  # rft: the loss reads only the chosen half of the batch (rows [chosen; rejected]): run only it
            model_kwargs, completion_mask, shift_mask = chosen_half(model_kwargs, completion_mask, shift_mask)
        if mode == "train":
            from harness.training.counting import row_lengths
            self.token_counter.add("trained", row_lengths(model_kwargs))
        labels = model_kwargs["input_ids"].masked_fill(completion_mask == 0, -100)
        outputs = model(**model_kwargs, labels=labels, fused_lm_head=True)
        per_token_logps = outputs.log_probs[:, -shift_mask.size(1):]
        if chosen_only:
            chosen_tok, chosen_mask = per_token_logps, shift_mask
            chosen_logps, rejected_logps = per_token_logps.sum(dim=1), None
        else:
            chosen_tok, chosen_mask = per_token_logps.chunk(2, dim=0)[0], shift_mask.chunk(2, dim=0)[0]
            chosen_logps, rejected_logps = per_token_logps.sum(dim=1).chunk(2, dim=0)
        if self.precompute_ref_logps:
            ref_chosen, ref_rejected = inputs["ref_chosen_logps"], inputs["ref_rejected_logps"]
        else:
            ref_chosen, ref_rejected = self.compute_ref_log_probs(self.ref_model, inputs)
        if weights is None:
            weights = torch.ones_like(chosen_logps)
        loss = torch.zeros((), device=chosen_logps.device, dtype=chosen_logps.dtype)
        chosen_rewards = rejected_rewards = None
        for loss_type, loss_weight in zip(self.loss_types, self.loss_weights, strict=True):
            if loss_type == "sigmoid":
                term, chosen_rewards, rejected_rewards = weighted_dpo_loss(
                    chosen_logps, rejected_logps, ref_chosen, ref_rejected, weights, self.beta)
            else:  # "sft": NLL of the chosen completion, as TRL's RPO term
                term = -chosen_tok[chosen_mask.bool()].mean()
            loss = loss + term * loss_weight
        m = self._metrics[mode]
        if chosen_rewards is not None:
            m["rewards/chosen"].append(self.accelerator.gather(chosen_rewards).mean().item())
            m["rewards/rejected"].append(self.accelerator.gather(rejected_rewards).mean().item())
            m["rewards/accuracies"].append(self.accelerator.gather((chosen_rewards > rejected_rewards).float()).mean().item())
            m["rewards/margins"].append(self.accelerator.gather(chosen_rewards - rejected_rewards).mean().item())
        m["logps/chosen"].append(self.accelerator.gather(chosen_logps.detach()).mean().item())
        if rejected_logps is not None:
            m["logps/rejected"].append(self.accelerator.gather(rejected_logps.detach()).mean().item())
        m["weights/mean"].append(self.accelerator.gather(weights.float()).mean().item())
        return (loss, outputs) if return_outputs else loss


def reference_precision(accelerator) -> str:
    """The precision the reference log-probs are computed at: the dtype of the autocast `accelerator.autocast()` opens
    ("bfloat16" with bf16 mixed precision), or "float32" where it opens none. TRL's `compute_ref_log_probs` runs the
    reference forward (the precompute included) under that context, and accelerate wraps the training forward in the
    same one, so step-0 margins are zero in either precision (tests/test_dpo_reference_precision.py).

    Read from the accelerator, not from `args.bf16`: `accelerate launch` with `mixed_precision: bf16`
    (harness/configs/accelerate/) turns bf16 autocast on through the environment while `args.bf16` stays False."""
    kind = accelerator.device.type
    with accelerator.autocast():
        if torch.is_autocast_enabled(kind):
            return str(torch.get_autocast_dtype(kind)).removeprefix("torch.")
    return "float32"


def chosen_half(model_kwargs: dict, completion_mask: torch.Tensor, shift_mask: torch.Tensor):
    """The chosen rows of a preference batch (TRL stacks [chosen; rejected] along dim 0, shape (2B, L)): every tensor
    of batch size 2B cut to its first B rows. Row computations do not mix, so the chosen side's log-probs are those of
    the full batch; the forward and backward cost half."""
    n = completion_mask.shape[0]
    half = {k: v[: n // 2] if isinstance(v, torch.Tensor) and v.dim() > 0 and v.shape[0] == n else v
            for k, v in model_kwargs.items()}
    return half, completion_mask[: n // 2], shift_mask[: n // 2]


def dpo_args(cfg, section, work: Path, loss_type: tuple, rpo_alpha: float, device: str | None = None,
             run_name: str | None = None, **arg_overrides):
    from trl import DPOConfig as TRLDPOConfig

    from harness.training.common import common_args
    loss_weights = [1.0 if t != "sft" else rpo_alpha for t in loss_type]
    common = common_args(section, cfg, work, save_steps=max(25, section.max_steps // 3), device=device, label="dpo")
    if run_name:
        common["run_name"] = run_name
    return TRLDPOConfig(**{**common, **arg_overrides}, beta=section.beta, loss_type=list(loss_type),
                        loss_weights=loss_weights, precompute_ref_log_probs=section.precompute_ref_log_probs,
                        precompute_ref_batch_size=max(section.batch_size, 16))


def dpo_trainer(cfg, section, model, ref_model, tok, dataset, work: Path, loss_type: tuple = ("sigmoid",),
                callbacks: list | None = None, device: str | None = None, run_name: str | None = None,
                ref_cache: Path | None = None, **arg_overrides) -> WeightedDPOTrainer:
    """The WeightedDPOTrainer every DPO run uses (the stage, the GPU benchmark)."""
    from harness.training.common import quiet, skip_final_checkpoint, tracker_dir, unwrap_trained_forward
    args = dpo_args(cfg, section, work, loss_type, section.rpo_alpha, device, run_name, **arg_overrides)
    with tracker_dir(work):
        return quiet(WeightedDPOTrainer(model=unwrap_trained_forward(model), ref_model=ref_model, args=args,
                                        train_dataset=dataset, processing_class=tok,
                                        callbacks=[*(callbacks or []), skip_final_checkpoint()], ref_cache=ref_cache))


def train_dpo(cfg, rows: list[dict], sft_dir: str, out: Path, work: Path, recipe,
              ref_cache: Path | None = None) -> list[dict]:
    """Weighted DPO from the SFT checkpoint on `rows` (prompt/chosen/rejected/weight); `ref_cache`: see
    WeightedDPOTrainer.ref_cache. Returns the trainer's log history, a `TrainLog` whose `tokens` are the run's counts
    (module doc): {"trained", "reference", "reference_reused"}, each {"sequences", "tokens", "attended"}, summed over
    ranks and, for a resumed run, over the steps before the checkpoint; `reference` includes `reference_reused`.

    The policy loads in fp32 (trained); a reference copy, when one is kept instead of precomputed
    log-probs, loads frozen and in bf16 when bf16 is on (it is only run forward)."""
    from harness.runtime.device import release_accelerator_memory, set_threads
    from harness.training.progress import TrainProgress
    from harness.training.common import last_checkpoint, load_policy, save_final, shared_dataset, with_overrides
    from harness.training.counting import TrainLog, checkpoint_counts, resume_counts

    set_threads()
    section = with_overrides(cfg.dpo, recipe.overrides or None)
    model, tok = load_policy(sft_dir, cfg)
    ref_model = None if section.precompute_ref_log_probs else load_policy(sft_dir, cfg, trainable=False)[0]
    from harness.runtime.dist import world_size
    rows = pairs_seen(rows, section.max_steps * section.batch_size * section.grad_accum * world_size(), cfg.seed)
    # one on-disk copy for every rank: TRL's precomputed reference log-probs are shared through it (common.py)
    ds = shared_dataset([{**{k: r[k] for k in ("prompt", "chosen", "rejected", "weight")}, "eos": r.get("eos", True)}
                         for r in rows], work)
    bar = TrainProgress(f"dpo:{recipe.name}", section.max_steps)
    trainer = dpo_trainer(cfg, section, model, ref_model, tok, ds, work, recipe.loss_type, [bar],
                          run_name=f"{cfg.name}/{recipe.name}", ref_cache=ref_cache)
    counter = trainer.token_counter  # holds the reference precompute already (the trainer's __init__ ran it)
    trainer.add_callback(checkpoint_counts(counter))
    resume = last_checkpoint(work)
    saved = resume_counts(counter, resume, ("trained", "reference"))
    with bar:
        trainer.train(resume_from_checkpoint=resume)
    save_final(trainer, tok, out)
    log = TrainLog(trainer.state.log_history, dpo_tokens(counter, saved, trainer.accelerator))
    del trainer, model, ref_model
    release_accelerator_memory()
    return log


def dpo_tokens(counter, saved: dict, accelerator=None) -> dict:
    """The `tokens` of a DPO run (see `train_dpo`). A resumed run precomputed its reference log-probs again, or read
    back from the cache the ones its first process wrote: those count as computed here, not reused."""
    from harness.runtime.cost import add_counts
    from harness.training.counting import reduce_counts
    c = reduce_counts(counter, ("trained", "reference", "reference_precomputed", "reference_reused"), accelerator)
    reused = c["reference_reused"]
    if saved.get("reference_precomputed", {}).get("tokens"):  # the first process of this stage computed them
        reused = add_counts()
    return {"trained": c["trained"],
            "reference": add_counts(c["reference"], c["reference_precomputed"], c["reference_reused"]),
            "reference_reused": reused}


def pairs_seen(rows: list[dict], budget: int, seed: int) -> list[dict]:
    """The pairs a run of `budget` examples (steps x batch x accumulation x ranks) will see: all of them when they fit,
    else a seeded subsample of exactly `budget`, in their original order. TRL precomputes reference log-probs for its
    whole dataset, so a 4,000-pair set trained for 1,600 examples would pay 2,400 reference passes for nothing; with
    less than one epoch the trainer's shuffle would draw a random subset anyway."""
    if len(rows) <= budget:
        return rows
    import random
    keep = sorted(random.Random(seed).sample(range(len(rows)), budget))
    return [rows[i] for i in keep]
