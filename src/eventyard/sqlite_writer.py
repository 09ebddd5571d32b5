"""Shared by the embedded SQLite stores (event log, state): connections and group commit.

SQLite has one writer at a time and each commit costs an fsync, so both stores give all
writes to one thread that takes everything queued since its last commit and commits it once.
"""

from __future__ import annotations

import queue
import sqlite3
from pathlib import Path
from typing import TypeVar

__all__ = ["connect", "take_all"]

T = TypeVar("T")


def connect(path: Path) -> sqlite3.Connection:
    """Autocommit connection (transactions are explicit), WAL, fsync on every commit."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA page_size = 16384")  # chunks of events are tens of KB
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def take_all(source: queue.SimpleQueue[T | None]) -> tuple[list[T], bool]:
    """Block for one item, then take whatever else is queued; True once None (stop) is seen."""
    items: list[T] = []
    stopping = False
    item = source.get()
    while True:
        if item is None:
            stopping = True
        else:
            items.append(item)
        try:
            item = source.get_nowait()
        except queue.Empty:
            return items, stopping
