"""One seam to the file systems the archive lives on: a local directory or any fsspec URL.

`write_atomic` is the only way archive files are written. On a local disk it writes a
temporary name, fsyncs the file, renames it into place and fsyncs the directory, so a file
that exists under its final name is complete and durable. Object stores (S3 and friends)
have no rename, but a PUT is atomic: the object appears whole or not at all, so there we
write the final name directly. Either way the caller commits its log offset only after
`write_atomic` returns.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import fsspec  # type: ignore[import-untyped]
from fsspec.implementations.local import LocalFileSystem  # type: ignore[import-untyped]

__all__ = ["Store", "open_store"]


class Store:
    """A root directory on some file system; paths given to it are relative to the root."""

    def __init__(self, fs: Any, root: str) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self.local = isinstance(fs, LocalFileSystem)

    def path(self, relative: str) -> str:
        return f"{self.root}/{relative}" if relative else self.root

    def url(self, relative: str = "") -> str:
        """The full path/URL of a relative path (what DuckDB or pyarrow is given)."""
        full = self.path(relative)
        if self.local:
            return full
        protocol = self.fs.protocol
        scheme = protocol[0] if isinstance(protocol, (tuple, list)) else protocol
        return f"{scheme}://{full}"

    def write_atomic(self, relative: str, data: bytes) -> None:
        """Make `relative` hold exactly `data`, durably, never visible half-written."""
        target = self.path(relative)
        if not self.local:
            self.fs.pipe_file(target, data)
            return
        final = Path(target)
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.parent / f".{final.name}.{uuid.uuid4().hex}.tmp"
        with open(temp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        temp.replace(final)
        _fsync_dir(final.parent)

    def read(self, relative: str) -> bytes:
        data: bytes = self.fs.cat_file(self.path(relative))
        return data

    def exists(self, relative: str) -> bool:
        return bool(self.fs.exists(self.path(relative)))

    def delete(self, relative: str) -> None:
        self.fs.rm_file(self.path(relative))

    def names(self, relative: str) -> list[str]:
        """Names (not paths) of the files directly under `relative`; [] if it is missing."""
        try:
            entries = self.fs.ls(self.path(relative), detail=False, refresh=True)
        except FileNotFoundError:
            return []
        return sorted(str(e).rstrip("/").rsplit("/", 1)[-1] for e in entries)

    def list_dirs(self, relative: str) -> list[str]:
        """Names of the subdirectories directly under `relative`; [] if it is missing."""
        try:
            entries = self.fs.ls(self.path(relative), detail=True, refresh=True)
        except FileNotFoundError:
            return []
        return sorted(
            str(e["name"]).rstrip("/").rsplit("/", 1)[-1]
            for e in entries
            if e.get("type") == "directory"
        )


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX needs the directory fsynced)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_store(root: str, **options: Any) -> Store:
    """`root` is a local path or an fsspec URL (`s3://bucket/prefix`); options go to fsspec
    (for S3: `endpoint_url`, `key`, `secret`, ...)."""
    fs, path = fsspec.core.url_to_fs(root, **options)
    if isinstance(fs, LocalFileSystem):
        path = str(Path(path).resolve())
    return Store(fs, path)
