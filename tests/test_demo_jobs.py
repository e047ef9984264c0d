"""`harness compare --jobs 2`: the recipes after SFT train and evaluate in two one-thread worker processes
and give exactly what one process gives at one thread (the parent at one thread too: a float sum's rounding depends
on the thread count, so a 2-thread SFT differs from a 1-thread one in the last bits): the same stage keys, the same trained weights' scores and
per-problem rows; the manifest keeps the workers' stage timings; progress counts recipes with an ETA; a rerun is
served from the cache; a GPU or distributed run refuses the flag with its fix."""
import json
import re

import pytest

from harness.config import ConfigError, load_config
from harness.stages.parallel import check_jobs, resolve_jobs

from .test_pipeline import _compare

RECIPES = "sft,dpo,hn_w_dpo,rft,step_w_dpo"
REAL_FOR_SFT = "eval.real_benchmarks_for=sft"  # GSM8K (when ../shared has it) for the SFT model only


def _stage_dirs(run_dir):
    return sorted(p.name for p in run_dir.iterdir() if p.is_dir() and "-" in p.name and not p.name.endswith(".partial"))


@pytest.mark.slow
def test_jobs_equal_one_process_and_cache(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    r1 = _compare(RECIPES, one, REAL_FOR_SFT, timeout=900, env={"OMP_NUM_THREADS": "1"})
    assert r1.returncode == 0, r1.stderr[-4000:]
    # one thread in the parent too: float sums depend on the thread count, and this test is about the workers
    r2 = _compare(RECIPES, two, REAL_FOR_SFT, "--jobs", "2", timeout=900, env={"OMP_NUM_THREADS": "1"})
    assert r2.returncode == 0, r2.stderr[-4000:]
    assert _stage_dirs(one) == _stage_dirs(two)  # same inputs, same keys
    res1, res2 = (json.loads((d / "results.json").read_text()) for d in (one, two))
    runs1 = {x["name"]: x["runs"][0] for x in res1["recipes"]}
    runs2 = {x["name"]: x["runs"][0] for x in res2["recipes"]}
    assert list(runs1) == list(runs2) and {"sft", "dpo", "hn_w_dpo", "rft"} <= set(runs1)
    assert res1.get("skipped") == res2.get("skipped")  # a micro SFT may leave step pairs empty: skipped alike
    for name in runs1:
        assert runs1[name]["scores"] == runs2[name]["scores"], name
        rows1, rows2 = ((d / run["samples"]["hardneg_synth"]).read_text() for d, run in ((one, runs1[name]), (two, runs2[name])))
        assert rows1 == rows2, name
    if "hardneg_gsm8k_cot" in res2["tasks"]:
        assert "hardneg_gsm8k_cot" in runs2["sft"]["samples"] and "hardneg_gsm8k_cot" not in runs2["dpo"]["samples"]
    # the stages the workers computed are recorded as computed, with their time
    stages = res2["manifest"]["stages"]
    for label in ("train:dpo", "eval:dpo", "train:rft", "eval:hn_w_dpo", "train:sft"):
        assert stages[label]["cached"] is False and stages[label]["seconds"] > 0, label
    assert res2["manifest"]["jobs"] == 2
    log = r2.stderr
    assert "stages of 5 recipe runs in 2 worker processes" in log
    assert "recipe 5/5" in log and "ETA ~" in log and "stages · " in log
    assert "train:dpo" in log and "eval:dpo" in log  # the parent prints the stage lines the workers computed
    # a second run reads every stage from the cache
    r3 = _compare(RECIPES, two, REAL_FOR_SFT, "--jobs", "2", timeout=600)
    assert r3.returncode == 0, r3.stderr[-3000:]
    res3 = json.loads((two / "results.json").read_text())
    assert all(v["cached"] for v in res3["manifest"]["stages"].values())
    # no training or evaluation handed to a worker (a builder that found no pairs is tried again: NoPairs is not cached)
    assert not re.search(r"(train|eval):\S+ \d+s", r3.stderr)


@pytest.mark.slow
def test_jobs_with_seeds_and_a_shared_pool_equal_one_process(tmp_path):
    """Two seeds over one SFT and one pool (`sampling.seed`): the pool, its pair rows and the SFT's evaluation are one
    stage each, computed once, and every (recipe, seed) equals the one-process run's."""
    one, two = tmp_path / "one", tmp_path / "two"
    extra = ("--seeds", "0,1", "sampling.seed=0", "eval.tasks=[hardneg_synth]")
    r1 = _compare("sft,dpo,rft", one, *extra, timeout=900, env={"OMP_NUM_THREADS": "1"})
    assert r1.returncode == 0, r1.stderr[-4000:]
    r2 = _compare("sft,dpo,rft", two, *extra, "--jobs", "2", timeout=900, env={"OMP_NUM_THREADS": "1"})
    assert r2.returncode == 0, r2.stderr[-4000:]
    assert _stage_dirs(one) == _stage_dirs(two)
    assert len(list(two.glob("pool-*"))) == 1 and len(list(two.glob("sft-*"))) == 1
    res1, res2 = (json.loads((d / "results.json").read_text()) for d in (one, two))
    for a, b in zip(res1["recipes"], res2["recipes"], strict=True):
        assert a["name"] == b["name"] and len(a["runs"]) == len(b["runs"])
        for x, y in zip(a["runs"], b["runs"], strict=True):
            assert (x["seed"], x["scores"]) == (y["seed"], y["scores"]), a["name"]
    labels = list(res2["manifest"]["stages"])
    assert "pool" in labels and not any(k.startswith("pool@") for k in labels)  # the pool is the first seed's
    assert "recipe 6/6" in r2.stderr


def test_jobs_refused_where_it_cannot_help(monkeypatch):
    cfg = load_config(None, ["device=cpu"])
    with pytest.raises(ConfigError, match="positive number"):
        check_jobs(cfg, 0)
    check_jobs(cfg, 1)
    check_jobs(cfg, 2)
    with pytest.raises(ConfigError, match="CUDA|GPU"):  # no GPU here: the device check refuses first; on one, --jobs does
        check_jobs(load_config(None, ["device=cuda"]), 2)
    with pytest.raises(ConfigError, match="'auto'"):
        resolve_jobs(cfg, "two")
    assert resolve_jobs(cfg, "3") == 3 and resolve_jobs(cfg, "auto") >= 1
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ConfigError, match="accelerate launch"):
        check_jobs(cfg, 2)
    assert resolve_jobs(cfg, "auto") == 1  # every rank trains each recipe already


