"""The event log interface and its backends (SQLite embedded, PostgreSQL to scale)."""

from __future__ import annotations

from pathlib import Path

from eventyard.errors import ConfigError
from eventyard.log.base import Entry, EventLog, LogRecord, Rejection, partition_for

__all__ = ["Entry", "EventLog", "LogRecord", "Rejection", "open_log", "partition_for"]


def open_log(url: str | None, data_dir: Path, partitions: int) -> EventLog:
    """The backend for a URL: `sqlite:///file.db`, `postgresql://...`; None = SQLite in data_dir.

    Backends import lazily so that the embedded default needs no PostgreSQL driver loaded.
    """
    if url is None:
        url = f"sqlite:///{data_dir / 'log.db'}"
    if url.startswith("sqlite:///"):
        from eventyard.log.sqlite import SQLiteLog

        return SQLiteLog(Path(url.removeprefix("sqlite:///")), partitions)
    if url.startswith(("postgresql://", "postgres://")):
        from eventyard.log.postgres import PostgresLog

        return PostgresLog(url, partitions)
    raise ConfigError(
        f"log.url {url!r} is not supported; use sqlite:///path/log.db or postgresql://..."
    )
