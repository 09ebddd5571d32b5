"""The configuration examples in the README are valid eventyard.yaml (docs never drift)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eventyard.control.config import parse_config

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", README.read_text(), flags=re.DOTALL)
WEB = "sources:\n  - name: web\n    write_key: wk_readme\n"


def test_the_readme_has_configuration_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.strip().splitlines()[0][:40])
def test_every_yaml_example_loads(block: str) -> None:
    text = block if re.search(r"^sources:", block, flags=re.MULTILINE) else WEB + block
    config = parse_config(text, "README.md")
    assert config.sources
