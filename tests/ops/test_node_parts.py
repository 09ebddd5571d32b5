"""Node-based parts installed on demand: `eventyard setup` runs a real `npm ci` into the data
dir, and `node_parts` says which command to run whenever they are missing or stale."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eventyard.ops.node_parts import SHIPPED, NodePartsMissing, install, node_parts
from ops.command import eventyard

TINY = Path(__file__).parent / "node_tiny"
"""A lock file with one small package (ms 2.1.3, no dependencies of its own)."""


def test_npm_ci_of_a_lock_installs_packages_that_node_can_load(tmp_path: Path) -> None:
    with pytest.raises(NodePartsMissing, match=f"run `eventyard setup --data-dir {tmp_path}`"):
        node_parts(tmp_path, TINY)

    parts = install(tmp_path, TINY)

    assert parts.modules == tmp_path / "node" / "node_modules"
    assert node_parts(tmp_path, TINY) == parts
    loaded = subprocess.run(
        [parts.node, "-e", "console.log(require('ms')('2h'))"],
        cwd=parts.modules.parent,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert loaded.stdout.strip() == "7200000"
    assert (tmp_path / "node").stat().st_mode & 0o777 == 0o700


def test_parts_installed_from_another_lock_must_be_set_up_again(tmp_path: Path) -> None:
    install(tmp_path, TINY)
    with pytest.raises(NodePartsMissing, match="from another eventyard version: run `eventyard"):
        node_parts(tmp_path, SHIPPED)


def test_a_failing_npm_ci_is_reported_and_leaves_nothing_marked_installed(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "package.json").write_text('{"dependencies": {"ms": "2.1.3"}}')
    (broken / "package-lock.json").write_text('{"lockfileVersion": 3, "packages": {}}')
    data_dir = tmp_path / "data"
    with pytest.raises(NodePartsMissing, match=r"npm ci in .* failed"):
        install(data_dir, broken)
    with pytest.raises(NodePartsMissing, match="not installed"):
        node_parts(data_dir, broken)


def test_setup_installs_the_shipped_lock_and_says_what_it_installed(tmp_path: Path) -> None:
    result = eventyard("setup", "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "@segment/action-destinations@3.497.0, @segment/actions-core@3.170.0" in result.stdout
    assert node_parts(tmp_path).modules == tmp_path / "node" / "node_modules"
    catalog = json.loads((tmp_path / "node" / "actions-catalog.json").read_bytes())
    assert catalog["package"] == "3.497.0" and catalog["unloadable"] == {}


def test_without_node_setup_fails_naming_node_and_the_command(tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    env = os.environ | {"PATH": str(bare)}
    assert shutil.which("node", path=str(bare)) is None
    result = eventyard("setup", "--data-dir", str(tmp_path / "data"), env=env)
    assert result.returncode == 1
    assert "not on PATH (missing: node, npm): install Node.js 18+" in result.stderr
    assert f"eventyard setup --data-dir {tmp_path / 'data'}" in result.stderr
