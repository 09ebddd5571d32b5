"""Storage in its own process: `python -m eventyard.storage.worker --data-dir DIR`.

Why a process: on a 2-core machine the storage consumers' per-event Python work (Parquet
rows, warehouse flattening), even in worker threads, took the HTTP event loop's CPU and GIL:
ingest throughput fell to 0.36x of the baseline with storage on vs 0.51x with it off, and
webhook delivery p50 at 500 events/s went from 46 ms to ~900 ms. In a child process it no
longer holds the server's GIL: delivery latency improved (see server.py), though on two
cores saturated ingest still shares the CPU with it.

The child opens its own handle on the same event log (two processes may write one SQLite
log: offsets are read inside each write transaction; PostgreSQL is multi-node by design)
and runs `StorageService` until SIGTERM/SIGINT, end of stdin, or its parent's death, then
flushes the archive and exits 0. Its config arrives as one JSON line on stdin (so that
warehouse credentials never land on disk); stdin then stays open only to tell it the
parent is alive. It writes each warehouse's last load time to `storage-status.json`, and holds
`storage.lock` so that a child left flushing by a killed server never overlaps the next.

The parent side is `StorageProcess`: starts the child, restarts it with a back-off when it
dies (storage never stops ingest or delivery), reports lags from the log's consumer offsets,
and stops it on shutdown (SIGTERM, bounded wait, then SIGKILL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from eventyard.control.config import Config
from eventyard.control.duration import Duration, parse_duration
from eventyard.log import open_log
from eventyard.log.base import EventLog
from eventyard.spec.timestamps import format_iso

__all__ = [
    "ARCHIVE_CONSUMER",
    "LOCK_FILE",
    "STATUS_FILE",
    "StorageProcess",
    "decode_config",
    "encode_config",
    "main",
    "read_last_loads",
    "storage_enabled",
    "warehouse_consumer",
    "write_last_loads",
]

log = logging.getLogger("eventyard.storage")

ARCHIVE_CONSUMER = "archive"
"""The archiver's log consumer (`Archiver`'s default)."""
LOCK_FILE = "storage.lock"
"""In the data dir: held by the running storage child."""
STATUS_FILE = "storage-status.json"
"""In the data dir: {warehouse name: last load (epoch seconds) or null}, written by the child."""
_STATUS_EVERY = 0.5


def warehouse_consumer(name: str) -> str:
    """A warehouse loader's log consumer (`WarehouseLoader`'s default)."""
    return f"warehouse:{name}"


def storage_enabled(config: Config) -> bool:
    """Whether `serve` needs a storage child: the archive, a warehouse or profiles are on."""
    return config.archive.enabled or bool(config.warehouses) or config.profiles.enabled


class _StorageConfig(msgspec.Struct, kw_only=True):
    """The part of the config the child needs (the rest may hold unencodable settings)."""

    log: Any
    archive: Any
    warehouses: Any
    profiles: Any


def _enc_hook(value: object) -> object:
    if isinstance(value, float):  # Duration
        return float(value)
    raise NotImplementedError(type(value))


def _dec_hook(kind: type, value: object) -> object:
    if kind is Duration:
        return parse_duration(value)
    raise NotImplementedError(kind)


def encode_config(config: Config) -> bytes:
    """One JSON line: the log, archive and warehouse settings."""
    part = _StorageConfig(
        log=config.log,
        archive=config.archive,
        warehouses=config.warehouses,
        profiles=config.profiles,
    )
    return msgspec.json.encode(part, enc_hook=_enc_hook) + b"\n"


def decode_config(line: bytes) -> Config:
    """The inverse of `encode_config`: a Config with only those settings."""
    data = msgspec.json.decode(line)
    return msgspec.convert(data, Config, dec_hook=_dec_hook)


def write_last_loads(data_dir: Path, last_loads: dict[str, float | None]) -> None:
    """Atomically (temp + rename), so that the parent never reads half a file."""
    path = data_dir / STATUS_FILE
    temp = path.with_name(f".{STATUS_FILE}.{os.getpid()}.tmp")
    temp.write_bytes(msgspec.json.encode(last_loads))
    temp.replace(path)


def read_last_loads(data_dir: Path) -> dict[str, float | None]:
    """What the child wrote last; empty if nothing yet (or unreadable)."""
    try:
        raw = (data_dir / STATUS_FILE).read_bytes()
        return msgspec.json.decode(raw, type=dict[str, float | None])
    except (OSError, msgspec.DecodeError):
        return {}


class StorageProcess:
    """The parent's handle on the storage child: `run(stop)` supervises it; `status()`."""

    def __init__(
        self,
        config: Config,
        log: EventLog,
        data_dir: Path,
        *,
        stop_timeout: float = 60.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
    ) -> None:
        self.config = config
        self.log = log
        self.data_dir = data_dir
        self.stop_timeout = stop_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        """The running child's pid, None between restarts."""
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    async def _start(self) -> asyncio.subprocess.Process:
        argv = [sys.executable, "-m", "eventyard.storage.worker"]
        argv += ["--data-dir", str(self.data_dir), "--parent", str(os.getpid())]
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            # its own session: a terminal's Ctrl-C reaches only the server, which stops
            # the child after HTTP has stopped, so the archive gets every last event
            # (uvloop knows no process_group=)
            start_new_session=True,
        )
        assert proc.stdin is not None
        proc.stdin.write(encode_config(self.config))
        with contextlib.suppress(ConnectionError):
            await proc.stdin.drain()
        return proc

    async def run(self, stop: asyncio.Event) -> None:
        """Keep a child running until `stop`, then stop it. Never raises for a child's
        failure: storage resumes from its committed offsets whenever it comes back."""
        delay = self.backoff_initial
        while not stop.is_set():
            started = time.monotonic()
            try:
                self._proc = proc = await self._start()
            except Exception:  # never let storage stop ingest or delivery
                log.exception("storage: cannot start the storage process")
            else:
                waiting = asyncio.ensure_future(proc.wait())
                stopping = asyncio.ensure_future(stop.wait())
                await asyncio.wait([waiting, stopping], return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if stop.is_set() and proc.returncode is None:
                    await self._terminate(proc)
                    return
                code = await waiting
                if stop.is_set():
                    return
                if time.monotonic() - started > 60:
                    delay = self.backoff_initial
                log.error(
                    "storage: the storage process (pid %d) exited with %s; restarting in %.0fs",
                    proc.pid, code, delay,
                )  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, self.backoff_max)

    async def _terminate(self, proc: asyncio.subprocess.Process) -> None:
        """SIGTERM (it flushes the archive), wait a bounded time, then SIGKILL."""
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), self.stop_timeout)
        except TimeoutError:
            log.error("storage: the storage process did not stop in time; killing it")
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        if proc.returncode not in (0, None):
            log.warning("storage: the storage process exited with %s", proc.returncode)

    async def status(self) -> dict[str, Any]:
        """The shape of `StorageService.status()`, from the log's consumer offsets and the
        child's status file, plus the child's pid."""
        ends = await self.log.end_offsets()

        async def lag(consumer: str) -> int:
            total = 0
            for partition, end in enumerate(ends):
                total += max(0, end - await self.log.committed(consumer, partition))
            return total

        archive = {"lag": await lag(ARCHIVE_CONSUMER)} if self.config.archive.enabled else None
        loads = read_last_loads(self.data_dir)
        warehouses = []
        for warehouse in self.config.warehouses:
            at = loads.get(warehouse.name)
            warehouses.append(
                {
                    "name": warehouse.name,
                    "lag": await lag(warehouse_consumer(warehouse.name)),
                    "last_load_at": None
                    if at is None
                    else format_iso(datetime.fromtimestamp(at, UTC)),
                }
            )
        return {"archive": archive, "warehouses": warehouses, "pid": self.pid}


