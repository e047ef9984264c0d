"""Evaluation through lm-evaluation-harness: our tasks in harness/tasks/, the real `simple_evaluate`.

Every setting that changes a score travels in the task metadata (`task_metadata`: prompt, verifier settings, data
paths), so the same tasks score the same from the plain CLI given the same metadata as JSON:
    lm_eval --include_path <installed harness/tasks> --tasks hardneg_synth --model hf --model_args pretrained=<dir> \\
        --metadata '<json.dumps(task_metadata(cfg, synth_path, None))>'
The generation budget is each task YAML's `max_gen_toks` unless `eval.max_gen_toks` overrides it for every task
(`generation_settings` says which; plain lm_eval then needs `--gen_kwargs max_gen_toks=<n>` to match).
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from pathlib import Path

from harness.config import ExperimentConfig
from harness.runtime.device import resolve_device, use_bf16
from harness.tasks import TASKS_DIR, task  # noqa: F401  (TASKS_DIR re-exported: callers find the tasks here)

METRICS = ("exact_match", "equiv", "wrongness", "hard_negative", "arithmetic_error")


def task_metadata(cfg: ExperimentConfig, synth_path: str | None, near_miss_path: str | None) -> dict:
    """The lm-eval task metadata of an experiment (`TaskManager(metadata=...)`, or JSON for `lm_eval --metadata`):
    the prompt, the verifier settings that score every solution, and where the data is."""
    verifier = json.loads(json.dumps(dataclasses.asdict(cfg.verifier)))  # as `--metadata` JSON reads back
    meta = {"prompt_template": cfg.data.prompt_template, "verifier": verifier,
            "gsm8k_path": cfg.eval.gsm8k_path, "math500_path": cfg.eval.math500_path,
            "synth_path": synth_path, "near_miss_path": near_miss_path}
    return {k: v for k, v in meta.items() if v}


def generation_settings(cfg: ExperimentConfig, tasks: list[str]) -> dict[str, dict]:
    """{task: {"max_gen_toks": n, "until": [...]}} as evaluated, each with "overridden_from" where the harness
    overrides the task YAML (recorded in the eval stage's meta and key, shown by the report):
    - max_gen_toks: the YAML's own budget, or `eval.max_gen_toks` when set;
    - until: the YAML's stop texts, whose prompt-derived first entry ('\nQuestion:', the default template's head)
      is replaced by the experiment's template's (harness/models/sampling.py `stop_texts`, the sampler's rule), so a
      model that starts the next problem stops alike in sampling and evaluation under any template."""
    from harness.models.sampling import stop_texts
    out = {}
    for t in tasks:
        spec = task(t)
        own, override = spec.max_gen_toks, cfg.eval.max_gen_toks
        entry: dict = {"max_gen_toks": own}
        if override is not None and override != own:
            entry = {"max_gen_toks": override, "overridden_from": {"max_gen_toks": own}}
        tokens = [u for u in spec.until if not u.startswith("\n")]  # end-of-text markers stay as written
        until = list(dict.fromkeys([*stop_texts(cfg.data.prompt_template), *tokens]))
        entry["until"] = until
        if until != list(spec.until):
            entry.setdefault("overridden_from", {})["until"] = list(spec.until)
        out[t] = entry
    return out


def run_lm_eval(model_dir: str, cfg: ExperimentConfig, tasks: list[str], metadata: dict, out: Path) -> tuple[dict, dict]:
    """Evaluate one checkpoint; writes per-sample logs (samples_<task>.jsonl, the source of every statistic)
    and returns ({task: {metric: aggregate}}, generation throughput). The throughput carries the cost's counts too
    (harness/runtime/cost.py `generation_cost` reads them): `counts` (prompt and generated tokens) and
    `verifier_calls` (one per evaluated problem)."""
    import torch
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = resolve_device(cfg.device)
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(
        model_dir, dtype=torch.bfloat16 if use_bf16(device, cfg.model.dtype) else torch.float32).to(device)
    lm = compact_lm(HFLM)(pretrained=model, tokenizer=tok, batch_size=cfg.eval.batch_size, device=device)
    tm = TaskManager(include_path=str(TASKS_DIR), include_defaults=False, metadata=metadata)
    groups: dict = {}
    for name in tasks:  # simple_evaluate takes one limit: one call per distinct limit
        groups.setdefault(cfg.eval.task_limits.get(name, cfg.eval.limit), []).append(name)
    results, samples = {}, {}
    t0 = time.time()
    from harness.runtime.progress import verbose
    with lm_eval_bars(verbose()):
        _evaluate_groups(lm, tm, groups, cfg, results, samples)
    seconds = time.time() - t0
    counts = generation_counts(tok, [s for t in tasks for s in samples[t]])
    n_tokens = counts["generated"]["tokens"]
    scores: dict[str, dict] = {}
    for name in tasks:
        r = results[name]
        scores[name] = {m: r.get(f"{m},none") for m in METRICS}
        scores[name].update({f"{m}_stderr": r.get(f"{m}_stderr,none") for m in ("exact_match", "equiv")})
        scores[name]["n"] = len(samples[name])
        write_samples(out / f"samples_{name}.jsonl", sorted(samples[name], key=lambda s: s["doc_id"]))
    throughput = {"seconds": round(seconds, 2), "generated_tokens": n_tokens,
                  "tokens_per_s": round(n_tokens / max(seconds, 1e-6), 1), "counts": counts,
                  "verifier_calls": sum(len(samples[t]) for t in tasks)}
    return scores, throughput


def generation_counts(tok, logged: list[dict]) -> dict:
    """harness/runtime/cost.py `count_generation` of lm-eval's logged generations: each problem's prompt (the context
    lm-eval sent, re-tokenized) and its response (re-tokenized: the text as cut at the stop texts), one sequence per
    problem. The throughput's `generated_tokens` is the generated part's `tokens`."""
    from harness.runtime.cost import count_generation

    def lengths(texts: list[str]) -> list[int]:
        return [len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"]] if texts else []
    prompts = lengths([s["arguments"][0][0] if s.get("arguments") else "" for s in logged])
    return count_generation(prompts, lengths([s["resps"][0][0] for s in logged]))


def subset_task(out: Path, source: str, target: str, ids: list[str] | None, scores: dict,
                source_dir: Path | None = None) -> None:
    """Score `target` (a frozen subset of `source`'s problems, e.g. the near-miss slice of the synthetic test
    split; `ids=None`: all of them) from `source`'s per-problem rows in `source_dir` (default `out`): same prompts,
    greedy decoding, so the same completions."""
    from statistics import mean
    keep = None if ids is None else set(ids)
    src = (source_dir or out) / f"samples_{source}.jsonl"
    rows = [r for r in (json.loads(x) for x in src.read_text().splitlines()) if keep is None or r["id"] in keep]
    with open(out / f"samples_{target}.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    n = len(rows)
    vals = {m: [float(r[m]) for r in rows if r.get(m) is not None] for m in METRICS}
    scores[target] = {m: (mean(v) if v else None) for m, v in vals.items()}
    for m in ("exact_match", "equiv"):
        p = scores[target][m]
        scores[target][f"{m}_stderr"] = (p * (1 - p) / (n - 1)) ** 0.5 if n > 1 else None
    scores[target]["n"] = n
    scores[target]["derived_from"] = source


def write_samples(path: Path, logged: list[dict]) -> None:
    """One row per problem: the response, lm-eval's per-sample metrics and the full MathVerifier verdict under the
    verifier settings the doc carries (the experiment's `verifier:` section, the one pool, pairs and slice use): the
    very verdict process_results computed (memoized), so every statistic of the report comes from these rows."""
    from harness.runtime.verdicts import verifier_json, verify
    verdicts = [verify(s["doc"].get("verifier_config") or verifier_json(), s["doc"]["question"], s["resps"][0][0],
                       s["doc"]["answer"]) for s in logged]
    with open(path, "w") as f:
        for s, v in zip(logged, verdicts):
            f.write(json.dumps({"doc_id": s["doc_id"], "id": s["doc"].get("id"), "question": s["doc"]["question"],
                                "answer": s["doc"]["answer"], "response": s["resps"][0][0],
                                **{m: s.get(m) for m in METRICS}, "verdict": v.to_dict()}, default=str) + "\n")


def compact_lm(hflm_cls):
    """lm-eval's HFLM whose greedy generation lets finished rows leave the batch (harness/models/decode.py): the
    same completions as `model.generate`, at the cost of the tokens generated rather than batch x the longest row.
    Anything but plain greedy decoding (sampling, a static cache) keeps lm-eval's own path."""
    class CompactHFLM(hflm_cls):
        def generate_until(self, requests, disable_tqdm: bool = False):
            """Under a launch of N processes (a data-parallel eval stage, harness/runtime/shard.py) each rank generates
            every N-th request and every rank gets all responses in request order; lm-eval's own multi-process path
            needs a process group and a model it loaded itself."""
            from harness.runtime import shard
            parts = shard.all_gather(requests, lambda mine: super(CompactHFLM, self).generate_until(mine, disable_tqdm))
            return shard.interleave(parts)

        def _model_generate(self, context, max_length, stop, **kwargs):
            extra = set(kwargs) - {"attention_mask", "do_sample", "temperature"}
            if extra or kwargs.get("do_sample") or kwargs.get("temperature", 0.0) not in (0, 0.0, None):
                return super()._model_generate(context, max_length, stop, **kwargs)
            from harness.models.decode import generate_compact
            tok = self.tokenizer
            mask = kwargs.get("attention_mask")
            if mask is None:
                mask = (context != tok.pad_token_id).long()
            stop_ids = [t for t in (tok.eos_token_id,) if t is not None]
            new = generate_compact(self.model, context, mask, max_length - context.shape[1], stop_ids,
                                   tok.pad_token_id if tok.pad_token_id is not None else stop_ids[0],
                                   stop_strings=list(stop), tok=tok)
            import torch
            return torch.cat([context, new], dim=1)
    return CompactHFLM


def _evaluate_groups(lm, tm, groups: dict, cfg: ExperimentConfig, results: dict, samples: dict) -> None:
    from lm_eval import simple_evaluate
    settings = generation_settings(cfg, [t for g in groups.values() for t in g])
    for limit, group in groups.items():
        # each task's own max_gen_toks and stop texts unless the experiment overrides them (generation_settings)
        gen = {} if cfg.eval.max_gen_toks is None else {"max_gen_toks": cfg.eval.max_gen_toks}
        untils = {tuple(settings[t]["until"]) for t in group if "until" in settings[t].get("overridden_from", {})}
        if untils:  # a group's tasks share one template: one override
            gen["until"] = list(next(iter(untils)))
        if cfg.eval.cache == "static":  # stock `generate`: no repetition penalty from the checkpoint's generation_config
            gen.update(cache_implementation="static", repetition_penalty=1.0)
        with _single_process_view():
            res = simple_evaluate(model=lm, tasks=group, task_manager=tm, limit=limit, log_samples=True,
                                  gen_kwargs=gen or None, random_seed=cfg.seed, numpy_random_seed=cfg.seed,
                                  torch_random_seed=cfg.seed, fewshot_random_seed=cfg.seed)
        results.update(res["results"])
        samples.update(res["samples"])


@contextlib.contextmanager
def _single_process_view():
    """lm-eval returns results only where LOCAL_RANK is 0 (its rule for tensor-parallel launchers); here every rank of a
    data-parallel eval stage runs lm-eval's single-process path over all documents, generating only its share
    (`compact_lm`'s generate_until), so each must get its results back."""
    import os
    saved = os.environ.get("LOCAL_RANK")
    if saved is not None:
        os.environ["LOCAL_RANK"] = "0"
    try:
        yield
    finally:
        if saved is not None:
            os.environ["LOCAL_RANK"] = saved


@contextlib.contextmanager
def lm_eval_bars(show: bool):
    """lm-eval's own tqdm bars (per-request generation, context building) on or off: lm-harness passes `disable=`
    explicitly, so TQDM_DISABLE alone does not silence them. Ours (rich) say where a run is; `--verbose` shows theirs."""
    import lm_eval.api.task as task_mod
    import lm_eval.models.huggingface as hf_mod
    saved = {m: m.tqdm for m in (task_mod, hf_mod)}

    def bar(*args, **kwargs):
        kwargs["disable"] = not show
        return saved[hf_mod](*args, **kwargs)
    for m in saved:
        m.tqdm = bar
    try:
        yield
    finally:
        for m, t in saved.items():
            m.tqdm = t
