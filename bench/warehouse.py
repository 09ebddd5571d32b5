"""Warehouse loading: rows/s from the event log into DuckDB, against a direct insert.

    .venv/bin/python bench/warehouse.py [--events 60000] [--batch 20000]

(a) direct: read the same records from the log, `orjson.loads` each payload,
    `pyarrow.Table.from_pylist` (nested objects become structs; no flattening, no Segment
    names, no type rules, no idempotency), one `INSERT INTO ... SELECT * FROM arrow` into
    one DuckDB table. The ceiling of "log -> DuckDB" with nothing else done.
(b) eventyard: `WarehouseLoader.load_once` until the log is drained: Segment flattening and
    names, schema creation/evolution, per-column type casting, the idempotent insert into
    BOTH `tracks` and the event's own table, and the log offset commits.
Prints events/s for both and the ratio (b)/(a); the aim is >= 0.30. Both run in the same
process on the same temporary directory, one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from eventyard.log.base import Entry, EventLog
from eventyard.log.sqlite import SQLiteLog
from eventyard.storage.warehouse import DuckDBTarget, WarehouseLoader

EVENTS = ("Order Completed", "Product Viewed", "Signed Up", "Checkout Started")


def _event(i: int) -> dict[str, Any]:
    return {
        "type": "track",
        "event": EVENTS[i % len(EVENTS)],
        "messageId": f"bench-{i:08d}",
        "userId": f"user-{i % 5000}",
        "anonymousId": f"anon-{i % 7000}",
        "timestamp": "2026-01-01T12:00:00.000Z",
        "originalTimestamp": "2026-01-01T12:00:00.000Z",
        "sentAt": "2026-01-01T12:00:00.050Z",
        "receivedAt": "2026-01-01T12:00:00.100Z",
        "properties": {
            "orderId": f"o-{i}",
            "revenue": 10.5 + i % 100,
            "quantity": i % 9,
            "currency": "EUR",
            "coupon": None if i % 3 else "WINTER",
            "product": {"sku": f"sku-{i % 300}", "category": "games"},
        },
        "context": {
            "ip": "8.8.8.8",
            "library": {"name": "analytics.js", "version": "next-1.84.3"},
            "page": {"path": "/checkout", "url": "https://shop.example/checkout"},
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
        },
    }


async def _fill(log: EventLog, n: int) -> None:
    for start in range(0, n, 5000):
        await log.append(
            [
                Entry("web", e["userId"], e["messageId"], orjson.dumps(e))
                for e in (_event(i) for i in range(start, min(n, start + 5000)))
            ]
        )


async def _direct(log: EventLog, path: Path, batch: int) -> int:
    con = duckdb.connect(str(path))
    loaded = 0
    for partition in range(log.partitions):
        after = 0
        while records := await log.read(partition, after, batch):
            table = pa.Table.from_pylist([orjson.loads(r.payload) for r in records])
            con.register("batch", table)
            if loaded == 0:
                con.execute("CREATE TABLE events AS SELECT * FROM batch")
            else:
                con.execute("INSERT INTO events BY NAME SELECT * FROM batch")
            con.unregister("batch")
            loaded += len(records)
            after = records[-1].offset
    con.close()
    return loaded


async def main(events: int, batch: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        log = SQLiteLog(Path(tmp) / "log.sqlite", 8)
        await log.open()
        try:
            await _fill(log, events)
            t0 = time.perf_counter()
            direct = await _direct(log, Path(tmp) / "direct.duckdb", batch)
            t_direct = time.perf_counter() - t0

            target = DuckDBTarget(Path(tmp) / "warehouse.duckdb")
            loader = WarehouseLoader(log, target, batch_size=batch)
            t0 = time.perf_counter()
            loaded = 0
            while n := await loader.load_once():
                loaded += n
            t_loader = time.perf_counter() - t0
        finally:
            await log.close()
        with duckdb.connect(str(Path(tmp) / "warehouse.duckdb"), read_only=True) as con:
            (tracks,) = con.execute("SELECT count(*) FROM web.tracks").fetchone() or (0,)
    if direct != events or loaded != events or tracks != events:
        print(f"BENCHMARK FAILED: direct={direct} loaded={loaded} tracks={tracks} of {events}")
        return 1
    a, b = events / t_direct, events / t_loader
    print(f"events: {events}, batch: {batch}")
    print(f"(a) direct pyarrow -> DuckDB insert : {a:>10,.0f} events/s ({t_direct:.2f}s)")
    print(f"(b) eventyard WarehouseLoader       : {b:>10,.0f} events/s ({t_loader:.2f}s)")
    print(f"ratio (b)/(a): {b / a:.2f}  (aim >= 0.30)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--batch", type=int, default=20_000)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.events, args.batch)))
