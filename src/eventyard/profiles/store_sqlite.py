"""The embedded profile store: one SQLite file in WAL mode (`<data-dir>/profiles.db`).

The consumer owns the only writer connection (a lock keeps its batches, window expiry and
sync bookkeeping from interleaving); readers (the Profile API and the UI, in the server
process) open their own read-only connection per call and see the last committed batch.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from eventyard.profiles.schema import SCHEMA_VERSION, statements
from eventyard.profiles.sql import Sql
from eventyard.profiles.store import ProfilesNotReady, ProfileStore

__all__ = ["MMAP_BYTES", "SQLiteProfileStore"]

T = TypeVar("T")

MMAP_BYTES = 1 << 34
"""Map up to 16 GiB of the file: pages come from the OS cache without a read() each."""


class SQLiteProfileStore(ProfileStore):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        # Small pages: a batch touches rows all over large indexes (links by hash, identifiers),
        # and each touched page is written to the WAL whole at commit.
        conn.execute("PRAGMA page_size = 4096")
        conn.execute("PRAGMA journal_mode = WAL")
        # No fsync per commit: the log is the durable copy, and the consumer's offsets are
        # committed in the same transactions (consumer.py), so a power cut only rewinds both.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA cache_size = -131072")  # 128 MiB: hot identifiers stay in memory
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")  # reads without a syscall per page
        # Checkpoint less often: a page dirtied by many batches is copied back once.
        conn.execute("PRAGMA wal_autocheckpoint = 16384")
        conn.execute("BEGIN IMMEDIATE")
        for statement in statements("sqlite"):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT DO NOTHING",
            (str(SCHEMA_VERSION),),
        )
        conn.execute("COMMIT")
        self._conn = conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def write(self, fn: Callable[[Sql], T]) -> T:
        with self._lock:
            conn = self._conn
            if conn is None:
                raise RuntimeError("the profile store is not open")
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(Sql(conn))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    def read(self, fn: Callable[[Sql], T]) -> T:
        if not self.path.exists():
            raise ProfilesNotReady(str(self.path))
        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            conn.execute("BEGIN")
            return fn(Sql(conn))
        finally:
            conn.close()
