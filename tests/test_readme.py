"""The configuration examples in the README and in docs/*.md are valid eventyard.yaml (docs
never drift)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eventyard.control.config import parse_config

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
WEB = "sources:\n  - name: web\n    write_key: wk_readme\n"
_BLOCK = re.compile(r"```yaml\n(.*?)```", flags=re.DOTALL)
_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _blocks() -> list[tuple[str, str]]:
    """(page, block) for every ```yaml block, in page order."""
    return [
        (page.relative_to(ROOT).as_posix(), block)
        for page in PAGES
        for block in _BLOCK.findall(page.read_text())
    ]


BLOCKS = _blocks()
IDS = [
    f"{where}#{[w for w, _ in BLOCKS[: i + 1]].count(where)}" for i, (where, _) in enumerate(BLOCKS)
]


def test_every_page_has_configuration_examples() -> None:
    pages = {where for where, _ in BLOCKS}
    assert pages >= {"README.md", "docs/control-plane.md", "docs/conversions.md"}


@pytest.mark.parametrize(("where", "block"), BLOCKS, ids=IDS)
def test_every_yaml_example_loads(where: str, block: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # `${NAME}` in an example stands for a credential the reader sets; give each a value.
    for name in _VARIABLE.findall(block):
        monkeypatch.setenv(name, f"example-{name.lower()}")
    text = block if re.search(r"^sources:", block, flags=re.MULTILINE) else WEB + block
    config = parse_config(text, where)
    assert config.sources
