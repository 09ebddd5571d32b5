"""Profiles Sync: the identity graph and profile traits in the warehouse, like Segment's.

Raw tables (append-only, one row per change, schema `profiles.sync_schema`):
`id_graph_updates`, `external_id_mapping_updates`, `profile_traits_updates`; and views
over them that always show the current state: `profile_merges` (segment_id ->
canonical_segment_id), `user_identifiers` (each identifier and its canonical profile) and
`user_traits` (each trait of each canonical profile). Views instead of materialized tables:
they cost nothing per sync and can never be stale. Rows come from the store's change feed
(`feed.py`) and are loaded exactly once: the insert skips ids already in the table, and the
cursor moves only after the warehouse committed, so a crash in between loads nothing twice.

Every duckdb and postgres warehouse of `warehouses:` gets them (dlt warehouses do not).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from eventyard.control.storage_config import WarehouseConfig
from eventyard.profiles.sql import Sql
from eventyard.profiles.store import ProfileStore
from eventyard.storage.warehouse import DuckDBTarget, PostgresTarget, SqlTarget
from eventyard.storage.warehouse.target import Session, quote
from eventyard.storage.warehouse.types import SegType

__all__ = ["TABLES", "ProfilesSync", "sync_targets"]

_Columns = list[tuple[str, SegType]]
_COMMON: _Columns = [("id", "varchar"), ("seq", "integer")]
_EVENT: _Columns = [("timestamp", "timestamp"), ("uuid_ts", "timestamp")]
TABLES: dict[str, tuple[str, _Columns]] = {
    "id_graph": (
        "id_graph_updates",
        [
            *_COMMON,
            ("segment_id", "varchar"),
            ("canonical_segment_id", "varchar"),
            ("triggering_event_type", "varchar"),
            ("triggering_event_id", "varchar"),
            *_EVENT,
        ],
    ),
    "external_id": (
        "external_id_mapping_updates",
        [
            *_COMMON,
            ("segment_id", "varchar"),
            ("external_id_type", "varchar"),
            ("external_id_value", "varchar"),
            ("external_id_hash", "varchar"),
            ("triggering_event_id", "varchar"),
            ("triggering_event_type", "varchar"),
            ("triggering_event_name", "varchar"),
            ("triggering_event_source_name", "varchar"),
            *_EVENT,
        ],
    ),
    "trait": (
        "profile_traits_updates",
        [
            *_COMMON,
            ("segment_id", "varchar"),
            ("name", "varchar"),
            ("value", "varchar"),
            ("removed", "boolean"),
            ("triggering_event_id", "varchar"),
            *_EVENT,
        ],
    ),
}
"""feed kind -> (table, columns)."""

_VIEWS = """
CREATE OR REPLACE VIEW {s}.profile_merges AS
SELECT canonical_segment_id, segment_id, seq, "timestamp", uuid_ts FROM (
    SELECT u.*, ROW_NUMBER() OVER (PARTITION BY segment_id ORDER BY seq DESC) AS rn
    FROM {s}.id_graph_updates u) latest
WHERE rn = 1;
CREATE OR REPLACE VIEW {s}.user_identifiers AS
SELECT g.canonical_segment_id, m.external_id_type AS type, m.external_id_value AS value,
    m.seq, m."timestamp", m.uuid_ts
FROM (SELECT u.*, ROW_NUMBER() OVER (
        PARTITION BY external_id_type, external_id_value ORDER BY seq DESC) AS rn
    FROM {s}.external_id_mapping_updates u) m
