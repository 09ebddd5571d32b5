"""One micro-batch into one warehouse transaction, in SQL that every backend runs.

Per source schema: create the schema and missing tables, add missing columns (a new
property is an ALTER TABLE ADD COLUMN typed by its first value), cast values to the
column types (conflicts recorded, see `types.py`), stage the rows, then

    INSERT INTO t (cols) SELECT cols FROM stage s
    WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.id = s.id)

so loading the same events twice never duplicates a row: a batch that was loaded but whose
log offset was not committed (kill -9 between the two) is simply skipped the second time.
`users` and `accounts` hold one row per id: existing rows are merged with the batch (newest
timestamp wins per column, older calls only fill columns still empty), deleted and inserted
again, which gives the same result however often and in whatever order calls arrive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eventyard.storage.warehouse.flatten import Row
from eventyard.storage.warehouse.target import Session, quote
from eventyard.storage.warehouse.types import MAX_VARCHAR, SegType, cast, infer, to_varchar

__all__ = [
    "CONFLICTS",
    "CONFLICT_COLUMNS",
    "LATEST",
    "LoadStats",
    "cast_rows",
    "first_per_id",
    "load_schema",
    "merge_latest",
    "new_columns",
]

CONFLICTS = "_eventyard_type_conflicts"
LATEST = frozenset({"users", "accounts"})
CONFLICT_COLUMNS: list[tuple[str, SegType]] = [
    ("id", "varchar"),
    ("message_id", "varchar"),
    ("table_name", "varchar"),
    ("column_name", "varchar"),
    ("column_type", "varchar"),
    ("value_type", "varchar"),
    ("value", "varchar"),
    ("resolution", "varchar"),
    ("uuid_ts", "timestamp"),
]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class LoadStats:
    rows: dict[str, int] = field(default_factory=dict)
    """table -> rows in the batch (before the idempotency check)."""
    added_columns: list[str] = field(default_factory=list)
    conflicts: int = 0


def load_schema(session: Session, schema: str, rows: Sequence[tuple[str, Row]]) -> LoadStats:
    """Load (table, row) pairs of one source into `schema`."""
    stats = LoadStats()
    session.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
    existing = session.columns(schema)
    tables: dict[str, list[Row]] = {}
    for table, row in rows:
        tables.setdefault(table, []).append(row)
    conflicts: list[list[Any]] = []
    for table, table_rows in tables.items():
        stats.rows[table] = len(table_rows)
        if table not in LATEST:
            table_rows = first_per_id(table_rows)
        columns = _evolve(session, schema, table, existing.get(table), table_rows, stats)
        typed = cast_rows(table, columns, table_rows, conflicts)
        target = f"{quote(schema)}.{quote(table)}"
        if table in LATEST:
            _merge_latest(session, target, columns, typed)
        else:
            _insert_new(session, target, columns, typed)
    if conflicts:
        stats.conflicts = len(conflicts)
        cols = _evolve(session, schema, CONFLICTS, existing.get(CONFLICTS), [], stats)
        conflict_rows = first_per_id([dict(zip(cols, row, strict=True)) for row in conflicts])
        _insert_new(
            session,
            f"{quote(schema)}.{quote(CONFLICTS)}",
            list(cols.items()),
            [[r[c] for c in cols] for r in conflict_rows],
        )
    return stats


def first_per_id(rows: list[Row]) -> list[Row]:
    """Segment deduplicates by messageId: a repeated id in one batch keeps its first row."""
    seen: dict[str, Row] = {}
    for row in rows:
        seen.setdefault(row["id"], row)
    return list(seen.values()) if len(seen) != len(rows) else rows


def new_columns(table: str, known: dict[str, SegType], rows: list[Row]) -> dict[str, SegType]:
    """The columns `rows` bring that `known` lacks, each typed by its first value (Segment)."""
    if table == CONFLICTS:
        return {c: k for c, k in CONFLICT_COLUMNS if c not in known}
    new: dict[str, SegType] = {}
    for row in rows:
        for column, value in row.items():
            if column not in known and column not in new:
                new[column] = "varchar" if column == "id" else infer(value)
    return new


def _evolve(
    session: Session,
    schema: str,
    table: str,
    known: dict[str, SegType] | None,
    rows: list[Row],
    stats: LoadStats,
) -> dict[str, SegType]:
    """Create the table or add its missing columns; returns every column with its type."""
    columns: dict[str, SegType] = dict(known or {})
    new = new_columns(table, columns, rows)
    target = f"{quote(schema)}.{quote(table)}"
    if known is None:
        key = " PRIMARY KEY" if session.primary_key else ""
        ordered = {"id": new.pop("id", "varchar"), **new}
        spec = ", ".join(
            f"{quote(c)} {session.type_name(k)}{key if c == 'id' else ''}"
            for c, k in ordered.items()
        )
        session.execute(f"CREATE TABLE IF NOT EXISTS {target} ({spec})")
        return ordered
    for column, kind in new.items():
        session.execute(
            f"ALTER TABLE {target} ADD COLUMN {quote(column)} {session.type_name(kind)}"
        )
        stats.added_columns.append(f"{schema}.{table}.{column}")
    columns.update(new)
    return columns


_PYTHON: dict[SegType, type] = {
    "integer": int,
    "float": float,
    "boolean": bool,
    "varchar": str,
    "timestamp": datetime,
}


def cast_rows(
    table: str, columns: dict[str, SegType], rows: list[Row], conflicts: list[list[Any]]
) -> list[list[Any]]:
    """Rows as lists in `columns` order, each value cast to its column's type (text cut to
    Segment's 512 characters)."""
    specs = [(column, kind, _PYTHON[kind]) for column, kind in columns.items()]
    out = []
    for row in rows:
        values: list[Any] = []
        for column, kind, python in specs:
            value = row.get(column)
            if value is None:
                pass
            elif value.__class__ is not python:  # the rare, slow path
                value = _fit(row, table, column, kind, value, conflicts)
            elif value.__class__ is str and len(value) > MAX_VARCHAR:
                value = value[:MAX_VARCHAR]
            values.append(value)
        out.append(values)
    return out


