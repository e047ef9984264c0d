"""Stages that only run a model, data-parallel: per-problem seeds (a sample does not depend on its batch), the file
exchange of harness/runtime/shard.py, and 2 processes against 1, row for row, for sampling and an evaluation. The
whole pipeline under `accelerate launch` with 2 processes is tests/test_two_process.py."""
import json
import os
import subprocess
import sys

import pytest
import torch

from harness.config import SamplingConfig

from .conftest import ROOT


# ---- per-problem seeds ------------------------------------------------------------------------------------------
def test_seeded_choice_draws_from_the_softmax_within_the_nucleus():
    from harness.models.decode import seeded_choice
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0, -3.0]])
    n = 20000
    seeds = torch.arange(n)
    chosen = seeded_choice(logits.expand(n, -1), seeds, 0, 1.0, 1.0)
    freq = torch.bincount(chosen, minlength=5).float() / n
    want = logits[0].softmax(-1)
    assert torch.allclose(freq, want, atol=4 * (want * (1 - want) / n).sqrt().max().item()), (freq, want)
    # top-p 0.8: the nucleus is the first two tokens (0.64 + 0.24 >= 0.8), renormalized
    chosen = seeded_choice(logits.expand(n, -1), seeds, 0, 1.0, 0.8)
    assert set(chosen.tolist()) == {0, 1}
    assert abs((chosen == 0).float().mean().item() - want[0].item() / want[:2].sum().item()) < 0.015
    # temperature 0.5 sharpens: token 0 at softmax(2 * logits)
    chosen = seeded_choice(logits.expand(n, -1), seeds, 0, 0.5, 1.0)
    assert abs((chosen == 0).float().mean().item() - (2 * logits[0]).softmax(-1)[0].item()) < 0.015


def test_a_seeded_draw_depends_on_its_seed_and_step_only():
    from harness.models.decode import seeded_choice
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 50, generator=g)
    seeds = torch.tensor([11, 12, 13, 14, 15, 16])
    together = seeded_choice(logits, seeds, 3, 1.0, 0.95)
    alone = torch.cat([seeded_choice(logits[i:i + 1], seeds[i:i + 1], 3, 1.0, 0.95) for i in range(6)])
    reversed_ = seeded_choice(logits.flip(0), seeds.flip(0), 3, 1.0, 0.95).flip(0)
    assert torch.equal(together, alone) and torch.equal(together, reversed_)
    steps = torch.stack([seeded_choice(logits, seeds, t, 1.0, 1.0) for t in range(20)])
    assert len({tuple(s.tolist()) for s in steps}) > 10  # the step moves the draw


def _sample(model_dir, problems, cfg, seed=5):
    from harness.models.sampling import sample
    return sample(str(model_dir), problems, "Question: {question}\nAnswer:", cfg, seed, "cpu")


PROBLEMS = [{"id": f"q{i}", "question": q} for i, q in enumerate(
    ["Tom has 3 apples and buys 4 more. How many?", "2 + 2?", "A box holds 5 pens; 3 boxes hold how many pens?",
     "9 - 4?", "13 + 40?", "Ann reads 6 pages a day for 5 days. How many pages?", "7 * 8?"])]


@pytest.mark.parametrize("cache", ["dynamic", "static"])
def test_a_problem_samples_the_same_in_any_batch(micro_model, cache):
    cfg = SamplingConfig(k=3, temperature=1.0, top_p=0.95, max_new_tokens=12, batch_size=4, cache=cache)
    everything, _ = _sample(micro_model, PROBLEMS, cfg)
    some, _ = _sample(micro_model, PROBLEMS[4:1:-1], SamplingConfig(**{**cfg.__dict__, "batch_size": 2}))
    by = lambda recs: {(r["problem_id"], r["sample_idx"]): r["token_ids"] for r in recs}  # noqa: E731
    assert {k: v for k, v in by(everything).items() if k[0] in ("q2", "q3", "q4")} == by(some)
    assert len({tuple(r["token_ids"]) for r in everything}) > len(PROBLEMS)  # a problem's k samples differ


