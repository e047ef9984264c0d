"""The package's layout is a contract: the dependency direction (pyproject's [tool.importlinter] contracts, checked
with import-linter), no import cycles, no reach-ins to another module's underscore names."""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("harness", "verifier")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache", "--no-logo"], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_dependency_contracts_hold():
    r = _lint(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


@pytest.mark.parametrize("module,line,contract", [
    ("harness/reporting/stats.py", "import torch", "reporting reads saved files only"),
    ("harness/reporting/markdown.py", "from harness.stages import pipeline", "reporting reads saved files only"),
    ("verifier/core.py", "from harness import config", "the verifier stands alone"),
    ("harness/stages/compare.py", "from harness.reporting import build", "stages reach reporting only through"),
    ("harness/runtime/dist.py", "from harness.training import sft", "layers"),
])
def test_a_wrong_import_breaks_a_contract(tmp_path, module, line, contract):
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # deliberately wrong\n")
    r = _lint(tmp_path)
    assert r.returncode != 0
    broken = r.stdout.split("Broken contracts")[-1]
    assert contract in broken and "deliberately" not in r.stderr, r.stdout


def test_no_import_cycles():
    graph = grimp.build_graph(*PACKAGES)
    cycles = []
    for a in sorted(graph.modules):
        for b in sorted(graph.find_modules_directly_imported_by(a)):
            if b != a and graph.chain_exists(importer=b, imported=a):
                cycles.append(" -> ".join(graph.find_shortest_chain(importer=b, imported=a) or [b, a]) + f" -> {b}")
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_module_imports_another_modules_private_names():
    bad = []
    for pkg in (*PACKAGES, "baselines", "benchmarks", "tests"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PACKAGES:
                    bad += [f"{path.relative_to(ROOT)}:{node.lineno} {node.module}.{a.name}" for a in node.names
                            if a.name.startswith("_") and not a.name.startswith("__")]
    assert not bad, "private names imported across modules:\n" + "\n".join(bad)
