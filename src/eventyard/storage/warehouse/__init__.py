"""Warehouse loading with Segment's table layout (`<source>.tracks`, `<source>.<event>`, ...).

DuckDB and PostgreSQL are hand-written SQL targets (see `target.py` for the backend seam and
the storage package docstring for the measurements behind that choice); every other warehouse
goes through dlt (`dlt_target.py`, imported only when configured, so dlt stays optional).
"""

from __future__ import annotations

from eventyard.storage.warehouse.duckdb_target import DuckDBTarget
from eventyard.storage.warehouse.load import CONFLICTS, LoadStats
from eventyard.storage.warehouse.loader import WarehouseLoader
from eventyard.storage.warehouse.naming import snake_case
from eventyard.storage.warehouse.postgres_target import PostgresTarget
from eventyard.storage.warehouse.target import BatchTarget, SqlTarget, Target

__all__ = [
    "CONFLICTS",
    "BatchTarget",
    "DuckDBTarget",
    "LoadStats",
    "PostgresTarget",
    "SqlTarget",
    "Target",
    "WarehouseLoader",
    "snake_case",
]