# ---- the exchange between ranks ---------------------------------------------------------------------------------
WORKER = r"""
import json, sys
from pathlib import Path
from harness.runtime import shard
from harness.config import SamplingConfig, load_config
folder, what, model = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
problems = json.loads(sys.argv[4])
with shard.sharding(folder):
    if what == "gather":
        parts = shard.all_gather(list(range(11)), lambda mine: [x * x for x in mine])
        out = {"parts": parts, "flat": shard.interleave(parts)}
    elif what == "sample":
        from harness.models.sampling import sample
        cfg = SamplingConfig(k=3, temperature=1.0, top_p=0.95, max_new_tokens=12, batch_size=3, include_greedy=True)
        recs, stats = sample(model, problems, "Question: {question}\nAnswer:", cfg, 5, "cpu", include_greedy=True)
        out = {"records": recs, "stats": stats}
    else:
        from harness.stages.evaluate import run_lm_eval, task_metadata
        from harness.data.loaders import write_jsonl
        rows = [{"id": p["id"], "question": p["question"], "answer": "7", "solution": "7"} for p in problems]
        data = folder.parent / "synth_test.jsonl"
        if not data.exists():
            write_jsonl(data, rows)
        cfg = load_config("tiny", ["device=cpu", "eval.batch_size=3", "eval.max_gen_toks=16"])
        out_dir = folder.parent / f"eval-{sys.argv[5]}"
        out_dir.mkdir(exist_ok=True)
        scores, _ = run_lm_eval(model, cfg, ["hardneg_synth"], task_metadata(cfg, str(data), None), out_dir)
        out = {"scores": scores, "rows": (out_dir / "samples_hardneg_synth.jsonl").read_text().splitlines()}
print("RESULT " + json.dumps(out))
"""