def _fit(
    row: Row, table: str, column: str, kind: SegType, value: Any, conflicts: list[list[Any]]
) -> Any:
    """A value whose Python type is not its column's: cast it, record a conflict if real."""
    value_kind = infer(value)
    if value_kind == kind:  # e.g. timestamp text for a timestamp column
        return cast(value, value_kind, kind)[0]
    fitted, ok = cast(value, value_kind, kind)
    if not (kind == "float" and value_kind == "integer") and not (
        kind == "varchar" and isinstance(value, str)
    ):
        _conflict(conflicts, row, table, column, kind, value_kind, ok)
    return fitted


def _conflict(
    conflicts: list[list[Any]],
    row: Row,
    table: str,
    column: str,
    kind: SegType,
    value_kind: SegType,
    ok: bool,
) -> None:
    message_id = row.get("id", "")
    original = row.get(column)
    conflicts.append(
        [
            f"{message_id}/{table}/{column}",
            message_id,
            table,
            column,
            kind,
            value_kind,
            to_varchar(original),
            "cast" if ok else "null",
            row.get("uuid_ts"),
        ]
    )


def _insert_new(
    session: Session, target: str, columns: list[tuple[str, SegType]] | dict[str, SegType],
    rows: list[list[Any]],
) -> None:  # fmt: skip
    pairs = list(columns.items()) if isinstance(columns, dict) else columns
    staged = session.stage(pairs, rows)
    names = ", ".join(quote(c) for c, _ in pairs)
    session.execute(
        f"INSERT INTO {target} ({names}) SELECT {names} FROM {staged} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE t.id = s.id)"
    )


def _merge_latest(
    session: Session, target: str, columns: dict[str, SegType], rows: list[list[Any]]
) -> None:
    names = list(columns)
    staged = session.stage([("id", "varchar")], [[r[0]] for r in rows])
    select = ", ".join(quote(c) for c in names)
    current = session.fetchall(
        f"SELECT {select} FROM {target} WHERE id IN (SELECT id FROM {staged})"
    )
    merged = merge_latest(names, current, rows)
    session.execute(f"DELETE FROM {target} WHERE id IN (SELECT id FROM {staged})")
    final = [[row.get(c) for c in names] for row in merged]
    staged_rows = session.stage(list(columns.items()), final)
    session.execute(f"INSERT INTO {target} ({select}) SELECT {select} FROM {staged_rows}")


def merge_latest(
    names: Sequence[str], current: Sequence[Sequence[Any]], rows: Sequence[Sequence[Any]]
) -> list[Row]:
    """One `users`/`accounts` row per id: the stored `current` rows merged with the batch's
    `rows` (both in `names` order, id first) by `_newer`."""
    merged: dict[str, Row] = {r[0]: dict(zip(names, r, strict=True)) for r in current}
    for values in rows:
        row = dict(zip(names, values, strict=True))
        have = merged.get(row["id"])
        merged[row["id"]] = row if have is None else _newer(have, row)
    return list(merged.values())


def _newer(have: Row, row: Row) -> Row:
    """The newer call's non-null values win; the older one only fills what is empty."""
    old, new = have, row
    if (row.get("timestamp") or _EPOCH) < (have.get("timestamp") or _EPOCH):
        old, new = row, have
    out = dict(old)
    out.update({k: v for k, v in new.items() if v is not None})
    return out
