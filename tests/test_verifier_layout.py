"""Layout rules of the verifier package: one-directional imports, no reaching into another module's internals."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "verifier"


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            yield node.module or "", [a.name for a in node.names], node.level
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, [], 0


def test_no_module_imports_another_modules_underscore_names():
    for path in PKG.glob("*.py"):
        for module, names, level in _imports(path):
            if level or module.startswith("verifier"):
                assert not [n for n in names if n.startswith("_") and n != "__future__"], (path.name, module, names)


def test_core_does_not_import_batch_and_nothing_imports_harness():
    for module, _, _ in _imports(PKG / "core.py"):
        assert module.rsplit(".", 1)[-1] != "batch"
    for path in PKG.glob("*.py"):
        assert not any(m.startswith("harness") for m, _, _ in _imports(path)), path.name


def test_no_module_is_too_long():
    for path in PKG.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path.name