def _ranks(tmp_path, what, model, world, tag):
    env_base = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env_base.update(PYTHONPATH=os.pathsep.join([str(ROOT), env_base.get("PYTHONPATH", "")]), OMP_NUM_THREADS="1",
                    MASTER_ADDR="127.0.0.1", MASTER_PORT=str(29000 + os.getpid() % 500), TORCHELASTIC_RUN_ID=tag)
    folder = tmp_path / f"shards-{tag}"
    procs = []
    for r in range(world):
        env = dict(env_base)
        if world > 1:
            env.update(RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE=str(world))
        procs.append(subprocess.Popen([sys.executable, "-c", WORKER, str(folder), what, str(model),
                                       json.dumps(PROBLEMS), f"{tag}-{r}"], cwd=ROOT, env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0] * world, [e[-3000:] for _, e in outs]
    return [json.loads(next(x for x in o.splitlines() if x.startswith("RESULT "))[7:]) for o, _ in outs]


def test_all_gather_gives_every_rank_every_part_in_rank_order(tmp_path):
    two = _ranks(tmp_path, "gather", "-", 2, "g2")
    assert two[0] == two[1]
    assert two[0]["parts"] == [[0, 4, 16, 36, 64, 100], [1, 9, 25, 49, 81]]
    assert two[0]["flat"] == [x * x for x in range(11)]
    one = _ranks(tmp_path, "gather", "-", 1, "g1")[0]
    assert one["parts"] == [[x * x for x in range(11)]] and one["flat"] == two[0]["flat"]


@pytest.mark.slow
def test_two_processes_sample_what_one_does_row_for_row(tmp_path, micro_model):
    one = _ranks(tmp_path, "sample", micro_model, 1, "s1")[0]
    two = _ranks(tmp_path, "sample", micro_model, 2, "s2")
    assert two[0]["records"] == two[1]["records"] == one["records"]  # same rows, same order, same seeds
    assert {r["greedy"] for r in one["records"]} == {True, False}
    for key in ("generated", "unique", "duplicates_removed", "tokens"):
        assert two[0]["stats"][key] == one["stats"][key], key
    assert two[0]["stats"]["counts"] == one["stats"]["counts"] and two[0]["stats"]["ranks"] == 2


@pytest.mark.slow
def test_two_processes_evaluate_what_one_does_row_for_row(tmp_path, micro_model):
    one = _ranks(tmp_path, "eval", micro_model, 1, "e1")[0]
    two = _ranks(tmp_path, "eval", micro_model, 2, "e2")
    assert two[0]["rows"] == one["rows"] and len(one["rows"]) == len(PROBLEMS)
    assert two[0]["scores"] == one["scores"]


# ---- settings that cannot work stop before any stage ------------------------------------------------------------
def test_a_tensor_parallel_size_the_heads_do_not_divide_is_refused():
    from harness.models.backend_check import tensor_parallel_problem
    line = tensor_parallel_problem(8, (12, 2), 1)  # Qwen2.5-1.5B: 12 attention heads, 2 key/value heads
    assert line and "12 attention heads" in line and "[1, 2, 4, 6, 12]" in line
    assert tensor_parallel_problem(4, (12, 2), 1) is None and tensor_parallel_problem(1, (12, 2), 8) is None
    assert "one engine per GPU" in tensor_parallel_problem(2, (12, 2), 8)


def test_heads_are_read_from_a_local_checkpoint(micro_model):
    from harness.config import load_config
    from harness.models.backend_check import attention_heads
    cfg = load_config("tiny", ["model.kind=pretrained", f"model.name_or_path={micro_model}"])
    assert attention_heads(cfg) == (4, 2)
    assert attention_heads(load_config("tiny", ["model.heads=8", "model.kv_heads=4"])) == (8, 4)


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def test_a_launch_the_global_batch_does_not_fit_stops_before_sft(tmp_path):
    r = _cli("compare", "--config", "tiny", "--recipes", "sft", f"run_dir={tmp_path / 'run'}", "sft.global_batch=16",
             "sft.batch_size=8", env={"WORLD_SIZE": "4"})
    err = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(err) == 1 and "sft.global_batch=16" in err[0], r.stderr[-2000:]
    assert not (tmp_path / "run").exists() or not list((tmp_path / "run").glob("sft-*"))


def test_vllm_without_vllm_stops_before_sft(tmp_path):
    pytest.importorskip("torch")
    if __import__("importlib").util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed here")
    r = _cli("compare", "--config", "tiny", "--recipes", "sft,dpo", f"run_dir={tmp_path / 'run'}",
             "sampling.backend=vllm")
    err = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(err) == 1 and "vllm is not installed" in err[0], r.stderr[-2000:]
    assert not (tmp_path / "run").exists() or not list((tmp_path / "run").glob("sft-*"))


def test_a_tensor_parallel_size_the_model_cannot_split_stops_before_sft(tmp_path):
    r = _cli("compare", "--config", "tiny", "--recipes", "sft,dpo", f"run_dir={tmp_path / 'run'}",
             "sampling.backend=vllm", "sampling.tensor_parallel_size=3")  # the embedded model: 4 heads, 2 KV heads
    err = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(err) == 1, r.stderr[-2000:]
    assert "sampling.tensor_parallel_size=3" in err[0] and "4 attention heads" in err[0] and "[1, 2, 4]" in err[0]
    assert not (tmp_path / "run").exists() or not list((tmp_path / "run").glob("sft-*"))


# ---- the global batch ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("world", [1, 2, 4])
def test_the_global_batch_fixes_accumulation_times_processes(monkeypatch, world):
    from harness.config import load_config
    from harness.runtime.dist import resolve_global_batch
    monkeypatch.setenv("WORLD_SIZE", str(world))
    cfg = resolve_global_batch(load_config("tiny", ["sft.global_batch=32", "sft.batch_size=8", "dpo.global_batch=16",
                                                    "dpo.batch_size=4"]))
    assert cfg.sft.grad_accum * cfg.sft.batch_size * world == 32
    assert cfg.dpo.grad_accum * cfg.dpo.batch_size * world == 16


def test_a_global_batch_the_processes_do_not_divide_stops_in_one_line(monkeypatch):
    from harness.config import ConfigError, load_config
    from harness.runtime.dist import resolve_global_batch
    monkeypatch.setenv("WORLD_SIZE", "8")
    with pytest.raises(ConfigError) as e:
        resolve_global_batch(load_config("tiny", ["sft.global_batch=32", "sft.batch_size=8"]))
    assert "sft.global_batch=32" in str(e.value) and "sft.batch_size to one of [1, 2, 4]" in str(e.value)
    monkeypatch.setenv("WORLD_SIZE", "1")
    with pytest.raises(ConfigError, match="contradicts"):
        load_config("tiny", ["sft.global_batch=32", "sft.batch_size=8", "sft.grad_accum=2"])


def test_a_recipe_override_of_the_batch_keeps_the_global_batch(monkeypatch):
    from harness.config import load_config
    from harness.runtime.dist import resolve_global_batch
    from harness.training.common import with_overrides
    monkeypatch.setenv("WORLD_SIZE", "2")
    cfg = resolve_global_batch(load_config("tiny", ["dpo.global_batch=16", "dpo.batch_size=4"]))
    small = with_overrides(cfg.dpo, {"batch_size": 2})
    assert (small.grad_accum, cfg.dpo.grad_accum) == (4, 2)
