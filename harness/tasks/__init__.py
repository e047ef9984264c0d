"""The lm-eval task registry: one `TaskSpec` per task YAML in this folder.

    from harness.tasks import TASKS_DIR, all_tasks, task, task_fingerprint
    task("hardneg_gsm8k_cot").data            # 'gsm8k': the data it needs
    [t.name for t in all_tasks().values() if t.benchmark]
    task_fingerprint(["hardneg_synth"])       # hash of what scores hardneg_synth

Tasks are discovered from the YAMLs (`task:` name, `max_gen_toks`, `metadata.version`, the loader named by
`custom_dataset`, the leading comment as the description). What a YAML cannot say (is it a real benchmark, its
short label in reports) is one line in `_LINES` below; a task without a line needs the data its loader is named for
(`utils.load_<data>`), is not a real benchmark and is labelled by its name without the `hardneg_` prefix.
Adding a task: harness/tasks/README.md.

Kept light on purpose (stdlib and PyYAML only, never utils.py): harness.config imports it to validate task names.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

TASKS_DIR = Path(__file__).resolve().parent
SCORING_CODE = ("utils.py",)
"""Files of this folder every task's scores depend on besides its YAMLs."""

# one line per task: name -> (data it needs, real benchmark?, short label in reports)
_LINES: dict[str, tuple[str, bool, str]] = {
    "hardneg_synth": ("synth", False, "synth"),
    "hardneg_near_miss": ("near_miss", False, "near-miss"),
    "hardneg_gsm8k_cot": ("gsm8k", True, "gsm8k"),
    "hardneg_math500": ("math500", True, "math500"),
}


@dataclass(frozen=True)
class TaskSpec:
    """One lm-eval task as the harness sees it."""
    name: str
    data: str
    """What it needs to load: 'synth' | 'near_miss' | 'gsm8k' | 'math500' | ... (the `utils.load_<data>` loader)."""
    benchmark: bool
    """A real benchmark (hub data or a local copy), as opposed to this project's synthetic splits."""
    label: str
    """Short name in reports and plots."""
    path: Path
    """Its YAML."""
    files: tuple[Path, ...]
    """Every file its scores depend on: its YAML, the YAMLs it includes, utils.py."""
    max_gen_toks: int | None
    """The task's own generation budget (`generation_kwargs.max_gen_toks`, includes resolved)."""
    until: tuple[str, ...]
    """The task's own stop texts (`generation_kwargs.until`): written for the default prompt template."""
    version: float | None
    description: str


class _TaskYaml(yaml.SafeLoader):
    """lm-eval's YAML: `!function utils.x` tags read as the text 'utils.x'."""


_TaskYaml.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


def _read(path: Path) -> tuple[dict, tuple[Path, ...]]:
    """A task YAML merged over the files it includes (as lm-eval merges them) and the paths read."""
    cfg = yaml.load(path.read_text(), Loader=_TaskYaml) or {}
    inc = cfg.pop("include", None)
    if not inc:
        return cfg, (path,)
    base, paths = _read(path.parent / inc)
    return {**base, **cfg}, (path, *paths)


def _description(path: Path) -> str:
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").rstrip())
    return " ".join(lines)


def _spec(path: Path) -> TaskSpec:
    cfg, paths = _read(path)
    name = cfg["task"]
    loader = str(cfg.get("custom_dataset", ""))
    derived = (loader.rsplit("load_", 1)[-1] if "load_" in loader else "", False, name.removeprefix("hardneg_"))
    data, benchmark, label = _LINES.get(name, derived)
    gen = cfg.get("generation_kwargs") or {}
    version = (cfg.get("metadata") or {}).get("version")
    return TaskSpec(name=name, data=data, benchmark=benchmark, label=label, path=path,
                    files=tuple(sorted({*paths, *(path.parent / f for f in SCORING_CODE)})),
                    max_gen_toks=gen.get("max_gen_toks"), until=tuple(gen.get("until") or ()), version=None if version is None else float(version),
                    description=_description(path))


@functools.lru_cache(maxsize=None)
def all_tasks(folder: Path = TASKS_DIR) -> dict[str, TaskSpec]:
    """Every task in `folder` (YAMLs that define a `task:`; `_*.yaml` are shared includes), by name: the
    registry lines' order first (the synthetic task leads), then the rest by name."""
    specs = [_spec(p) for p in sorted(Path(folder).glob("*.yaml")) if not p.name.startswith("_")]
    order = list(_LINES)
    specs.sort(key=lambda s: (order.index(s.name) if s.name in order else len(order), s.name))
    return {s.name: s for s in specs}


def task_names() -> tuple[str, ...]:
    return tuple(all_tasks())


def task(name: str, folder: Path = TASKS_DIR) -> TaskSpec:
    """The spec of one task; KeyError with one line listing the registered names."""
    try:
        return all_tasks(folder)[name]
    except KeyError:
        raise KeyError(f"unknown lm-eval task {name!r}; registered tasks: {', '.join(task_names())}") from None


def benchmarks() -> tuple[str, ...]:
    """The real benchmarks (their data comes from the hub or a local copy)."""
    return tuple(n for n, s in all_tasks().items() if s.benchmark)


def labels() -> dict[str, str]:
    """{task: short label} for reports."""
    return {n: s.label for n, s in all_tasks().items()}


def task_fingerprint(names, folder: Path = TASKS_DIR) -> str:
    """Hash of what scores `names`: their YAMLs, the YAMLs they include and utils.py (read now, not cached: an
    edit in a long-lived process shows). Another task's YAML is not part of it, so adding a task changes no key."""
    files = sorted({f for n in names for f in task(n, folder).files})
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]
