"""Field docs of the experiment config for `harness config [SECTION]`: every key with its type and allowed values
(read from the pydantic annotations of harness/config.py), its value and its attribute docstring (pydantic's field
description, which `use_attribute_docstrings=True` fills from the string under each field)."""
from __future__ import annotations

import dataclasses
import functools
import json
import typing
from typing import Annotated, Literal

from pydantic import TypeAdapter

from harness.config import ConfigError, ExperimentConfig


@functools.lru_cache(maxsize=None)
def _schema_docs() -> dict[str, dict[str, str]]:
    """{class name: {field: description}} from the config's JSON schema: how pydantic exposes the docs of a plain
    dataclass it validates as a section (VerifierConfig: the verifier package does not depend on pydantic)."""
    defs = TypeAdapter(ExperimentConfig).json_schema()["$defs"]
    return {name: {k: p["description"] for k, p in d.get("properties", {}).items() if "description" in p}
            for name, d in defs.items()}


def _field_docs(cls) -> dict[str, str]:
    """Field descriptions of cls, one line each: pydantic's FieldInfo of cls and its bases (an inherited field's
    FieldInfo carries no description; the nearest class that documents it wins)."""
    docs: dict[str, str] = {}
    for klass in cls.__mro__:
        for name, info in (vars(klass).get("__pydantic_fields__") or {}).items():
            if info.description and name not in docs:
                docs[name] = info.description
    if not hasattr(cls, "__pydantic_fields__"):
        docs = dict(_schema_docs().get(cls.__name__, {}))
    return {k: " ".join(v.split()) for k, v in docs.items()}


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
