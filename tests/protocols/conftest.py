"""A TypeScript compiler for the typegen tests.

`vendor/node_modules/.bin/tsc` when `make` installed it (typescript is a devDependency of
vendor/package.json), else typescript installed once per test session from the npm
registry into a temporary folder. Never skipped: a missing compiler fails with what to do.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["tsc"]

TYPESCRIPT = "typescript@7.0.2"
VENDOR_TSC = Path(__file__).resolve().parents[2] / "vendor" / "node_modules" / ".bin" / "tsc"


@pytest.fixture(scope="session")
def tsc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if VENDOR_TSC.exists():
        return VENDOR_TSC
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("the TypeScript typegen test needs npm (apt-get install nodejs npm)")
    folder = tmp_path_factory.mktemp("typescript")
    command = [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", TYPESCRIPT]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    compiler = folder / "node_modules" / ".bin" / "tsc"
    if done.returncode != 0 or not compiler.exists():
        pytest.fail(f"could not install {TYPESCRIPT} with npm:\n{done.stdout}\n{done.stderr}")
    return compiler
