"""Field docs of the experiment config for `harness config [SECTION]`: every key with its type and allowed values
(read from the pydantic annotations of harness/config.py), its value and its attribute docstring."""
from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import textwrap
import typing
from typing import Annotated, Literal

from harness.config import ConfigError, ExperimentConfig


def _field_docs(cls) -> dict[str, str]:
    """Attribute docstrings (the string right under a field) of cls and its bases; the nearest class wins."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for a, b in zip(body, body[1:]):
            if (isinstance(a, ast.AnnAssign) and isinstance(a.target, ast.Name) and isinstance(b, ast.Expr)
                    and isinstance(b.value, ast.Constant) and isinstance(b.value.value, str)):
                docs[a.target.id] = " ".join(b.value.value.split())
    return docs


def _type_text(tp) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Annotated:
        inner, bounds = _type_text(args[0]), []
        for meta in args[1:]:
            for m in getattr(meta, "metadata", [meta]):
                for attr, op in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="), ("min_length", "len >=")):
                    if getattr(m, attr, None) is not None:
                        bounds.append(f"{op} {getattr(m, attr)}")
        return f"{inner} ({', '.join(bounds)})" if bounds else inner
    if origin is Literal:
        return " | ".join(map(str, args))
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " or ".join("null" if a is type(None) else _type_text(a) for a in args)
    if origin in (list, dict, tuple):
        return f"{origin.__name__}[{', '.join(_type_text(a) for a in args)}]" if args else origin.__name__
    return getattr(tp, "__name__", str(tp))


def describe(section: str | None = None, cfg: "ExperimentConfig | None" = None) -> list[tuple[str, str, str, str]]:
    """(key, type and allowed values, value, doc) for every config field (or one section's): cfg's values, else
    the defaults."""
    rows = []
    default = cfg or ExperimentConfig()

    def walk(cls, obj, prefix):
        hints, docs = typing.get_type_hints(cls, include_extras=True), _field_docs(cls)
        for f in dataclasses.fields(cls):
            key, value = f"{prefix}{f.name}", getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                walk(type(value), value, key + ".")
                continue
            rows.append((key, _type_text(hints[f.name]), json.dumps(value, default=str), docs.get(f.name, "")))
    walk(ExperimentConfig, default, "")
    if section:
        names = {k.split(".")[0] for k, *_ in rows}
        if section not in names:
            raise ConfigError(f"config section '{section}' does not exist; sections and keys: {', '.join(sorted(names))}")
        rows = [r for r in rows if r[0] == section or r[0].startswith(section + ".")]
    return rows
