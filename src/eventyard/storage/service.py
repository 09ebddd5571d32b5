"""Storage for `eventyard serve`: the archiver, one loader per warehouse, and compaction.

`serve` runs this in its own child process (`eventyard.storage.worker`), not in the server:
on a 2-core machine its per-event Python work, even in worker threads (GIL), took the HTTP
event loop's CPU; ingest throughput fell to 0.36x of the baseline vs 0.51x with storage off,
and webhook delivery p50 at 500 events/s rose from 46 ms to ~900 ms. See server.py for
what the split measured.

Each part is its own log consumer and its own task, so a slow warehouse never holds back
the archive, and none of them ever holds back ingest or delivery: a failure is logged and
the part starts again a little later from its committed offsets (which is always safe, see
the archive and loader docstrings). On stop the archiver flushes what it buffered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from eventyard.control.config import Config, WarehouseConfig
from eventyard.control.storage_config import DLT_MISSING
from eventyard.errors import ConfigError
from eventyard.log.base import EventLog
from eventyard.spec.timestamps import format_iso
from eventyard.storage.archive import Archiver
from eventyard.storage.compact import compact
from eventyard.storage.fs import open_store
from eventyard.storage.warehouse import DuckDBTarget, PostgresTarget, Target, WarehouseLoader
from eventyard.storage.warehouse.protocols import StoredProtocols

__all__ = ["StorageService", "archive_root", "warehouse_path"]

log = logging.getLogger(__name__)
RESTART_AFTER = 5.0


def archive_root(config: Config, data_dir: Path) -> str:
    """Where the archive lives: `archive.url`, else `<data-dir>/archive`."""
    return config.archive.url or str(data_dir / "archive")


def warehouse_path(config: Config, data_dir: Path) -> Path:
    """The embedded DuckDB file `eventyard query` reads (the first duckdb warehouse's)."""
    for warehouse in config.warehouses:
        if warehouse.type == "duckdb" and warehouse.url:
            return Path(warehouse.url)
    return data_dir / "warehouse.duckdb"


def _target(warehouse: WarehouseConfig, data_dir: Path) -> Target:
    if warehouse.type == "dlt":
        return _dlt_target(warehouse, data_dir)
    if warehouse.type == "postgres":
        assert warehouse.url is not None  # checked when the config was loaded
        return PostgresTarget(warehouse.url, name=warehouse.name)
    path = Path(warehouse.url) if warehouse.url else data_dir / "warehouse.duckdb"
    return DuckDBTarget(path, name=warehouse.name)


def _dlt_target(warehouse: WarehouseConfig, data_dir: Path) -> Target:
    """Imported here so that dlt is needed only where a dlt warehouse is configured."""
    try:
        from eventyard.storage.warehouse.dlt_target import DltTarget, missing_client
    except ModuleNotFoundError as error:
        if error.name != "dlt":
            raise
        raise ConfigError(f"warehouse {warehouse.name!r}: {DLT_MISSING}") from None
    assert warehouse.destination is not None  # checked when the config was loaded
    problem = missing_client(warehouse.destination)
    if problem is not None:
        raise ConfigError(f"warehouse {warehouse.name!r}: {problem}")
    return DltTarget(
        warehouse.name,
        warehouse.destination,
        pipelines_dir=data_dir / "dlt" / warehouse.name,
        credentials=warehouse.credentials,
        dataset_prefix=warehouse.dataset_prefix,
    )


class StorageService:
    """Builds the storage consumers from the config; `run(stop)` runs them all."""

    def __init__(
        self, config: Config, log: EventLog, data_dir: Path, *, compact_every: float = 600.0
    ) -> None:
        self.config = config
        self.log = log
        self.root = archive_root(config, data_dir)
        self.compact_every = compact_every
        archive = config.archive
        protocols = StoredProtocols(data_dir / "state.db")
        self.archiver: Archiver | None = None
        if archive.enabled:
            self.archiver = Archiver(
                log,
                self.root,
                flush_every=float(archive.flush_every),
                max_rows=archive.max_rows,
                storage_options=archive.storage_options,
            )
        self.loaders = [
            WarehouseLoader(
                log,
                _target(w, data_dir),
                interval=float(w.interval),
                sources=None if w.sources is None else frozenset(w.sources),
                protocols=protocols.current,
            )
            for w in config.warehouses
        ]
        self._compacted: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`; each part is restarted after a failure, never stopping the others."""
        parts: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        if self.archiver is not None:
            archiver = self.archiver
            parts.append(("archive", lambda: archiver.run(stop)))
            parts.append(("compaction", lambda: self._compact_loop(stop)))
        for loader in self.loaders:
            parts.append((f"warehouse {loader.target.name}", _bind(loader, stop)))
        await asyncio.gather(*(_supervise(name, part, stop) for name, part in parts))

    async def _compact_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self.compact_closed_hours)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.compact_every)

    def compact_closed_hours(self, now: float | None = None) -> int:
        """Compact every hour that ended `compact_after` ago and was not done yet; returns
        how many hours were merged. One hour failing does not stop the others."""
        now = time.time() if now is None else now
        min_age = float(self.config.archive.compact_after)
        options = self.config.archive.storage_options
        store = open_store(self.root, **options)
        merged = 0
        for source_dir in store.list_dirs(""):
            if not source_dir.startswith("source="):
                continue
            source = source_dir.removeprefix("source=")
            for day_dir in store.list_dirs(source_dir):
                for hour_dir in store.list_dirs(f"{source_dir}/{day_dir}"):
                    key = f"{source_dir}/{day_dir}/{hour_dir}"
                    day, hour = _parse_hour(day_dir, hour_dir)
                    if key in self._compacted or day is None or hour is None:
                        continue
                    end = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
                    if now - (end + timedelta(hours=1)).timestamp() < min_age:
                        continue
                    try:
                        result = compact(
                            self.root, source, day, hour, min_age=min_age, now=now,
                            storage_options=options,
                        )  # fmt: skip
                    except Exception:
                        log.exception("compacting %s failed; trying again later", key)
                        continue
                    self._compacted.add(key)
                    merged += 1 if result["rows"] else 0
        return merged

    async def status(self) -> dict[str, Any]:
        """Lag (records not yet archived/loaded) per part, and each warehouse's last load
        (ISO-8601), for `/api/v1/status`."""
        archive: dict[str, Any] | None = None
        if self.archiver is not None:
            archive = {"lag": await self._lag(self.archiver.consumer)}
        warehouses = [
            {
                "name": loader.target.name,
                "lag": await self._lag(loader.consumer),
                "last_load_at": None
                if loader.last_load_at is None
                else format_iso(datetime.fromtimestamp(loader.last_load_at, UTC)),
            }
            for loader in self.loaders
        ]
        return {"archive": archive, "warehouses": warehouses}

    async def _lag(self, consumer: str) -> int:
        ends = await self.log.end_offsets()
        lag = 0
        for partition, end in enumerate(ends):
            lag += max(0, end - await self.log.committed(consumer, partition))
        return lag


def _bind(loader: WarehouseLoader, stop: asyncio.Event) -> Callable[[], Awaitable[None]]:
    return lambda: loader.run(stop)


def _parse_hour(day_dir: str, hour_dir: str) -> tuple[date | None, int | None]:
    try:
        day = date.fromisoformat(day_dir.removeprefix("date="))
        hour = int(hour_dir.removeprefix("hour="))
    except ValueError:
        return None, None
    return (day, hour) if 0 <= hour < 24 else (None, None)


async def _supervise(name: str, part: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
    """Run `part` until stop; if it raises, log it and start it again after a pause."""
    while not stop.is_set():
        try:
            await part()
            return
        except Exception:
            log.exception("storage: %s failed; restarting in %.0fs", name, RESTART_AFTER)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RESTART_AFTER)
