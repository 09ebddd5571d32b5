"""`eventyard backup <dir>`: a consistent copy of a running server's data dir.

Copied in this order, each for a reason (docs/deploy.md says the same for operators):
1. `secret.key` first: without it the secrets in state.db can never be decrypted again.
   The admin-password and admin-token files come with it.
2. The SQLite databases through SQLite's online backup (a consistent snapshot of each,
   taken while the server writes): profiles.db before log.db, because the profiles
   consumer keeps its log offset in profiles.db and a copied offset must never be past the
   copied log's end (events appended after a restore would be skipped); state.db after
   log.db, because the router keeps its offset in the log and its queued jobs in state.db
   (a state newer than the log means events routed twice, which dedup drops, never lost).
3. The Parquet archive: its files are written once under their final name and only ever
   deleted after a merged file replaces them. A flush the copied log has not committed is
   left out (the restored server writes it again from the log: no duplicate rows).
4. The DuckDB warehouse, copied while attached read-only, so that no load is half written.
PostgreSQL databases and an archive in object storage are not in the data dir: the result
says to back them up with their own tools.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from eventyard.control.bootstrap import TOKEN_FILE
from eventyard.control.config import Config
from eventyard.control.secrets import KEY_ENV, KEY_FILE
from eventyard.errors import EventyardError
from eventyard.ops.databases import databases
from eventyard.storage.archive_files import parse_part
from eventyard.storage.query import connect_warehouse
from eventyard.storage.service import archive_root

__all__ = ["BackupError", "backup"]

CREDENTIALS = (KEY_FILE, "admin-password", TOKEN_FILE)
RUNTIME = frozenset({"lock", "storage.lock", "storage-status.json", "node", "dlt"})
"""Data dir entries a server makes again: locks, status, `eventyard setup`'s node/, dlt's
working folder. SQLite's -wal and -shm files are inside the online backups."""
ARCHIVE_CONSUMER = "archive"
"""The archiver's log consumer (storage.archive.Archiver's default, which serve uses)."""
SQLITE_TIMEOUT = 30.0
WAREHOUSE_WAIT = 60.0
MAX_ARCHIVE_PASSES = 5


class BackupError(EventyardError):
    """The backup cannot be made; the message says why and what to do."""


def _private(path: Path) -> None:
    path.chmod(0o700 if path.is_dir() else 0o600)


def _destination(data_dir: Path, target: Path, path: Path) -> Path | None:
    """Where `path` goes in the backup: its place relative to the data dir (None: outside)."""
    try:
        relative = path.resolve().relative_to(data_dir.resolve())
    except ValueError:
        return None
    destination = target / relative
    destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return destination


def _copy_sqlite(path: Path, destination: Path) -> None:
    with (
        closing(sqlite3.connect(path, timeout=SQLITE_TIMEOUT)) as source,
        closing(sqlite3.connect(destination)) as copy,
    ):
        source.backup(copy)
    _private(destination)


def _archived(log_copy: Path | None) -> dict[int, int] | None:
    """Per partition, the last log offset the archiver committed in the copied log (None: the
    log is not copied here, so every archive file is)."""
    if log_copy is None:
        return None
    with closing(sqlite3.connect(log_copy)) as con:
        rows = con.execute(
            "SELECT part, seq FROM consumer_offsets WHERE consumer = ?", (ARCHIVE_CONSUMER,)
        ).fetchall()
    return {int(part): int(seq) for part, seq in rows}


def _archive_files(root: Path, archived: dict[int, int] | None) -> Iterator[Path]:
    for folder, _, names in os.walk(root):
        for name in names:
            part = parse_part(name)
            if name.startswith("."):
                continue  # a file being written
            if part and archived is not None and part.last > archived.get(part.partition, 0):
                continue  # a flush the copied log does not count as done
            yield Path(folder) / name


