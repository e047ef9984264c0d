"""Stage keys cover exactly what a stage reads (harness/stages/kind.py): its declared config fields, its upstream
keys, its inputs, its seed and its code. Keys are computed without running anything."""
import dataclasses
import shutil

import pytest

from harness.config import load_config
from harness.registry import all_recipes, get_recipe
from harness.stages.kind import KEYED_AS_INPUTS, REPORTING_ONLY, load_kinds
from harness.stages.pipeline import Pipeline


def _pretrained(tmp_path, *extra):
    """The paper config (a hub model: its base is external, nothing is downloaded to key it), evaluated on a local
    GSM8K fixture so no hub is asked."""
    gsm8k = tmp_path / "gsm8k"
    gsm8k.mkdir(exist_ok=True)
    (gsm8k / "test.jsonl").write_text('{"question": "1 + 1?", "answer": "1 + 1 = 2\\n#### 2"}\n')
    return load_config("qwen2.5-1.5b", [f"run_dir={tmp_path / 'run'}", "device=cpu", "eval.tasks=[hardneg_gsm8k_cot]",
                                        "eval.optional_tasks=[]", f"eval.gsm8k_path={gsm8k}", *extra])


def _keys(cfg, recipes=("sft", "dpo", "rft", "hn_w_dpo", "sft_more")) -> dict[str, str]:
    pipe = Pipeline(cfg)
    out = {k: pipe.key(pipe.node(k)) for k in ("data", "base", "sft", "pool")}
    out["slice"] = pipe.key(pipe.primary_node("slice"))
    for name in recipes:
        r = get_recipe(name)
        out[f"train:{name}"] = pipe.key(pipe.train_node(r))
        out[f"eval:{name}"] = pipe.key(pipe.eval_node(r))
    return out


def _changed(a: dict, b: dict) -> set[str]:
    return {k for k in a if a[k] != b[k]}


def test_pretrained_precision_reaches_sft_pool_and_eval_keys(tmp_path):
    fp32 = _keys(_pretrained(tmp_path, "model.dtype=float32"))
    bf16 = _keys(_pretrained(tmp_path, "model.dtype=bfloat16"))
    changed = _changed(fp32, bf16)
    assert {"sft", "pool", "eval:sft", "eval:dpo", "train:dpo"} <= changed
    assert "data" not in changed and "base" not in changed  # the hub id and the data do not depend on precision


@pytest.mark.parametrize("override", ["model.train_attention=sdpa", "model.train_compile=layers"])
def test_how_a_trained_model_runs_reaches_every_trained_stage(tmp_path, override):
    before, after = _keys(_pretrained(tmp_path)), _keys(_pretrained(tmp_path, override))
    assert {"sft", "pool", "train:dpo", "train:sft_more", "eval:dpo"} <= _changed(before, after)


def test_world_size_reaches_training_keys_through_the_global_batch(tmp_path, monkeypatch):
    import harness.runtime.dist as dist
    # per-process batches (no global_batch): 8 processes train at 8x the global batch, another experiment
    cfg = _pretrained(tmp_path, "sft.global_batch=null", "dpo.global_batch=null", "sft.grad_accum=4", "dpo.grad_accum=4")
    one = _keys(cfg)
    monkeypatch.setattr(dist, "world_size", lambda: 8)
    eight = _keys(cfg)
    assert {"sft", "train:dpo", "train:rft", "train:sft_more"} <= _changed(one, eight)
    # the paper config states its global batch (32): 1 process x batch 8 x 4 accumulated and 8 processes x batch 4
    # are the same experiment, the same keys
    monkeypatch.setattr(dist, "world_size", lambda: 1)
    one = _keys(_pretrained(tmp_path))
    monkeypatch.setattr(dist, "world_size", lambda: 8)
    split = _pretrained(tmp_path, "sft.batch_size=4", "dpo.batch_size=4")
    assert _keys(split)["sft"] == one["sft"] and _keys(split)["train:dpo"] == one["train:dpo"]
    assert split.sft.grad_accum == 1 and split.dpo.grad_accum == 1


def test_unrelated_settings_change_no_key(tmp_path):
    base = _keys(_pretrained(tmp_path))
    for override in ("report.control=rft", "sft.logging_steps=3", "dpo.report_to=tensorboard", "name=other"):
        assert _keys(_pretrained(tmp_path, override)) == base, override
    # real benchmarks for SFT alone: the other models' task lists, so their evaluations, and nothing else
    only_sft = _keys(_pretrained(tmp_path, "eval.real_benchmarks_for=sft"))
    assert _changed(base, only_sft) == {"eval:dpo", "eval:rft", "eval:hn_w_dpo", "eval:sft_more"}
    # a weight setting changes the weighted pair sets and what trains on them, not the pool or the builder's rows
    alpha = _keys(_pretrained(tmp_path, "pairs.alpha=2.0"))
    assert _changed(base, alpha) == {"train:hn_w_dpo", "eval:hn_w_dpo"}
    # beta is no input of rft's NLL loss: a beta sweep reuses rft's training
    beta = _keys(_pretrained(tmp_path, "dpo.beta=0.5"))
    assert "train:rft" not in _changed(base, beta) and "train:dpo" in _changed(base, beta)


