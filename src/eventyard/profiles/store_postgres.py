"""The profile store in PostgreSQL (`profiles.url: postgresql://user@host/db`), for graphs
that should live in the company's own database server.

Same tables and statements as the embedded store (`schema.py`, `sql.py`); the consumer holds
one connection for its batches, readers open their own per call, read-only. Several
consumers must not share one database: the schema is created under an advisory lock, but
batches of two consumers would interleave.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg

from eventyard.profiles.schema import SCHEMA_VERSION, statements
from eventyard.profiles.sql import Sql
from eventyard.profiles.store import ProfilesNotReady, ProfileStore

__all__ = ["PostgresProfileStore"]

T = TypeVar("T")
_LOCK = 0x70726F66  # "prof": serializes schema creation between processes


class PostgresProfileStore(ProfileStore):
    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()

    def open(self) -> None:
        conn = psycopg.connect(self.url)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            for statement in statements("postgres"):
                conn.execute(statement.encode())
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema', %s) ON CONFLICT DO NOTHING",
                (str(SCHEMA_VERSION),),
            )
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
            with conn.transaction():
                return fn(Sql(conn, qmark=False))

    def read(self, fn: Callable[[Sql], T]) -> T:
        with psycopg.connect(self.url) as conn:
            conn.read_only = True
            try:
                with conn.transaction():
                    return fn(Sql(conn, qmark=False))
            except psycopg.errors.UndefinedTable:
                raise ProfilesNotReady(self.url) from None
