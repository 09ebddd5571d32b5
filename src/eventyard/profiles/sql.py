"""`Sql`: one connection inside one transaction, written once for every backend.

The profile store's statements are plain SQL that SQLite and PostgreSQL both run (upserts
with ON CONFLICT, RETURNING); only placeholders differ (`?` vs `%s`), so statements are
written with `?` and translated once per statement text for a `%s` driver.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Protocol

__all__ = ["Connection", "Cursor", "Sql", "marks"]


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...

    def cursor(self) -> Any: ...


def marks(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` values."""
    return ", ".join("?" * count)


@lru_cache(maxsize=512)
def _percent(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class Sql:
    def __init__(self, conn: Connection, *, qmark: bool = True) -> None:
        self.conn = conn
        self.qmark = qmark

    def _text(self, sql: str) -> str:
        return sql if self.qmark else _percent(sql)

    def run(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        cursor: Cursor = self.conn.execute(self._text(sql), params)
        return cursor

    def one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.run(sql, params).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.run(sql, params).fetchall()

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if len(rows) == 1:
            self.run(sql, rows[0])
        elif rows:
            self.conn.cursor().executemany(self._text(sql), rows)
