"""Sample k solutions per problem from a policy: batched HF `generate` (left padding) or vLLM.

Returns one record per unique (problem, solution): exact duplicates are removed, and each record says
whether generation stopped at the token limit (`truncated`), which the verifier scores as form, and keeps the
sampled token ids (`token_ids`, up to the stop).

A sample stops at an end-of-text token or at a stop text: the prompt template's head after a line break (the model
starting the next problem; `stop_texts`). Both backends stop at the same texts, so `truncated` (the token limit
reached before any stop) means the same for HF and vLLM.

The stats count what the model ran (`stats["counts"]`, harness/runtime/cost.py `count_generation`): each sequence's
prompt tokens (prefilled once per sample, as the HF path does) and generated tokens, for the stage's cost.

vLLM runs in a child process per call (`python -m harness.models.sampling_child`): its engine takes
`gpu_memory_utilization` of every GPU it spans and does not reliably hand the memory back when the `LLM`
object is dropped, so the training stage after a sampling stage would start on a full GPU. A process exit
always frees it.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from harness.config import ConfigError, SamplingConfig
from harness.runtime.progress import make_progress


def sample(model_dir: str, problems: list[dict], template: str, cfg: SamplingConfig, seed: int,
           device: str, dtype_bf16: bool = False, greedy: bool = False,
           include_greedy: bool = False, stop_template: str | None = None) -> tuple[list[dict], dict]:
    """-> (records, stats). `greedy` forces one deterministic sample per problem; `include_greedy` adds each
    problem's greedy completion to its k samples (see `merge_greedy`). `stop_template`: the prompt template the
    stop text comes from (`stop_texts`), when it is not `template` (a caller that formats its prompts itself passes
    '{question}' as `template` and the experiment's data.prompt_template here)."""
    stop_template = template if stop_template is None else stop_template
    if include_greedy and not greedy:
        recs, stats = sample(model_dir, problems, template, cfg, seed, device, dtype_bf16, stop_template=stop_template)
        g_recs, g_stats = sample(model_dir, problems, template, cfg, seed, device, dtype_bf16, greedy=True,
                                 stop_template=stop_template)
        return merge_greedy(recs, g_recs), {**stats, "greedy": g_stats}
    if cfg.backend == "vllm" and importlib.util.find_spec("vllm") is None:
        raise ConfigError("sampling.backend=vllm but vllm is not installed; pip install '.[vllm]' "
                          "(GPU only) or set sampling.backend=hf")
    run = run_in_child if cfg.backend == "vllm" else sample_in_process
    from harness.runtime import shard

    def part(mine: list[dict]) -> list:
        return list(run(model_dir, mine, template, cfg, seed, device, dtype_bf16, greedy, stop_template))
    parts = shard.all_gather(problems, part)  # under a launch: each rank samples every N-th problem
    return tuple(parts[0]) if len(parts) == 1 else merge_parts(problems, parts)


def merge_parts(problems: list[dict], parts: list) -> tuple[list[dict], dict]:
    """The ranks' (records, stats) as one process gives them: records in problem order (each problem's own in sample
    order: a problem is sampled whole on one rank), counts summed, the time the slowest rank's."""
    from harness.runtime.cost import add_counts
    at = {p["id"]: n for n, p in enumerate(problems)}
    records = sorted((r for recs, _ in parts for r in recs), key=lambda r: at[r["problem_id"]])
    stats = [st for _, st in parts]
    total = {k: sum(st[k] for st in stats) for k in ("generated", "unique", "duplicates_removed", "tokens")}
    seconds = max(st["seconds"] for st in stats)
    out = {**total, "seconds": seconds, "tokens_per_s": round(total["tokens"] / max(seconds, 1e-6), 1),
           "counts": {side: add_counts(*(st["counts"][side] for st in stats)) for side in ("prompt", "generated")},
           "ranks": len(parts)}
    if any(st.get("isolated") for st in stats):
        out["isolated"] = True
    return records, out


def problem_seed(seed: int, problem_id, sample_idx: int = 0) -> int:
    """The seed of one sample: a function of the run's seed, the problem and the sample's index only, so a sample
    is the same whichever batch, rank or order it is drawn in (a 31-bit integer, for vLLM's per-request seed too)."""
    import hashlib
    digest = hashlib.sha256(f"{seed}:{problem_id}:{sample_idx}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def merge_greedy(sampled: list[dict], greedy: list[dict]) -> list[dict]:
    """Every record gets `greedy`; a greedy completion that a temperature sample already produced marks that record
    (no duplicate), any other is appended with sample_idx -1."""
    out = [dict(r, greedy=False) for r in sampled]
    index = {(r["problem_id"], r["solution"]): r for r in out}
    for g in greedy:
        twin = index.get((g["problem_id"], g["solution"]))
        if twin is not None:
            twin["greedy"] = True
        else:
            out.append(dict(g, sample_idx=-1, greedy=True))
    return out


def sample_in_process(model_dir, problems, template, cfg: SamplingConfig, seed, device, dtype_bf16, greedy,
                      stop_template: str | None = None):
    if cfg.backend == "vllm":
        return _sample_vllm(model_dir, problems, template, cfg, seed, dtype_bf16, greedy, stop_template)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.runtime.device import release_accelerator_memory, set_threads
    set_threads()
    tok = AutoTokenizer.from_pretrained(model_dir, padding_side="left")
    # sampling never trains: bf16 weights when bf16 is on (harness/runtime/device.py's precision rule)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16 if dtype_bf16 else torch.float32)
    model.to(device).eval()
    try:
        return generate_samples(model, tok, problems, template, cfg, seed, device, greedy, stop_template)
    finally:
        del model
        release_accelerator_memory()


# Launcher variables a child must not inherit: vLLM's tensor-parallel workers set up their own process group.
_LAUNCH_ENV_PREFIXES = ("TORCHELASTIC_", "ACCELERATE_", "OMPI_COMM_WORLD_", "PMI_")
_LAUNCH_ENV = {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK", "ROLE_RANK", "ROLE_WORLD_SIZE",
               "MASTER_ADDR", "MASTER_PORT", "GROUP_WORLD_SIZE", "SLURM_PROCID"}


def run_in_child(model_dir, problems, template, cfg: SamplingConfig, seed, device, dtype_bf16, greedy,
                 stop_template: str | None = None):
    """The same sampling in a fresh Python process; results come back through a JSON file."""
    with tempfile.TemporaryDirectory(prefix="hardneg-sample-") as tmp:
        job, result = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job.write_text(json.dumps({"model_dir": str(model_dir), "problems": problems, "template": template,
                                   "cfg": asdict(cfg), "seed": seed, "device": device, "dtype_bf16": dtype_bf16,
                                   "greedy": greedy, "stop_template": stop_template}))
        env = {k: v for k, v in os.environ.items() if k not in _LAUNCH_ENV and not k.startswith(_LAUNCH_ENV_PREFIXES)}
        env.update(_rank_gpu())
        rc = subprocess.run([sys.executable, "-m", "harness.models.sampling_child", str(job), str(result)], env=env).returncode
        if rc != 0 or not result.is_file():
            raise RuntimeError(f"the {cfg.backend} sampling child process failed (exit code {rc}); its output is above")
        out = json.loads(result.read_text())
    out["stats"]["isolated"] = True
    return out["records"], out["stats"]


def _rank_gpu() -> dict:
    """Under a launch of several processes, the child sees only this rank's GPU (one vLLM engine per GPU: data
    parallel); a single process leaves the visible devices alone (tensor parallel spans them)."""
    from harness.runtime import dist
    if not dist.is_distributed():
        return {}
    visible = [d for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    local = dist.local_rank()
    return {"CUDA_VISIBLE_DEVICES": visible[local] if local < len(visible) else str(local)}


def stop_token_ids(tok) -> list[int]:
    """The ids that end a sampled solution: EOS, and a chat model's <|im_end|> where the tokenizer has one."""
    return [tok.eos_token_id] + [t for t in tok.convert_tokens_to_ids(["<|im_end|>"]) if t is not None and t != tok.unk_token_id]


def stop_texts(template: str, tok=None) -> list[str]:
    """The texts that end a sampled solution, for both backends: the prompt template's text before `{question}`,
    stripped, after a line break -- a model that starts the next problem ('\nQuestion:' for the default template).
    A head of several lines gives its first and its last line, each after a line break: the next problem restarted
    with the whole head or with its last line only (the paper's template: '\nBelow is an instruction ...' and
    '\n### Instruction:'). With a tokenizer, also the text of its end-of-text tokens (`stop_token_ids`). A template
    with nothing before `{question}` adds no text stop."""
    lines = [ln.strip() for ln in template.split("{question}", 1)[0].strip().splitlines() if ln.strip()]
    out = [f"\n{ln}" for ln in (lines[:1] + lines[-1:])]
    if tok is not None:
        out += [tok.decode([i]) for i in stop_token_ids(tok)]
    return list(dict.fromkeys(out))


def cut_at_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """-> (text before the first stop text, whether one occurred)."""
    at = min((i for i in (text.find(s) for s in stops if s) if i >= 0), default=-1)
    return (text, False) if at < 0 else (text[:at], True)


def generate_samples(model, tok, problems: list[dict], template: str, cfg: SamplingConfig, seed: int, device: str,
                     greedy: bool = False, stop_template: str | None = None) -> tuple[list[dict], dict]:
    """Sampling with an already loaded model (the stage above; benchmarks/gpu_throughput.py)."""
    import torch
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    k = 1 if greedy else cfg.k
    prompts = [template.format(question=p["question"]) for p in problems]
    jobs = [(i, j) for i in range(len(problems)) for j in range(k)]
    out: list[dict] = []
    seen: set[tuple[int, str]] = set()
    n_tokens, t0 = 0, time.time()
    seeds = torch.tensor([problem_seed(seed, problems[i]["id"], j) for i, j in jobs], dtype=torch.long)
    stop_ids = stop_token_ids(tok)
    stops = stop_texts(template if stop_template is None else stop_template, tok)
    gen_kwargs = dict(max_new_tokens=cfg.max_new_tokens, pad_token_id=tok.pad_token_id, eos_token_id=stop_ids)
    if cfg.cache == "static":  # preallocated KV cache; transformers compiles the decode step on CUDA
        # `generate` fills what is not given from the checkpoint's generation_config and its own defaults (top_k 50;
        # Qwen's instruct models add top_k 20, repetition_penalty 1.1): pinned, so that both caches sample one
        # distribution, the one the config names (the dynamic path reads only temperature and top_p)
        gen_kwargs.update(cache_implementation="static", top_k=0, repetition_penalty=1.0)
    if greedy or cfg.temperature == 0:
        gen_kwargs.update(do_sample=False)
    else:
        gen_kwargs.update(do_sample=True, temperature=cfg.temperature, top_p=cfg.top_p)
    # batches of similar prompt length (little left padding), in which a finished row stops (harness/models/decode.py);
    # the records come back in job order, so the de-duplication keeps the first sample as before
    order = sorted(range(len(jobs)), key=lambda n: (-len(prompts[jobs[n][0]]), n))
    done: dict[int, tuple] = {}
    prompt_lens: dict[int, int] = {}
    with make_progress() as bar:
        task = bar.add_task("sample", total=len(jobs), info="")
        for s in range(0, len(order), cfg.batch_size):
            batch = order[s:s + cfg.batch_size]
            enc = tok([prompts[jobs[n][0]] for n in batch], return_tensors="pt", padding=True).to(device)
            new = _generate(model, enc, gen_kwargs, cfg, stop_ids, tok.pad_token_id, seeds[batch])
            prompt_lens.update(zip(batch, enc["attention_mask"].sum(dim=1).tolist()))
            for n, row in zip(batch, new):
                ended = bool((row == tok.pad_token_id).any() or any((row == t).any() for t in stop_ids))
                k_tokens = int((row != tok.pad_token_id).sum())
                n_tokens += k_tokens
                done[n] = (row, ended, k_tokens)
            bar.update(task, advance=len(batch), info=f"{n_tokens / max(time.time() - t0, 1e-6):,.0f} tok/s")
    for n, (i, j) in enumerate(jobs):
        row, ended, k_tokens = done[n]
        text, truncated, ids = finish_row(tok, row.tolist(), ended, stops, stop_ids, cfg.max_new_tokens)
        if (i, text) in seen:
            continue
        seen.add((i, text))
        out.append({"problem_id": problems[i]["id"], "sample_idx": j, "solution": text,
                    "truncated": truncated, "n_tokens": k_tokens, "token_ids": ids})
    dt = time.time() - t0
    from harness.runtime.cost import count_generation
    stats = {"generated": len(jobs), "unique": len(out), "duplicates_removed": len(jobs) - len(out),
             "tokens": n_tokens, "seconds": round(dt, 2), "tokens_per_s": round(n_tokens / max(dt, 1e-6), 1),
             "counts": count_generation([prompt_lens[n] for n in range(len(jobs))],
                                        [done[n][2] for n in range(len(jobs))])}
    return out, stats


def finish_row(tok, row: list[int], ended: bool, stops: list[str], stop_ids: list[int],
               max_new_tokens: int) -> tuple[str, bool, list[int]]:
    """One generated row (new token ids, pad after a stop token; `ended`: it reached a stop or pad token) ->
    (solution text, truncated, kept ids). A stop text in the text ends the sample there, as vLLM stops at it: the
    text is cut before it, the ids kept through the token that completes it, and the sample is not truncated.
    Truncated: the token limit reached before any stop token or stop text."""
    ids = _kept_ids(row, set(stop_ids) | {tok.pad_token_id})
    text, at_stop = cut_at_stop(tok.decode(ids, skip_special_tokens=True), stops)
    if at_stop:
        ids = _ids_through_stop(tok, ids, stops)
    n_new = sum(t != tok.pad_token_id for t in row)
    return text.strip(), not (ended or at_stop) and n_new >= max_new_tokens, ids


def _generate(model, enc, gen_kwargs: dict, cfg: SamplingConfig, stop_ids: list[int], pad_id: int, seeds):
    """The new tokens of one batch: `model.generate` for a static cache (compiled decode on CUDA), else the
    decoding in which finished rows stop. Each sampled row draws from its own seed (`problem_seed`), on both paths."""
    import torch
    if cfg.cache == "static":
        kwargs = dict(gen_kwargs)
        if kwargs.get("do_sample"):  # greedy over a one-hot of the seeded draw: the same distribution, per-row seeds
            kwargs.update(do_sample=False, temperature=None, top_p=None,
                          logits_processor=[SeededDraw(seeds, enc["input_ids"].shape[1], kwargs.pop("temperature"),
                                                       kwargs.pop("top_p"))])
        with torch.no_grad():
            ids = model.generate(**enc, **kwargs)
        return ids[:, enc["input_ids"].shape[1]:]
    from harness.models.decode import generate_compact
    # a sampled pad token ends the row too: the record keeps the ids up to it (`_kept_ids`), so the text must stop there
    return generate_compact(model, enc["input_ids"], enc["attention_mask"], cfg.max_new_tokens, [*stop_ids, pad_id], pad_id,
                            do_sample=gen_kwargs["do_sample"], temperature=gen_kwargs.get("temperature", 1.0),
                            top_p=gen_kwargs.get("top_p", 1.0), row_seeds=seeds)


class SeededDraw:
    """A `generate` logits processor that makes each row's next token its seeded draw (harness/models/decode.py
    `seeded_choice`): every other token gets -inf, so greedy decoding picks it. Rows keep their batch position
    throughout `generate`, and the step is the number of tokens generated so far."""

    def __init__(self, seeds, prompt_len: int, temperature: float, top_p: float):
        self.seeds, self.prompt_len, self.temperature, self.top_p = seeds, prompt_len, temperature, top_p

    def __call__(self, input_ids, scores):
        from harness.models.decode import seeded_choice
        chosen = seeded_choice(scores, self.seeds.to(scores.device), input_ids.shape[1] - self.prompt_len,
                               self.temperature, self.top_p)
        out = scores.new_full(scores.shape, float("-inf"))
        out[range(len(chosen)), chosen] = 0.0
        return out


def _kept_ids(ids: list[int], stops: set[int]) -> list[int]:
    """The generated token ids up to the first stop or pad token: exactly what the policy sampled. (The text is
    further cut at a stop text and stripped; re-encoding it is not guaranteed to give these ids.)"""
    for n, t in enumerate(ids):
        if t in stops:
            return ids[:n]
    return ids


def _ids_through_stop(tok, ids: list[int], stops: list[str]) -> list[int]:
    """The shortest prefix of `ids` whose text holds a stop text: the ids through the token that completes it, as
    vLLM keeps them when a stop text ends a sample (a binary search: a longer prefix holds it too)."""
    lo, hi = 1, len(ids)
    while lo < hi:
        mid = (lo + hi) // 2
        if cut_at_stop(tok.decode(ids[:mid], skip_special_tokens=True), stops)[1]:
            hi = mid
        else:
            lo = mid + 1
    return ids[:hi]


def _sample_vllm(model_dir, problems, template, cfg: SamplingConfig, seed, dtype_bf16, greedy,
                 stop_template: str | None = None):
    """In the child process only (see the module doc). vLLM stops at the stop texts itself; its text is then cut
    and stripped as `generate_samples` does, so de-duplication counts completions that differ only in surrounding
    whitespace once."""
    from vllm import LLM, SamplingParams
    t0 = time.time()
    llm = LLM(model=model_dir, seed=seed, tensor_parallel_size=cfg.tensor_parallel_size,
              gpu_memory_utilization=cfg.gpu_memory_utilization, dtype="bfloat16" if dtype_bf16 else "auto")
    k = 1 if greedy else cfg.k
    stops = stop_texts(template if stop_template is None else stop_template, llm.get_tokenizer())
    # one seed per problem (vLLM draws a request's n samples from seed, seed + 1, ...): a problem's samples do not
    # depend on which other problems share the engine, or on the rank that samples it
    params = [SamplingParams(n=k, temperature=0.0 if greedy else cfg.temperature, top_p=cfg.top_p,
                             max_tokens=cfg.max_new_tokens, seed=problem_seed(seed, p["id"]), stop=stops)
              for p in problems]
    res = llm.generate([template.format(question=p["question"]) for p in problems], params)
    out, seen, n_tokens, prompt_lens, gen_lens = [], set(), 0, [], []
    for p, r in zip(problems, res):
        for j, o in enumerate(r.outputs):
            n_tokens += len(o.token_ids)
            prompt_lens.append(len(r.prompt_token_ids or []))
            gen_lens.append(len(o.token_ids))
            text = cut_at_stop(o.text, stops)[0].strip()
            if (p["id"], text) in seen:
                continue
            seen.add((p["id"], text))
            out.append({"problem_id": p["id"], "sample_idx": j, "solution": text,
                        "truncated": o.finish_reason == "length", "n_tokens": len(o.token_ids),
                        "token_ids": list(o.token_ids)})
    dt = time.time() - t0
    from harness.runtime.cost import count_generation
    return out, {"generated": len(problems) * k, "unique": len(out), "tokens": n_tokens,
                 "duplicates_removed": len(problems) * k - len(out), "seconds": round(dt, 2),
                 "tokens_per_s": round(n_tokens / max(dt, 1e-6), 1),
                 "counts": count_generation(prompt_lens, gen_lens)}
