"""Compaction: merge the small files of a closed hour into one.

Order of operations: read every visible file of the hour, write one merged file (atomic, see
`Store.write_atomic`) whose footer records the offset range it covers per partition, then
delete the inputs. Readers use `visible_files`, which hides whatever a merged file covers,
so at every instant - before the merged file exists, while both exist, after the deletes,
and after a crash anywhere in between - each row is read exactly once. Running compaction
again on a half-finished hour finishes it (same coverage, same merged name).

Only compact a closed hour: one that no archiver flush can still add to. The archiver writes
a flush's files before committing, and a later flush of a partition always covers higher
offsets, so a file that appears after compaction has a range outside the merged coverage
and stays visible; `min_age` keeps the current and the previous hour out of reach anyway.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from eventyard.storage.archive import parquet_bytes
from eventyard.storage.archive_files import (
    COVERS_KEY,
    encode_coverage,
    merged_name,
    visible_files,
)
from eventyard.storage.errors import StorageError
from eventyard.storage.fs import Store, open_store

__all__ = ["CompactResult", "compact", "read_files"]


class CompactResult(dict[str, Any]):
    """{"merged": name or None, "inputs": n files merged, "deleted": n files removed, "rows": n}"""


def read_files(store: Store, directory: str, names: list[str]) -> pa.Table | None:
    """The rows of some archive files in one table (the archive's schema), or None."""
    tables = []
    for name in names:
        with store.fs.open(store.path(f"{directory}/{name}"), "rb") as f:
            tables.append(pq.read_table(f).replace_schema_metadata(None))
    if not tables:
        return None
    return pa.concat_tables(tables)


def compact(
    root: str,
    source: str,
    day: date | str,
    hour: int,
    *,
    min_age: float = 7200.0,
    now: float | None = None,
    storage_options: dict[str, Any] | None = None,
) -> CompactResult:
    """Merge the files of `source` for one hour (UTC) of receivedAt into one file."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    end = (start + timedelta(hours=1)).timestamp()
    if (now if now is not None else time.time()) - end < min_age:
        raise StorageError(
            f"hour {start:%Y-%m-%d %H}:00 of source {source!r} is not closed yet; "
            f"compact hours that ended more than {min_age:.0f}s ago"
        )
    store = open_store(root, **(storage_options or {}))
    directory = f"source={source}/date={day:%Y-%m-%d}/hour={hour:02d}"
    visible, hidden, coverage = visible_files(store, directory)
    result = CompactResult(merged=None, inputs=len(visible), deleted=0, rows=0)
    if len(visible) == 1 and visible[0].startswith("merged-"):
        result["merged"] = visible[0]
    elif visible:
        table = read_files(store, directory, visible)
        assert table is not None
        order = pc.sort_indices(
            table, sort_keys=[("partition", "ascending"), ("offset", "ascending")]
        )
        table = table.take(order)
        name = merged_name(coverage)
        data = parquet_bytes(table, {COVERS_KEY: encode_coverage(coverage)})
        store.write_atomic(f"{directory}/{name}", data)
        result["merged"] = name
        result["rows"] = table.num_rows
        hidden = sorted(set(hidden) | (set(visible) - {name}))
    for name in hidden:
        store.delete(f"{directory}/{name}")
        result["deleted"] += 1
    return result
