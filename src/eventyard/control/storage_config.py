"""The `archive:` and `warehouses:` sections of `eventyard.yaml`, and their checks.

Kept apart from `config.py` so that the storage keys read as one block. The checks raise
`StorageConfigProblem(path, message)`; `config.py` turns it into the usual
`eventyard.yaml:<line>: <key>: <message>` error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec

from eventyard.control.duration import Duration

__all__ = [
    "DLT_MISSING",
    "WAREHOUSE_TYPES",
    "ArchiveSettings",
    "StorageConfigProblem",
    "WarehouseConfig",
    "check_storage",
    "default_warehouses",
]

_ARCHIVE_SCHEMES = frozenset({"file", "s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"})
_BUCKETED = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"})
_POSTGRES_SCHEMES = frozenset({"postgresql", "postgres"})
_DATASET = re.compile(r"[A-Za-z0-9_]*")
_DIR_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
WAREHOUSE_TYPES = ("duckdb", "postgres", "dlt")
DLT_MISSING = 'a dlt warehouse needs the dlt package: pip install "eventyard[dlt]"'


class ArchiveSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    enabled: bool = True
    """On by default: a complete copy of every event is what replay and queries read."""
    url: str | None = None
    """A local path or fsspec URL (`s3://bucket/prefix`); default `<data-dir>/archive`."""
    flush_every: Duration = Duration(60)
    max_rows: Annotated[int, msgspec.Meta(ge=1)] = 100_000
    compact_after: Duration = Duration(7200)
    """An hour is merged into one file once it ended this long ago."""
    storage_options: dict[str, Any] = {}
    """Passed to fsspec (for S3: endpoint_url, key, secret, ...)."""


class WarehouseConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    type: str
    """duckdb | postgres | dlt"""
    url: str | None = None
    """duckdb: a file path (default `<data-dir>/warehouse.duckdb`); postgres: postgresql://..."""
    interval: Duration = Duration(30)
    sources: list[str] | None = None
    """Only these sources; default all."""
    destination: str | None = None
    """dlt: the dlt destination (bigquery, snowflake, redshift, clickhouse, ...)."""
    credentials: dict[str, Any] | str | None = None
    """dlt: passed to the destination as is; what is left out dlt reads from its env vars."""
    dataset_prefix: str = ""
    """dlt: the dataset of source `web` is `<dataset_prefix>web`."""


def default_warehouses() -> list[WarehouseConfig]:
    """One embedded DuckDB, so that `SELECT * FROM web.tracks` works out of the box."""
    return [WarehouseConfig(name="duckdb", type="duckdb")]


class StorageConfigProblem(Exception):
    """`path` is a msgspec-style key path (`$.warehouses[0].url`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _check_archive(archive: ArchiveSettings) -> None:
    if archive.flush_every <= 0:
        raise StorageConfigProblem("$.archive.flush_every", "must be more than 0s")
    url = archive.url
    if url is None or "://" not in url:
        if url is not None and not url.strip():
            raise StorageConfigProblem("$.archive.url", "must not be empty; leave it out instead")
        return
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _ARCHIVE_SCHEMES:
        known = ", ".join(sorted(_ARCHIVE_SCHEMES))
        raise StorageConfigProblem(
            "$.archive.url", f"unsupported scheme {scheme!r}; use a local path or one of {known}"
        )
    if scheme in _BUCKETED and not parts.netloc:
        raise StorageConfigProblem(
            "$.archive.url", f"{url!r} names no bucket; write {scheme}://<bucket>/<prefix>"
        )


def _check_warehouse(at: str, warehouse: WarehouseConfig, sources: Sequence[str]) -> None:
    if not warehouse.name:
        raise StorageConfigProblem(f"{at}.name", "must not be empty")
    if warehouse.interval <= 0:
        raise StorageConfigProblem(f"{at}.interval", "must be more than 0s")
    if warehouse.type not in WAREHOUSE_TYPES:
        raise StorageConfigProblem(
            f"{at}.type",
            f"unknown warehouse type {warehouse.type!r}; use one of {', '.join(WAREHOUSE_TYPES)}",
        )
    if warehouse.type == "dlt":
        _check_dlt(at, warehouse)
    else:
        _check_sql(at, warehouse)
    for j, source in enumerate(warehouse.sources or []):
        if source not in sources:
            known = ", ".join(sources) or "none"
            raise StorageConfigProblem(
                f"{at}.sources[{j}]", f"no source named {source!r}; known sources: {known}"
            )


def _check_sql(at: str, warehouse: WarehouseConfig) -> None:
    for key in ("destination", "credentials"):
        if getattr(warehouse, key) is not None:
            raise StorageConfigProblem(f"{at}.{key}", "only a `type: dlt` warehouse takes it")
    if warehouse.dataset_prefix:
        raise StorageConfigProblem(f"{at}.dataset_prefix", "only a `type: dlt` warehouse takes it")
    url = warehouse.url
    if warehouse.type == "postgres":
        if not url or urlsplit(url).scheme.lower() not in _POSTGRES_SCHEMES:
            raise StorageConfigProblem(
                f"{at}.url", "a postgres warehouse needs url: postgresql://user@host/db"
            )
    elif url is not None and ("://" in url or not url.strip()):
        raise StorageConfigProblem(
            f"{at}.url", f"a duckdb warehouse's url is a file path, got {url!r}"
        )


def _check_dlt(at: str, warehouse: WarehouseConfig) -> None:
    """dlt is imported here, and only here at config load, when a dlt warehouse is set."""
    if not warehouse.destination:
        raise StorageConfigProblem(
            f"{at}.destination", "a dlt warehouse needs destination: (bigquery, snowflake, ...)"
        )
    if _DIR_NAME.fullmatch(warehouse.name) is None:  # it names <data-dir>/dlt/<name>
        raise StorageConfigProblem(f"{at}.name", "letters, digits, _ . - only, for a dlt warehouse")
    if warehouse.url is not None:
        raise StorageConfigProblem(f"{at}.url", "a dlt warehouse takes credentials: instead")
    try:
        from eventyard.storage.warehouse.dlt_target import check_destination
    except ModuleNotFoundError as error:
        if error.name != "dlt":
            raise
        raise StorageConfigProblem(f"{at}.type", DLT_MISSING) from None
    problem = check_destination(warehouse.destination)
    if problem is not None:
        raise StorageConfigProblem(f"{at}.destination", problem)
    if _DATASET.fullmatch(warehouse.dataset_prefix) is None:
        raise StorageConfigProblem(f"{at}.dataset_prefix", "letters, digits and _ only, e.g. prod_")


def check_storage(
    archive: ArchiveSettings, warehouses: Sequence[WarehouseConfig], sources: Sequence[str]
) -> None:
    """Raise StorageConfigProblem for the first bad storage key."""
    _check_archive(archive)
    names: list[str] = []
    for i, warehouse in enumerate(warehouses):
        _check_warehouse(f"$.warehouses[{i}]", warehouse, sources)
        if warehouse.name in names:
            raise StorageConfigProblem(
                f"$.warehouses[{i}].name", f"duplicate warehouse {warehouse.name!r}"
            )
        names.append(warehouse.name)