def test_an_unrelated_task_file_changes_no_key(tmp_path, monkeypatch):
    """A new task YAML beside the evaluated ones leaves every key as it was; editing the evaluated task's does not."""
    import harness.tasks as tasks
    copy = tmp_path / "tasks"
    shutil.copytree(tasks.TASKS_DIR, copy)
    original = tasks.task_fingerprint
    monkeypatch.setattr(tasks, "task_fingerprint", lambda names, folder=copy: original(names, folder))
    cfg = _pretrained(tmp_path)
    before = _keys(cfg)
    (copy / "hardneg_other.yaml").write_text("include: _hardneg.yaml\ntask: hardneg_other\n"
                                             "custom_dataset: !function utils.load_synth\n")
    assert _keys(cfg) == before
    yaml = copy / "hardneg_gsm8k_cot.yaml"
    yaml.write_text(yaml.read_text() + "\n# scoring changed\n")
    assert {"eval:sft", "eval:dpo"} <= _changed(before, _keys(cfg))


def _fields(obj, prefix: str) -> set[str]:
    out = set()
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            out |= {f"{f.name}.{x}" for x in _fields(value, "")}
        else:
            out.add(f.name)
    return out


def test_every_config_field_is_read_by_a_stage_or_says_why_not(tmp_path):
    """A new config field must be declared by the stages it changes, or listed as reporting-only: none is silently
    left out of every key."""
    cfg = load_config("tiny-planted", [f"run_dir={tmp_path}", "device=cpu"])
    pipe = Pipeline(cfg)
    declared = set()
    for kind in load_kinds().values():
        nodes = [pipe.node(kind.name)] if not kind.trainer and kind.name not in ("eval", "valeval", "pairs",
                                                                                   "pairrows") else []
        if kind.trainer:
            nodes = [pipe.train_node(r) for r in all_recipes() if r.trainer == kind.trainer]
        if kind.name in ("eval", "valeval"):
            nodes = [pipe.node(kind.name, recipe=r.name) for r in all_recipes()]
        if kind.name in ("pairs", "pairrows"):
            from harness.registry import weight_schemes
            nodes = [pipe.node(kind.name, builder="hard", scheme=s) for s in weight_schemes()]
        for node in nodes:
            declared |= set(kind.fields(pipe, node))
    covered = declared | set(REPORTING_ONLY) | set(KEYED_AS_INPUTS)
    sections = {f.split(".")[0] for f in covered if f.endswith(".*")}
    missing = {f for f in _fields(cfg, "") if f not in covered and f.split(".")[0] not in sections}
    assert not missing, f"config fields no stage declares: {sorted(missing)}"


def test_keys_need_no_run_and_seeds_enter_where_they_are_drawn(tmp_path):
    cfg = load_config("tiny-planted", [f"run_dir={tmp_path}", "device=cpu"])
    a, b = Pipeline(cfg, seed=0), Pipeline(cfg, seed=1)
    assert a.key(a.node("data")) == b.key(b.node("data"))       # the split is the config's
    assert a.key(a.node("sft")) == b.key(b.node("sft"))         # one SFT shared by the run seeds
    assert a.key(a.node("pool")) != b.key(b.node("pool"))       # a pool per seed unless sampling.seed is set
    sft = get_recipe("sft")
    assert a.key(a.eval_node(sft)) == b.key(b.eval_node(sft))   # greedy: the shared SFT is evaluated once
    assert not any(p.name.startswith(("data-", "sft-")) for p in tmp_path.iterdir())


def test_what_a_seed_varies_is_in_the_stage_keys(tmp_path):
    """`--sft-seeds`: seed s trains its own SFT, so its pool, pair sets and trainings are all new stages (a whole
    pipeline draw); plain `--seeds`: the seeds share the SFT and draw a pool each (sampling.seed null), or share the
    pool too and vary the trainings only (sampling.seed set)."""
    def keys(seed, sft_seed):
        pipe = Pipeline(cfg, seed=seed, sft_seed=sft_seed)
        return {"data": pipe.key(pipe.node("data")), "sft": pipe.key(pipe.node("sft")),
                "pool": pipe.key(pipe.node("pool")), "train:dpo": pipe.key(pipe.train_node(get_recipe("dpo")))}
    cfg = _pretrained(tmp_path)
    base, repeat, draw = keys(0, 0), keys(1, 0), keys(1, 1)
    assert _changed(base, draw) == {"sft", "pool", "train:dpo"}   # a draw: everything downstream of the data
    assert _changed(base, repeat) == {"pool", "train:dpo"}        # the SFT shared, a pool per seed
    cfg = _pretrained(tmp_path, "sampling.seed=0")
    base, repeat = keys(0, 0), keys(1, 0)
    assert _changed(base, repeat) == {"train:dpo"}                # training order only: SFT and pool shared
