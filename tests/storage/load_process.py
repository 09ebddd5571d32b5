"""A warehouse loader process for the kill -9 test: it stops (and waits to be killed) at one
point of a load, announced on stdout.

usage: python load_process.py LOG_PATH PARTITIONS duckdb:PATH|postgres:URL MOMENT
MOMENT: `in-transaction` (rows inserted, warehouse not committed) or `before-offset-commit`
(warehouse committed, log offsets not).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from eventyard.log.sqlite import SQLiteLog
from eventyard.storage.warehouse import DuckDBTarget, PostgresTarget, Target, loader


def _target(spec: str) -> Target:
    kind, _, where = spec.partition(":")
    return DuckDBTarget(where) if kind == "duckdb" else PostgresTarget(where)


async def main(log_path: str, partitions: int, spec: str, moment: str) -> None:
    log = SQLiteLog(Path(log_path), partitions)
    await log.open()
    real = loader.load_schema

    def stop_inside(*args: Any) -> Any:
        stats = real(*args)
        print("STOPPED", flush=True)
        time.sleep(600)  # inside the open warehouse transaction
        return stats

    async def stop_before_commit(*args: Any) -> None:
        print("STOPPED", flush=True)
        await asyncio.sleep(600)

    if moment == "in-transaction":
        loader.load_schema = stop_inside  # type: ignore[assignment]
    else:
        log.commit = stop_before_commit  # type: ignore[method-assign]
    await loader.WarehouseLoader(log, _target(spec)).load_once()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]))
