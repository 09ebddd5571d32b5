"""Front-end files from npm packages (htmx, analytics.js): in the wheel, or npm's in a clone.

A wheel carries the served files in `eventyard/_vendor/` (copied there by the build, see
setup.py). A clone has none there: `make install` runs `npm ci --prefix vendor`, which fills
`vendor/node_modules`. A deployment that keeps them elsewhere points `EVENTYARD_VENDOR_DIR`
at its `node_modules` folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from eventyard.errors import ConfigError

__all__ = ["VendorMissing", "vendor_dir", "vendor_file"]

ENV_VAR = "EVENTYARD_VENDOR_DIR"


class VendorMissing(ConfigError):
    """A front-end file is not installed; the message says how to install it."""


PACKAGED = Path(__file__).resolve().parents[1] / "_vendor"
"""Where a wheel's build put the served files (absent in a clone)."""


def vendor_dir() -> Path:
    """`$EVENTYARD_VENDOR_DIR`, else the wheel's `_vendor`, else the clone's node_modules."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    if PACKAGED.is_dir():
        return PACKAGED
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