JOIN {s}.profile_merges g ON g.segment_id = m.segment_id
WHERE m.rn = 1;
CREATE OR REPLACE VIEW {s}.user_traits AS
SELECT canonical_segment_id, name, value, seq, "timestamp", uuid_ts FROM (
    SELECT g.canonical_segment_id, t.name, t.value, t.removed, t.seq, t."timestamp", t.uuid_ts,
        ROW_NUMBER() OVER (PARTITION BY g.canonical_segment_id, t.name ORDER BY t.seq DESC) AS rn
    FROM {s}.profile_traits_updates t JOIN {s}.profile_merges g ON g.segment_id = t.segment_id
) latest
WHERE rn = 1 AND NOT removed
"""


def sync_targets(
    warehouses: Sequence[WarehouseConfig], data_dir: Path
) -> list[tuple[SqlTarget, float]]:
    """The SQL warehouses of the configuration with their load intervals (dlt ones are
    skipped)."""
    targets: list[tuple[SqlTarget, float]] = []
    for warehouse in warehouses:
        every = float(warehouse.interval)
        if warehouse.type == "postgres" and warehouse.url:
            targets.append((PostgresTarget(warehouse.url, name=warehouse.name), every))
        elif warehouse.type == "duckdb":
            path = Path(warehouse.url) if warehouse.url else data_dir / "warehouse.duckdb"
            targets.append((DuckDBTarget(path, name=warehouse.name), every))
    return targets


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(float(value), UTC)


def _row(seq: int, kind: str, data: dict[str, Any], loaded: datetime) -> list[Any]:
    data = {**data, "id": str(seq), "seq": seq, "uuid_ts": loaded}
    data["timestamp"] = _time(data.get("timestamp"))
    if kind == "external_id":
        value = str(data["external_id_value"]).encode("utf-8", "surrogatepass")
        data["external_id_hash"] = hashlib.sha256(value).hexdigest()
    return [data.get(column) for column, _ in TABLES[kind][1]]


class ProfilesSync:
    """Copies the feed to one warehouse; `sync_once` is one round (a worker thread)."""

    def __init__(
        self,
        store: ProfileStore,
        target: SqlTarget,
        schema: str,
        *,
        every: float = 30.0,
        batch: int = 50_000,
    ) -> None:
        self.store = store
        self.target = target
        self.schema = schema
        self.every = every
        self.batch = batch

    @property
    def cursor_name(self) -> str:
        return f"warehouse:{self.target.name}"

    def cursor(self) -> int:
        def read(sql: Sql) -> int:
            row = sql.one("SELECT seq FROM sync_cursors WHERE target = ?", (self.cursor_name,))
            return 0 if row is None else int(row[0])

        return self.store.read(read)

    def sync_once(self) -> int:
        """Load the next rows of the feed; returns how many (0: up to date)."""
        after = self.cursor()
        rows = self.store.read(
            lambda sql: sql.all(
                "SELECT id, kind, row FROM feed WHERE id > ? ORDER BY id LIMIT ?",
                (after, self.batch),
            )
        )
        if not rows:
            return 0
        loaded = datetime.now(UTC)
        tables: dict[str, list[list[Any]]] = {kind: [] for kind in TABLES}
        for seq, kind, text in rows:
            if kind in tables:
                tables[kind].append(_row(int(seq), kind, orjson.loads(text), loaded))
        with self.target.session() as session:
            self._ensure(session)
            for kind, values in tables.items():
                if values:
                    self._insert(session, *TABLES[kind], values)
        last = int(rows[-1][0])
        self.store.write(
            lambda sql: sql.run(
                "INSERT INTO sync_cursors (target, seq) VALUES (?, ?) "
                "ON CONFLICT (target) DO UPDATE SET seq = excluded.seq",
                (self.cursor_name, last),
            )
        )
        return len(rows)

    def _ensure(self, session: Session) -> None:
        schema = quote(self.schema)
        session.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table, columns in TABLES.values():
            spec = ", ".join(f"{quote(c)} {session.type_name(k)}" for c, k in columns)
            session.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{quote(table)} ({spec})")
        for statement in _VIEWS.format(s=schema).split(";"):
            session.execute(statement)

    def _insert(
        self, session: Session, table: str, columns: _Columns, values: list[list[Any]]
    ) -> None:
        staged = session.stage(columns, values)
        names = ", ".join(quote(c) for c, _ in columns)
        target = f"{quote(self.schema)}.{quote(table)}"
        session.execute(
            f"INSERT INTO {target} ({names}) SELECT {names} FROM {staged} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE t.id = s.id)"
        )
