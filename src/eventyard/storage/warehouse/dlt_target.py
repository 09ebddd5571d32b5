"""Every warehouse dlt reaches (BigQuery, Snowflake, Redshift, ClickHouse, ...) by configuration.

Our layer still decides what lands, exactly as on the SQL targets: `flatten.py` makes
Segment's rows and names, and column types follow Segment's rule (the first value's type
wins, later values are cast to it and the conflict recorded in `_eventyard_type_conflicts`,
see `types.py`). dlt receives only values that already fit, with every column's type given
as a hint, so it never infers a type nor makes a variant column (`price__v_text`, dlt's own
conflict rule). dlt costs ~0.25 s a load, which is why DuckDB and PostgreSQL keep their
hand-written targets.

- One dlt pipeline per (warehouse, source schema), because a dlt pipeline and its state are
  bound to one dataset; all live in `<data_dir>/dlt/<warehouse>`, never in the home
  directory. The dataset is `<dataset_prefix><schema>` (`web`).
- Column types are read from the pipeline's dlt schema, which `sync_destination()` restores
  from the destination on first use when the local directory is gone.
- Every table is written with `write_disposition="merge"` on `id`, so a batch loaded twice
  (a crash between the load and the log offset commit) replaces its rows, never adds them.
- `users`/`accounts`: the stored rows of the batch's ids are read back through dlt's SQL
  client and merged with `load.merge_latest` (the newest call wins per column).
- Names pass through unchanged (dlt's `direct` naming): they already are Segment's
  snake_case, and dlt's own snake_case would turn `coupon__x` into `coupon_x`.

This module imports dlt; import it only when a `type: dlt` warehouse is configured.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dlt
from dlt.common.data_types import TDataType
from dlt.common.destination import Destination
from dlt.common.destination.exceptions import SqlClientNotAvailable
from dlt.common.destination.reference import DestinationReference
from dlt.common.normalizers.typing import TNormalizersConfig
from dlt.common.schema import Schema
from dlt.common.schema.typing import TTableSchemaColumns
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.extract.resource import DltResource

from eventyard.storage.warehouse.flatten import Row
from eventyard.storage.warehouse.load import (
    CONFLICT_COLUMNS,
    CONFLICTS,
    LATEST,
    LoadStats,
    cast_rows,
    first_per_id,
    merge_latest,
    new_columns,
)
from eventyard.storage.warehouse.target import BatchTarget
from eventyard.storage.warehouse.types import SegType

__all__ = ["DLT_TYPES", "DltTarget", "check_destination", "destination_names", "missing_client"]

log = logging.getLogger(__name__)

DLT_TYPES: dict[SegType, TDataType] = {
    "integer": "bigint",
    "float": "double",
    "boolean": "bool",
    "varchar": "text",
    "timestamp": "timestamp",
}
_SEG_TYPES: dict[str, SegType] = {v: k for k, v in DLT_TYPES.items()}
_NAMING: TNormalizersConfig = {"names": "direct"}
_IDS_PER_QUERY = 1000


def destination_names() -> list[str]:
    """The destinations this dlt ships (`bigquery`, `snowflake`, ...), sorted."""
    return sorted({ref.rsplit(".", 1)[-1] for ref in DestinationReference.DESTINATIONS})


def check_destination(name: str) -> str | None:
    """None if dlt knows destination `name`, else why not (at config load, so that a typo is
    not a load failing every interval)."""
    try:
        DestinationReference.find(name)
    except Exception:
        names = destination_names()
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown dlt destination {name!r}; {hint}dlt knows {', '.join(names)}"
    return None


def missing_client(name: str) -> str | None:
    """None if the client library of destination `name` is installed, else the pip command
    (checked when the server builds the target: the config itself may be for another host)."""
    try:
        DestinationReference.find(name)().client_class  # noqa: B018 - imports the library
    except ImportError as error:
        return f'destination {name!r} needs its client library ({error}): pip install "dlt[{name}]"'
    return None


class DltTarget(BatchTarget):
    """`destination` is a dlt destination name; `credentials` go to it as given (a dict or a
    connection string); what is left out dlt reads from its environment variables
    (`DESTINATION__<NAME>__CREDENTIALS__<FIELD>`) or `.dlt/secrets.toml`."""

    def __init__(
        self,
        name: str,
        destination: str,
        *,
        pipelines_dir: str | Path,
        credentials: Any = None,
        dataset_prefix: str = "",
    ) -> None:
        # dlt sends usage telemetry unless told not to; a self-hosted CDP should not
        os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
        self.name = name
        self.destination = destination
        self.credentials = credentials
        self.dataset_prefix = dataset_prefix
        self.pipelines_dir = Path(pipelines_dir)
        self._pipelines: dict[str, dlt.Pipeline] = {}

    def load(self, schemas: Mapping[str, Sequence[tuple[str, Row]]]) -> dict[str, LoadStats]:
        """One dlt load per schema; each is idempotent by `id` (merge), so a crash between
        two of them is repaired by loading the whole batch again."""
        return {schema: self._load_schema(schema, rows) for schema, rows in schemas.items()}

    def pipeline(self, schema: str) -> dlt.Pipeline:
        """The dlt pipeline of one source schema (made, and synced, on first use)."""
        pipeline = self._pipelines.get(schema)
        if pipeline is None:
            self.pipelines_dir.mkdir(parents=True, exist_ok=True)
            destination = Destination.from_reference(self.destination, credentials=self.credentials)
            pipeline = dlt.pipeline(
                pipeline_name=schema,
                pipelines_dir=str(self.pipelines_dir),
                destination=destination,
                dataset_name=f"{self.dataset_prefix}{schema}",
            )
            pipeline.sync_destination()  # the column types, if the local directory was lost
            self._pipelines[schema] = pipeline
        return pipeline

    def _load_schema(self, schema: str, rows: Sequence[tuple[str, Row]]) -> LoadStats:
        pipeline = self.pipeline(schema)
        known = _known_columns(pipeline, schema)
        stats = LoadStats()
        tables: dict[str, list[Row]] = {}
        for table, row in rows:
            tables.setdefault(table, []).append(row)
        conflicts: list[list[Any]] = []
        resources: list[DltResource] = []
        for table, table_rows in tables.items():
            stats.rows[table] = len(table_rows)
            if table not in LATEST:
                table_rows = first_per_id(table_rows)
            columns = _columns(schema, table, known.get(table), table_rows, stats)
            typed = cast_rows(table, columns, table_rows, conflicts)
            if table in LATEST:
                names = list(columns)
                current = _stored(pipeline, table, names, known.get(table, {}), typed)
                items = merge_latest(names, current, typed)
            else:
                items = [dict(zip(columns, values, strict=True)) for values in typed]
            resources.append(_resource(table, columns, items))
        if conflicts:
            stats.conflicts = len(conflicts)
            columns = _columns(schema, CONFLICTS, known.get(CONFLICTS), [], stats)
            names = [c for c, _ in CONFLICT_COLUMNS]
            items = first_per_id([dict(zip(names, row, strict=True)) for row in conflicts])
            resources.append(_resource(CONFLICTS, columns, items))
        if resources:
            self._run(pipeline, schema, resources)
        return stats

    def _run(self, pipeline: dlt.Pipeline, schema: str, resources: list[DltResource]) -> None:
        # a new schema names columns as given; afterwards the pipeline's own is used
        dlt_schema = pipeline.schemas.get(schema)
        try:
            pipeline.run(resources, schema=dlt_schema or Schema(schema, _NAMING))
        except Exception:
            # the loader reads this batch from the log again; a half-done package left
            # behind would otherwise be retried first, and fail the same way, forever
            pipeline.drop_pending_packages()
            raise


def _known_columns(pipeline: dlt.Pipeline, schema: str) -> dict[str, dict[str, SegType]]:
    """table -> column -> type, from the dlt schema (dlt's own `_dlt_*` columns left out)."""
    if schema not in pipeline.schemas:
        return {}
    tables: dict[str, dict[str, SegType]] = {}
    for table in pipeline.schemas[schema].data_tables():
        columns: dict[str, SegType] = {}
        for name, column in table.get("columns", {}).items():
            data_type = column.get("data_type")
            if data_type is not None and not name.startswith("_dlt_"):
                columns[name] = _SEG_TYPES.get(data_type, "varchar")
        tables[str(table["name"])] = columns
    return tables


def _columns(
    schema: str, table: str, known: dict[str, SegType] | None, rows: list[Row], stats: LoadStats
) -> dict[str, SegType]:
    """Every column of `table` with its type: the known ones, then the new ones, `id` first."""
    columns = dict(known or {})
    new = new_columns(table, columns, rows)
    if known is not None:
        stats.added_columns.extend(f"{schema}.{table}.{column}" for column in new)
    columns.update(new)
    return {"id": columns.pop("id", "varchar"), **columns}  # id first: `merge_latest` wants it


def _resource(table: str, columns: Mapping[str, SegType], items: list[Row]) -> DltResource:
    """A merge-on-id resource whose every column is typed, so dlt infers nothing."""
    hints: TTableSchemaColumns = {
        column: {"name": column, "data_type": DLT_TYPES[kind], "nullable": column != "id"}
        for column, kind in columns.items()
    }
    rows = [{k: v for k, v in item.items() if v is not None} for item in items]
    return dlt.resource(
        rows,
        name=table,
        table_name=table,
        write_disposition="merge",
        primary_key="id",
        columns=hints,
        max_table_nesting=0,
    )


def _stored(
    pipeline: dlt.Pipeline,
    table: str,
    names: list[str],
    known: Mapping[str, SegType],
    typed: list[list[Any]],
) -> list[list[Any]]:
    """The stored rows of the batch's ids, in `names` order (None for columns not stored
    yet); [] where the destination has no SQL to read them with (rows then merge within
    the batch only)."""
    present = [name for name in names if name in known]
    if not present:
        return []
    ids = [values[0] for values in typed]
    out: list[list[Any]] = []
    try:
        with pipeline.sql_client() as client:
            select = ", ".join(client.escape_column_name(name) for name in present)
            source = client.make_qualified_table_name(table)
            key = client.escape_column_name("id")
            for start in range(0, len(ids), _IDS_PER_QUERY):
                chunk = ids[start : start + _IDS_PER_QUERY]
                marks = ", ".join(["%s"] * len(chunk))
                found = client.execute_sql(
                    f"SELECT {select} FROM {source} WHERE {key} IN ({marks})", *chunk
                )
                for row in found or []:
                    stored = dict(zip(present, row, strict=True))
                    out.append([stored.get(name) for name in names])
    except SqlClientNotAvailable:
        log.warning("warehouse: dlt destination has no SQL client; %s merges per batch", table)
        return []
    except DatabaseUndefinedRelation:
        return []
    return out