def _watch_parent(parent: int, wake: Callable[[], object]) -> None:
    """Stop on end of stdin (the parent closed it or died) or when the parent pid changes.
    Raw reads: a daemon thread blocked in the buffered reader aborts interpreter exit."""

    def read() -> None:
        with contextlib.suppress(OSError):
            while os.read(0, 65536):
                pass
        wake()

    def poll() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        wake()

    for target in (read, poll):
        threading.Thread(target=target, daemon=True).start()


async def _run(config: Config, data_dir: Path, parent: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    _watch_parent(parent, lambda: loop.call_soon_threadsafe(stop.set))
    with (data_dir / LOCK_FILE).open("a") as lock:
        if await _lock(lock.fileno(), stop):
            await _serve(config, data_dir, stop)


async def _lock(fd: int, stop: asyncio.Event) -> bool:
    """One storage child per data dir: a child left from a killed server may still be
    flushing; two archivers on one consumer would archive the same records twice. The
    lock goes with the process, however it ends. False if told to stop first."""
    while not stop.is_set():
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.1)
    return False


async def _serve(config: Config, data_dir: Path, stop: asyncio.Event) -> None:
    # the heavy imports, child only
    from eventyard.profiles.consumer import ProfilesService
    from eventyard.storage.service import StorageService

    event_log = open_log(config.log.url, data_dir, config.log.partitions)
    await event_log.open()
    try:
        service = StorageService(config, event_log, data_dir)

        def report() -> None:
            write_last_loads(data_dir, {ld.target.name: ld.last_load_at for ld in service.loaders})

        async def report_loop() -> None:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), _STATUS_EVERY)
                with contextlib.suppress(OSError):
                    report()

        # Identity resolution beside storage, not in the server: in the server's process it
        # cut the router to 0.34-0.41 of its speed, and profiles sync writes the DuckDB file
        # whose one writer lives here. Disabled, it only moves its offsets to the log's end.
        profiles = ProfilesService(config, event_log, data_dir)
        await asyncio.gather(service.run(stop), profiles.run(stop), report_loop())
        with contextlib.suppress(OSError):
            report()
    finally:
        await event_log.close()


def main(argv: Sequence[str] | None = None) -> int:
    """The child's entry point; the config is the first line of stdin."""
    parser = argparse.ArgumentParser(prog="python -m eventyard.storage.worker")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--parent", type=int, default=os.getppid())
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    line = sys.stdin.buffer.readline()
    if not line:
        return 0  # the parent went away before sending the config
    config = decode_config(line)
    asyncio.run(_run(config, args.data_dir, args.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
