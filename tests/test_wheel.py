"""The package as a user gets it: a built wheel holds every subpackage, the lm-eval tasks and the configs; installed
into a fresh virtual environment outside this checkout, `harness list` and a micro-sized `harness compare` on a
packaged config run from another directory, reading everything from the installed package (not the source tree).

The fresh environment takes its dependencies (torch, transformers, lm-eval, ...) from this checkout's .venv through
a plain path line in a .pth file: that path's own .pth files (the editable install's finder) are not processed, so
`import harness` can only find the installed wheel. ~20 s on 2 cores (a micro-sized compare): not marked slow."""
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

MICRO = ["data.n_train=240", "data.n_val=8", "data.n_test=24", "model.hidden_size=64", "model.layers=2",
         "model.heads=4", "model.kv_heads=2", "model.intermediate_size=128", "model.vocab_size=400",
         "sft.max_steps=30", "sft.batch_size=8", "sampling.n_problems=16", "sampling.k=4",
         "sampling.max_new_tokens=40", "sampling.batch_size=64", "dpo.max_steps=3", "dpo.batch_size=4",
         "eval.limit=4", "eval.max_gen_toks=32", "eval.batch_size=8", "device=cpu"]


def _run(cmd, cwd, env, timeout=600):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{cmd[:3]} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the sources (the build leaves nothing in the checkout)."""
    src = tmp_path_factory.mktemp("src")
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for d in ("harness", "baselines", "verifier"):
        shutil.copytree(ROOT / d, src / d, ignore=junk)
    for f in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / f, src / f)
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", out, src], src,
         os.environ)
    (whl,) = out.glob("hardneg-*.whl")
    return whl


def test_wheel_lists_every_subpackage_the_tasks_and_the_configs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for top in ("harness", "baselines", "verifier"):
        for init in (ROOT / top).rglob("__init__.py"):
            if "__pycache__" not in init.parts:
                assert init.relative_to(ROOT).as_posix() in names, f"{init.relative_to(ROOT)} missing from the wheel"
    for folder, patterns in (("harness/tasks", ("*.yaml", "*.py", "*.md")), ("harness/configs", ("*.yaml", "*.md")),
                             ("harness/configs/accelerate", ("*.yaml", "*.md"))):
        shipped = [p for pat in patterns for p in (ROOT / folder).glob(pat)]
        assert shipped, folder
        for p in shipped:
            assert p.relative_to(ROOT).as_posix() in names, f"{p.relative_to(ROOT)} missing from the wheel"
    assert "harness/tasks/utils.py" in names and "harness/configs/tiny-planted.yaml" in names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "reports/")) or "__pycache__" in n]


def test_installed_wheel_runs_outside_the_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path, os.environ)
    py = venv / "bin" / "python"
    site = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path,
                     os.environ).stdout.strip())
    (site / "hardneg_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # a plain path line, no finder
    _run([sys.executable, "-m", "pip", "--python", py, "install", "-q", "--no-deps", wheel], tmp_path, os.environ)

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HARDNEG_DATA_DIR", "VIRTUAL_ENV")}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", COLUMNS="200", OMP_NUM_THREADS="1")
    where = _run([py, "-c", "import harness, harness.stages.evaluate as e, harness.config as c, baselines, verifier; "
                  "print(harness.__file__, e.TASKS_DIR, c.CONFIGS_DIR, baselines.__file__, verifier.__file__)"],
                 work, env).stdout.split()
    for p in where:  # the installed package, not the checkout
        assert Path(p).resolve().is_relative_to(venv.resolve()), p
    assert (Path(where[1]) / "utils.py").is_file() and (Path(where[2]) / "tiny-planted.yaml").is_file()

    harness = venv / "bin" / "harness"
    listed = _run([harness, "list"], work, env).stdout
    assert "hardneg_synth" in listed and "sft" in listed and "dpo" in listed

    run_dir = work / "run"
    r = _run([harness, "compare", "--config", "tiny", "--recipes", "sft,dpo", f"run_dir={run_dir}", *MICRO], work, env)
    assert (run_dir / "results.json").is_file() and (run_dir / "report" / "report.md").is_file()
    # offline with no local copy: the tiny config's optional benchmarks are skipped with the line naming the setting
    assert "skipping hardneg_gsm8k_cot" in (r.stdout + r.stderr).replace("\n", "")
