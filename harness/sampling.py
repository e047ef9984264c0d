"""Sample k solutions per problem from a policy: batched HF `generate` (left padding) or vLLM.

Returns one record per unique (problem, solution): exact duplicates are removed, and each record says
whether generation stopped at the token limit (`truncated`), which the verifier scores as form.
"""
from __future__ import annotations

import time

from .config import ConfigError, SamplingConfig
from .progress import make_progress


def sample(model_dir: str, problems: list[dict], template: str, cfg: SamplingConfig, seed: int,
           device: str, dtype_bf16: bool = False, greedy: bool = False) -> tuple[list[dict], dict]:
    """-> (records, stats). `greedy` forces one deterministic sample per problem."""
    if cfg.backend == "vllm":
        return _sample_vllm(model_dir, problems, template, cfg, seed, greedy)
    return _sample_hf(model_dir, problems, template, cfg, seed, device, dtype_bf16, greedy)


def _sample_hf(model_dir, problems, template, cfg, seed, device, dtype_bf16, greedy):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from .device import set_threads
    set_threads()
    tok = AutoTokenizer.from_pretrained(model_dir, padding_side="left")
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16 if dtype_bf16 else torch.float32)
    model.to(device).eval()
    k = 1 if greedy else cfg.k
    prompts = [template.format(question=p["question"]) for p in problems]
    jobs = [(i, j) for i in range(len(problems)) for j in range(k)]
    out: list[dict] = []
    seen: set[tuple[int, str]] = set()
    n_tokens, t0 = 0, time.time()
    torch.manual_seed(seed)
    stop_ids = [tok.eos_token_id] + [t for t in tok.convert_tokens_to_ids(["<|im_end|>"]) if t is not None and t != tok.unk_token_id]
    with make_progress() as bar:
        task = bar.add_task("sample", total=len(jobs), info="")
        for s in range(0, len(jobs), cfg.batch_size):
            batch = jobs[s:s + cfg.batch_size]
            enc = tok([prompts[i] for i, _ in batch], return_tensors="pt", padding=True).to(device)
            gen_kwargs = dict(max_new_tokens=cfg.max_new_tokens, pad_token_id=tok.pad_token_id, eos_token_id=stop_ids)
            if greedy or cfg.temperature == 0:
                gen_kwargs.update(do_sample=False)
            else:
                gen_kwargs.update(do_sample=True, temperature=cfg.temperature, top_p=cfg.top_p)
            with torch.no_grad():
                ids = model.generate(**enc, **gen_kwargs)
            new = ids[:, enc["input_ids"].shape[1]:]
            for (i, j), row in zip(batch, new):
                ended = bool((row == tok.pad_token_id).any() or any((row == t).any() for t in stop_ids))
                n = int((row != tok.pad_token_id).sum())
                n_tokens += n
                text = tok.decode(row, skip_special_tokens=True).split("\nQuestion:")[0].strip()
                if (i, text) in seen:
                    continue
                seen.add((i, text))
                out.append({"problem_id": problems[i]["id"], "sample_idx": j, "solution": text,
                            "truncated": not ended and n >= cfg.max_new_tokens, "n_tokens": n})
            bar.update(task, advance=len(batch), info=f"{n_tokens / max(time.time() - t0, 1e-6):,.0f} tok/s")
    dt = time.time() - t0
    stats = {"generated": len(jobs), "unique": len(out), "duplicates_removed": len(jobs) - len(out),
             "tokens": n_tokens, "seconds": round(dt, 2), "tokens_per_s": round(n_tokens / max(dt, 1e-6), 1)}
    return out, stats


def _sample_vllm(model_dir, problems, template, cfg, seed, greedy):
    try:
        from vllm import LLM, SamplingParams
    except ImportError:
        raise ConfigError("sampling.backend=vllm but vllm is not installed; pip install '.[vllm]' "
                          "(GPU only) or set sampling.backend=hf") from None
    t0 = time.time()
    llm = LLM(model=model_dir, seed=seed)
    k = 1 if greedy else cfg.k
    params = SamplingParams(n=k, temperature=0.0 if greedy else cfg.temperature, top_p=cfg.top_p,
                            max_tokens=cfg.max_new_tokens, seed=seed, stop=["\nQuestion:"])
    res = llm.generate([template.format(question=p["question"]) for p in problems], params)
    out, seen, n_tokens = [], set(), 0
    for p, r in zip(problems, res):
        for j, o in enumerate(r.outputs):
            n_tokens += len(o.token_ids)
            if (p["id"], o.text) in seen:
                continue
            seen.add((p["id"], o.text))
            out.append({"problem_id": p["id"], "sample_idx": j, "solution": o.text.strip(),
                        "truncated": o.finish_reason == "length", "n_tokens": len(o.token_ids)})
    dt = time.time() - t0
    return out, {"generated": len(problems) * k, "unique": len(out), "tokens": n_tokens,
                 "duplicates_removed": len(problems) * k - len(out), "seconds": round(dt, 2),
                 "tokens_per_s": round(n_tokens / max(dt, 1e-6), 1)}
