"""The README and docs/*.md say what the code does (docs never drift): every configuration
example is valid eventyard.yaml, every link inside the repository leads to a file and a
heading that exist, and every REST API path is documented somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from control.api_world import World, api_world
from eventyard.control.api import api_endpoints
from eventyard.control.config import parse_config

__all__ = ["api_world"]

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
WEB = "sources:\n  - name: web\n    write_key: wk_readme\n"
_BLOCK = re.compile(r"```yaml\n(.*?)```", flags=re.DOTALL)
_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^\s*```")
_PARAMETER = re.compile(r"\{[^}/]*\}|<[^>/]*>")
"""A path parameter as code (`{name}`) or as docs often write it (`<messageId>`)."""


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _blocks() -> list[tuple[str, str]]:
    """(page, block) for every ```yaml block, in page order."""
    return [(_name(page), block) for page in PAGES for block in _BLOCK.findall(page.read_text())]


BLOCKS = _blocks()
IDS = [
    f"{where}#{[w for w, _ in BLOCKS[: i + 1]].count(where)}" for i, (where, _) in enumerate(BLOCKS)
]


def test_every_page_has_configuration_examples() -> None:
    pages = {where for where, _ in BLOCKS}
    assert pages >= {
        "README.md",
        "docs/control-plane.md",
        "docs/conversions.md",
        "docs/protocols.md",
    }


@pytest.mark.parametrize(("where", "block"), BLOCKS, ids=IDS)
def test_every_yaml_example_loads(
    where: str, block: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    if "type: actions/" in block:  # Segment's Actions types need their catalog
        request.getfixturevalue("actions_catalog")
    # `${NAME}` in an example stands for a credential the reader sets; give each a value.
    for name in _VARIABLE.findall(block):
        monkeypatch.setenv(name, f"example-{name.lower()}")
    text = block if re.search(r"^sources:", block, flags=re.MULTILINE) else WEB + block
    config = parse_config(text, where)
    assert config.sources


def _prose(page: Path) -> list[str]:
    """The page's lines outside code fences."""
    lines, fenced = [], False
    for line in page.read_text().splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def _anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the page's headings: lowercase, punctuation but `-` and `_`
    dropped, spaces as `-`."""
    found = set()
    for line in _prose(page):
        heading = re.match(r"#{1,6}\s+(.*)", line)
        if heading:
            text = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
            found.add(text.replace(" ", "-"))
    return found


def _target(where: str, target: str) -> Path:
    path = target.partition("#")[0]
    return ((ROOT / where).parent / path).resolve() if path else ROOT / where


def _links() -> list[tuple[str, str]]:
    """(page, target) of every link to a file of the repository (`../shared/` is beside it)."""
    return [
        (_name(page), target)
        for page in PAGES
        for line in _prose(page)
        for target in _LINK.findall(line)
        if not target.startswith(("http://", "https://", "mailto:"))
        and _target(_name(page), target).is_relative_to(ROOT)
    ]


@pytest.mark.parametrize(("where", "target"), _links())
def test_every_link_leads_to_a_page_and_heading(where: str, target: str) -> None:
    path, _, anchor = target.partition("#")
    page = _target(where, target)
    assert page.exists(), f"{where}: {target} names no file"
    if anchor:
        assert anchor in _anchors(page), f"{where}: {target} names no heading of {path or where}"


async def test_every_api_path_is_documented(api_world: World) -> None:
    text = _PARAMETER.sub("{}", "\n".join(page.read_text() for page in PAGES))
    missing = []
    for endpoint in api_endpoints(api_world.ctx):
        path = _PARAMETER.sub("{}", endpoint.path)
        if not re.search(re.escape(path) + r"(?![\w/{-])", text):
            missing.append(f"{endpoint.method} {endpoint.path}")
    assert not missing, f"not in README.md or docs/*.md: {missing}"