def _copy_archive(root: Path, target: Path, archived: dict[int, int] | None) -> int:
    """Passes until one finds nothing new: a merged file made during a pass, whose inputs
    vanished before they were copied, is picked up by the next one."""
    copied: set[Path] = set()
    for _ in range(MAX_ARCHIVE_PASSES):
        fresh = [path for path in _archive_files(root, archived) if path not in copied]
        if not fresh:
            break
        for path in fresh:
            destination = target / path.relative_to(root)
            destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                shutil.copyfile(path, destination)
            except FileNotFoundError:
                continue  # merged away meanwhile
            _private(destination)
            copied.add(path)
    return len(copied)


def _copy_warehouse(path: Path, destination: Path) -> None:
    with closing(connect_warehouse(path, WAREHOUSE_WAIT)):
        shutil.copyfile(path, destination)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, destination.with_name(destination.name + ".wal"))
            _private(destination.with_name(destination.name + ".wal"))
    _private(destination)


def _start(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty folder: choose a new one")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    _private(target)


def _credentials(data_dir: Path, target: Path) -> list[str]:
    notes = []
    if os.environ.get(KEY_ENV):
        notes.append(
            f"the secret key comes from {KEY_ENV}: keep it with this backup (the stored "
            "secrets cannot be decrypted without it)"
        )
    for name in CREDENTIALS:
        if (data_dir / name).exists():
            shutil.copyfile(data_dir / name, target / name)
            _private(target / name)
            notes.append(f"copied {name}")
    return notes


def _storage(config: Config, data_dir: Path, target: Path, log_copy: Path | None) -> list[str]:
    notes = []
    root = archive_root(config, data_dir)
    if config.archive.enabled and "://" in root:
        notes.append(f"not copied: the archive at {root} (back up the bucket with its tools)")
    elif config.archive.enabled and Path(root).is_dir():
        destination = _destination(data_dir, target, Path(root))
        if destination is None:
            notes.append(f"not copied: the archive {root} is outside the data dir")
        else:
            archived = _archived(log_copy)
            notes.append(
                f"copied archive ({_copy_archive(Path(root), destination, archived)} files)"
            )
    for warehouse in config.warehouses:
        path = Path(warehouse.url) if warehouse.url else data_dir / "warehouse.duckdb"
        if warehouse.type != "duckdb" or not path.exists():
            continue
        destination = _destination(data_dir, target, path)
        if destination is None:
            notes.append(f"not copied: the warehouse {path} is outside the data dir")
        else:
            _copy_warehouse(path, destination)
            notes.append(f"copied {path.name} (warehouse {warehouse.name})")
    return notes


def backup(config: Config, data_dir: Path, target: Path) -> list[str]:
    """Copy the data dir into the new folder `target` (0700, files 0600); what was done and
    what the operator must still do, one line each."""
    if not data_dir.is_dir():
        raise BackupError(f"{data_dir} is not a data dir (no such folder)")
    _start(target)
    notes = _credentials(data_dir, target)
    log_copy = None
    for database in databases(config, data_dir):
        if database.path is None:
            notes.append(f"not copied: {database.name} is in PostgreSQL (use pg_dump)")
            continue
        if not database.path.exists():
            continue
        destination = _destination(data_dir, target, database.path)
        if destination is None:
            notes.append(f"not copied: {database.path} is outside the data dir")
            continue
        try:
            _copy_sqlite(database.path, destination)
        except sqlite3.Error as error:
            raise BackupError(f"cannot copy {database.path}: {error}") from None
        notes.append(f"copied {database.path.name} ({database.name}, SQLite online backup)")
        log_copy = destination if database.name == "log" else log_copy
    return notes + _storage(config, data_dir, target, log_copy) + _left_out(data_dir, target)


def _left_out(data_dir: Path, target: Path) -> list[str]:
    """Names nothing above knows: a newer eventyard's file, or something an operator put
    there. Said, so that nobody believes the backup holds them."""
    unknown = sorted(
        path.name
        for path in data_dir.iterdir()
        if path.name not in RUNTIME
        and not path.name.endswith(("-wal", "-shm", ".wal"))
        and not (target / path.name).exists()
    )
    return [
        f"not copied (unknown to backup; copy it yourself if it matters): {name}"
        for name in unknown
    ]
