"""Packaged configs by name, hub-first benchmark data with explicit local copies (HARDNEG_DATA_DIR or the config's
paths), and the decision about missing data before any stage runs (harness/data/benchmarks.py)."""
import os
import subprocess
import sys

import pytest

from harness.config import CONFIGS_DIR, ConfigError, load_config, packaged_configs
from harness.data.benchmarks import data_problem, plan_benchmarks
from harness.runtime.io import DataError

from .conftest import ROOT, shared

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


@pytest.fixture
def no_data_dir(monkeypatch):
    """Offline, no local copy: the hub cannot answer and nothing fills the paths."""
    monkeypatch.delenv("HARDNEG_DATA_DIR", raising=False)
    for k, v in OFFLINE.items():
        monkeypatch.setenv(k, v)


def test_packaged_configs_resolve_by_name_and_as_files():
    names = packaged_configs()
    assert {"tiny", "tiny-planted", "tiny-study", "tiny-planted-study", "smollm2-cpu", "gpu-smoke",
            "qwen2.5-1.5b"} <= set(names)
    for name in names:  # every packaged config validates, by name and by its own path
        assert load_config(name).to_dict() == load_config(f"{name}.yaml").to_dict() == \
            load_config(CONFIGS_DIR / f"{name}.yaml").to_dict()
    assert load_config("tiny-planted").name == "tiny-planted"


def test_an_existing_file_wins_over_a_packaged_name(tmp_path, monkeypatch):
    (tmp_path / "tiny.yaml").write_text("name: mine\n")
    monkeypatch.chdir(tmp_path)
    assert load_config("tiny.yaml").name == "mine" and load_config("tiny").name == "tiny"


def test_an_unknown_config_lists_the_packaged_names_on_one_line():
    with pytest.raises(ConfigError) as e:
        load_config("tiny-plantd")
    msg = str(e.value)
    assert "\n" not in msg and "not found" in msg and "tiny-planted" in msg and "qwen2.5-1.5b" in msg
    with pytest.raises(ConfigError, match="not found"):
        load_config("some/dir/tiny.yaml")  # a path that does not exist is not looked up by name


def test_no_default_points_outside_the_repository(no_data_dir):
    cfg = load_config(None)
    assert cfg.eval.gsm8k_path is None and cfg.eval.math500_path is None and cfg.data.path is None
    for name in packaged_configs():
        assert "shared/data" not in (CONFIGS_DIR / f"{name}.yaml").read_text(), name
    r = subprocess.run(["grep", "-rln", "--include=*.py", "--include=*.yaml", "shared/data", "harness", "baselines",
                        "verifier"], cwd=ROOT, capture_output=True, text=True)
    assert r.stdout == "", f"a path outside the repository in {r.stdout}"


def test_data_dir_fills_the_unset_paths_as_written(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "gsm8k").mkdir(parents=True)
    (data / "gsm8k" / "test.jsonl").write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HARDNEG_DATA_DIR", "data")  # relative: recorded as written, never made absolute
    cfg = load_config("tiny")
    assert cfg.eval.gsm8k_path == os.path.join("data", "gsm8k")
    assert cfg.eval.math500_path is None  # not in the folder: the hub
    assert cfg.data.path is None  # synthetic training data reads no file
    assert load_config("tiny", ["data.source=gsm8k"]).data.path == os.path.join("data", "gsm8k")
    # an explicit setting wins; an explicit null keeps the hub
    assert load_config("tiny", ["eval.gsm8k_path=elsewhere"]).eval.gsm8k_path == "elsewhere"
    assert load_config("tiny", ["eval.gsm8k_path=null"]).eval.gsm8k_path is None


def test_plan_without_data_skips_optional_and_stops_on_required(no_data_dir):
    tiny = load_config("tiny")  # GSM8K and MATH-500 are optional there
    plan = plan_benchmarks(tiny)
    assert set(plan) == {"hardneg_gsm8k_cot", "hardneg_math500"}
    for task, line in plan.items():
        assert line.startswith(f"skipping {task}: ") and "\n" not in line
        assert "HARDNEG_DATA_DIR" in line
    assert "eval.gsm8k_path" in plan["hardneg_gsm8k_cot"] and "eval.math500_path" in plan["hardneg_math500"]
    required = load_config("tiny", ["eval.tasks=[hardneg_synth,hardneg_math500]"])
    with pytest.raises(DataError) as e:
        plan_benchmarks(required)
    assert isinstance(e.value, ConfigError) and "\n" not in str(e.value)
    assert "eval.math500_path" in str(e.value) and "eval.optional_tasks" in str(e.value)
    # a task that reads no external data is not in the plan
    assert plan_benchmarks(load_config("tiny-study")) == {}


def test_plan_names_a_missing_local_copy(no_data_dir, tmp_path):
    cfg = load_config("tiny", [f"eval.gsm8k_path={tmp_path}", f"eval.math500_path={tmp_path / 'none.jsonl'}"])
    plan = plan_benchmarks(cfg)
    assert "holds no test.jsonl" in plan["hardneg_gsm8k_cot"] and "not found" in plan["hardneg_math500"]
    # real training data: the near-miss slice is drawn from GSM8K test, so it needs GSM8K too
    real = load_config("tiny", ["data.source=gsm8k", f"eval.gsm8k_path={tmp_path}"])
    assert "GSM8K" in data_problem("hardneg_near_miss", real)
    with pytest.raises(DataError, match="hardneg_near_miss"):
        plan_benchmarks(real)


def test_plan_with_local_copies_loads_everything():
    gsm8k, math500 = shared("gsm8k"), shared("math", "math500_test.jsonl")
    cfg = load_config("tiny", [f"eval.gsm8k_path={gsm8k}", f"eval.math500_path={math500}",
                               "eval.tasks=[hardneg_synth,hardneg_gsm8k_cot,hardneg_math500]"])
    assert plan_benchmarks(cfg) == {"hardneg_gsm8k_cot": None, "hardneg_math500": None}


def test_required_benchmark_without_data_exits_2_before_any_stage(tmp_path):
    """The CLI, offline with no local copy: one line naming the setting, exit 2, no stage directory written."""
    run_dir = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k != "HARDNEG_DATA_DIR"}
    r = subprocess.run([sys.executable, "-m", "harness.cli", "compare", "--config", "tiny", "--recipes", "sft",
                        f"run_dir={run_dir}", "eval.tasks=[hardneg_synth,hardneg_gsm8k_cot]"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300,
                       env={**env, **OFFLINE, "COLUMNS": "200"})
    assert r.returncode == 2, r.stderr[-3000:]
    err = r.stderr.strip()
    assert err.count("\n") == 0 and "hardneg_gsm8k_cot" in err and "eval.gsm8k_path" in err, err
    assert not run_dir.exists() or not [p for p in run_dir.iterdir() if p.is_dir()]


def test_the_planted_study_is_the_demo_run_as_pipeline_draws():
    """tiny-planted-study.yaml copies tiny-planted.yaml's settings (the config format has no inheritance), so that
    `make demo` is one draw of `make study`: any drift between the two copies fails here."""
    demo, study = (load_config(n).to_dict() for n in ("tiny-planted", "tiny-planted-study"))
    for d in (demo, study):
        d.pop("name"), d.pop("run_dir")
    assert demo == study
