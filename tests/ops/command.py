"""`eventyard ...` as an operator types it: a child process, its output and exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["eventyard"]


def eventyard(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eventyard", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
        env=env,
    )