def test_the_worker_plan_holds_every_pipeline_draw(tmp_path):
    """`--sft-seeds --jobs N`: each draw's pool, pair rows, trainings and evaluations are tasks of their own, keyed as
    that draw's one-process pipeline keys them (not folded into the first draw's, which left them to the main process
    after the workers finished)."""
    from harness.registry import resolve
    from harness.stages.parallel import plan
    from harness.stages.pipeline import Pipeline
    cfg = load_config("tiny-planted", [f"run_dir={tmp_path}", "device=cpu"])
    recipes = resolve("sft,rft,dpo")
    graph, runs = plan(cfg, recipes, [0, 1], True)
    keys = {Pipeline(cfg, seed=t.node.seed, sft_seed=t.node.sft_seed).key(t.node) for t in graph}
    for draw in (0, 1):
        pipe = Pipeline(cfg, seed=draw, sft_seed=draw)
        for r in recipes:
            assert pipe.key(pipe.eval_node(r)) in keys
        assert pipe.key(pipe.node("pool")) in keys
    assert sum(runs.values()) == 6 and {t.node.sft_seed for t in graph} == {0, 1}


def test_a_later_draws_lineage_is_its_own_for_iterated_rounds(tmp_path):
    """The index records each model's upstream: for another draw's `iter_rft_m` (three rounds deep) the base and SFT
    are that draw's, not the primary draw's that selected the slice (which the evaluation also depends on)."""
    from harness.registry import get_recipe
    from harness.stages.compare import upstream_keys
    from harness.stages.pipeline import Pipeline
    cfg = load_config("tiny-planted", [f"run_dir={tmp_path}", "device=cpu"])
    pipe, primary = Pipeline(cfg, seed=1, sft_seed=1), Pipeline(cfg)
    for name in ("iter_rft_m", "dpo", "sft"):
        up = upstream_keys(pipe, get_recipe(name))
        assert (up["base"], up["sft"]) == (pipe.base_key(), pipe.sft_key()) != (primary.base_key(), primary.sft_key())
        assert up["slice"] == primary.key(primary.node("slice"))
