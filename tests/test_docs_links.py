"""The README and the docs stay navigable: every relative link resolves to a file or folder of the checkout, and the
README stays short enough to read on a screen or three.

Checked: README.md, docs/*.md, benchmarks/README.md and reports/README.md. A link is `[text](target)` or
`![alt](target)` outside code; web links (`http:`, `https:`, `mailto:`) and pure anchors (`#section`) are skipped,
and `file#anchor` is checked for its file part only.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README_MAX_BYTES = 15 * 1024

_FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1", re.S | re.M)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def _doc_files() -> list[Path]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    files += [p for p in (ROOT / "benchmarks" / "README.md", ROOT / "reports" / "README.md") if p.is_file()]
    return files


def relative_links(text: str) -> list[str]:
    """The relative link targets of a markdown text, file part only, in order (code spans and blocks skipped)."""
    text = _INLINE_CODE.sub("", _FENCE.sub("", text))
    out = []
    for target in _LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue
        out.append(target.split("#", 1)[0])
    return out


def test_link_parser_reads_relative_links_only():
    text = ("see [a](docs/a.md#x), ![fig](img/f.png) and [web](https://x.org), [top](#top)\n"
            "`[not](in/code.md)`\n```\n[nor](in/block.md)\n```\n- item\n  ```\n  [nor](indented/block.md)\n  ```\n")
    assert relative_links(text) == ["docs/a.md", "img/f.png"]


def test_docs_exist():
    names = {p.relative_to(ROOT).as_posix() for p in _doc_files()}
    assert {"README.md", "docs/results.md", "docs/statistics.md", "docs/planted-world.md", "docs/gpu.md",
            "docs/pretrained-cpu.md", "benchmarks/README.md"} <= names


@pytest.mark.parametrize("doc", _doc_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(doc: Path):
    missing = [t for t in relative_links(doc.read_text(encoding="utf-8")) if not (doc.parent / t).exists()]
    assert not missing, f"{doc.relative_to(ROOT)}: links to missing files: {missing}"


def test_readme_fits_on_a_few_screens():
    size = (ROOT / "README.md").stat().st_size
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes; keep it <= {README_MAX_BYTES} (move detail to docs/)"
