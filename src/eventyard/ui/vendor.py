"""Front-end files from npm packages (htmx, analytics.js), installed at make time, not committed.

`make install` runs `npm ci --prefix vendor`, which fills `vendor/node_modules`. A deployment
that keeps them elsewhere points `EVENTYARD_VENDOR_DIR` at its `node_modules` folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from eventyard.errors import ConfigError

__all__ = ["VendorMissing", "vendor_dir", "vendor_file"]

ENV_VAR = "EVENTYARD_VENDOR_DIR"


class VendorMissing(ConfigError):
    """A front-end file is not installed; the message says how to install it."""


def vendor_dir() -> Path:
    """`$EVENTYARD_VENDOR_DIR`, else `<repo root>/vendor/node_modules` beside this source tree."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "vendor" / "node_modules"


def vendor_file(relative: str) -> Path:
    """The installed file `relative` (e.g. "htmx.org/dist/htmx.min.js"), or VendorMissing.

    `relative` comes from our own code, but a path that leaves the vendor folder is refused
    anyway, so that no caller can ever turn it into a file-serving hole.
    """
    root = vendor_dir().resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise VendorMissing(f"{relative!r} is outside the vendor folder {root}")
    if not path.is_file():
        raise VendorMissing(
            f"{relative} is not installed under {root}: run `make install` (it runs "
            f"`npm ci --prefix vendor`), or set {ENV_VAR} to a node_modules folder that has it"
        )
    return path
