"""Storage beside the event path: the raw Parquet archive, warehouse loading with Segment's
table layout, and read-only SQL over both.

Each part is a log consumer with its own consumer name, writes before it commits its
offset, and is idempotent when a batch is redone, so a crash anywhere loses nothing and
duplicates nothing (the module docstrings say how, step by step).
"""

from __future__ import annotations

from eventyard.storage.archive import Archiver
from eventyard.storage.archive_read import read_archive
from eventyard.storage.compact import compact
from eventyard.storage.errors import QueryRefused, StorageError
from eventyard.storage.query import run_query
from eventyard.storage.warehouse import DuckDBTarget, PostgresTarget, WarehouseLoader

__all__ = [
    "Archiver",
    "DuckDBTarget",
    "PostgresTarget",
    "QueryRefused",
    "StorageError",
    "WarehouseLoader",
    "compact",
    "read_archive",
    "run_query",
]
