"""Warehouse loading with Segment's table layout (`<source>.tracks`, `<source>.<event>`, ...).

Hand-written rather than through dlt: see `target.py` for the backend seam and the storage
package docstring for the measurements behind that choice.
"""

from __future__ import annotations

from eventyard.storage.warehouse.duckdb_target import DuckDBTarget
from eventyard.storage.warehouse.load import CONFLICTS, LoadStats
from eventyard.storage.warehouse.loader import WarehouseLoader
from eventyard.storage.warehouse.naming import snake_case
from eventyard.storage.warehouse.postgres_target import PostgresTarget
from eventyard.storage.warehouse.target import Target

__all__ = [
    "CONFLICTS",
    "DuckDBTarget",
    "LoadStats",
    "PostgresTarget",
    "Target",
    "WarehouseLoader",
    "snake_case",
]
