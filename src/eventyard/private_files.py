"""Only the server's own user may read its data: every event, the password hashes and the
encryption key live in the data dir.

New files: `serve` sets the umask to 0o077 before it opens anything, so the logs, the state
databases, their WAL files, the archive and the warehouses are created 0600 in 0700
directories, by the server and by the child processes it starts (the log writer and the
storage worker inherit the umask). Files of an older install, created 0644 in a 0755
directory, are tightened once at start.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from eventyard.control.config import Config
from eventyard.storage.service import archive_root, warehouse_path

__all__ = ["PRIVATE_UMASK", "data_roots", "make_private"]

PRIVATE_UMASK = 0o077


def _tighten(path: Path) -> None:
    """Drop group and other permissions of `path`; symlinks are left alone (their target
    may be anything, e.g. a shared file the operator linked on purpose)."""
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode) or not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return
    path.chmod(stat.S_IMODE(mode) & 0o700)


def make_private(roots: Iterable[Path]) -> None:
    """Set the umask for this process and its children, and tighten each existing root
    (a directory with everything under it, or a single file)."""
    os.umask(PRIVATE_UMASK)
    for root in roots:
        if not root.exists():
            continue
        _tighten(root)
        if root.is_dir() and not root.is_symlink():
            for folder, dirs, files in os.walk(root):
                for name in (*dirs, *files):
                    _tighten(Path(folder, name))


def data_roots(config: Config, data_dir: Path) -> list[Path]:
    """The data dir, and the local archive and DuckDB warehouse when configured outside it."""
    roots = [data_dir]
    archive = archive_root(config, data_dir).removeprefix("file://")
    local = [] if "://" in archive else [Path(archive)]  # s3://..., gs://...: not ours to chmod
    for path in [*local, warehouse_path(config, data_dir)]:
        if not path.resolve().is_relative_to(data_dir.resolve()):
            roots.append(path)
    return roots
