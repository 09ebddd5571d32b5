"""What a warehouse backend provides.

A SQL backend (`SqlTarget`) only provides one transaction, a place to stage rows, and its
type names: everything else (DDL, evolution, idempotent inserts, users/accounts) is plain
SQL in `load.py` that runs unchanged on every such backend, so a backend module stays ~60
lines. A `BatchTarget` is handed the flattened rows and loads them itself: `dlt_target.py`,
for every warehouse dlt reaches.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from eventyard.storage.warehouse.flatten import Row
from eventyard.storage.warehouse.types import SegType

if TYPE_CHECKING:
    from eventyard.storage.warehouse.load import LoadStats

__all__ = ["BatchTarget", "Session", "SqlTarget", "Target", "quote", "type_of"]

_TYPES: dict[str, SegType] = {
    "bigint": "integer",
    "integer": "integer",
    "int8": "integer",
    "double": "float",
    "double precision": "float",
    "float8": "float",
    "boolean": "boolean",
    "varchar": "varchar",
    "text": "varchar",
    "character varying": "varchar",
    "timestamp with time zone": "timestamp",
    "timestamptz": "timestamp",
}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def type_of(data_type: str) -> SegType:
    """A column's information_schema data_type as a Segment type (unknown -> varchar)."""
    return _TYPES.get(data_type.lower(), "varchar")


class Session(ABC):
    """One open transaction on a warehouse."""

    primary_key: bool = False
    """Whether tables get `PRIMARY KEY (id)` (an index that makes the anti-join cheap)."""

    @abstractmethod
    def execute(self, sql: str) -> None: ...

    @abstractmethod
    def fetchall(self, sql: str) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def type_name(self, kind: SegType) -> str: ...

    @abstractmethod
    def columns(self, schema: str) -> dict[str, dict[str, SegType]]:
        """table -> column -> type, for every table of `schema`."""

    @abstractmethod
    def stage(self, columns: Sequence[tuple[str, SegType]], rows: Sequence[Sequence[Any]]) -> str:
        """Make `rows` queryable in this transaction; returns the relation's (quoted) name."""


class Target(ABC):
    """A configured warehouse: a `SqlTarget` or a `BatchTarget`."""

    name: str


class SqlTarget(Target):
    """A SQL warehouse; `session()` yields a transaction that commits on success, in which
    the loader runs `load.py`."""

    @abstractmethod
    def session(self) -> AbstractContextManager[Session]: ...


class BatchTarget(Target):
    """A warehouse that is handed the whole flattened batch (dlt: `dlt_target.py`)."""

    @abstractmethod
    def load(self, schemas: Mapping[str, Sequence[tuple[str, Row]]]) -> dict[str, LoadStats]:
        """Load each source schema's (table, row) pairs; returns the stats per schema.

        Must be idempotent by `id`: the loader commits its log offsets only after this
        returns, so a crash in between loads the same rows again."""


def rows_by_schema(
    sql_rows: Iterator[tuple[str, str, str]],
) -> dict[str, dict[str, SegType]]:
    """(table, column, data_type) rows -> table -> column -> type."""
    tables: dict[str, dict[str, SegType]] = {}
    for table, column, data_type in sql_rows:
        tables.setdefault(table, {})[column] = type_of(data_type)
    return tables
