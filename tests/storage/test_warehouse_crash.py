"""kill -9 of a loader in the middle of a load, then a restart: each event exactly once."""

from __future__ import annotations

import asyncio
import secrets
import signal
import sys
from pathlib import Path

import pytest

from eventyard.log.sqlite import SQLiteLog
from eventyard.storage.warehouse import DuckDBTarget, PostgresTarget, Target, WarehouseLoader
from storage.conftest import PARTITIONS, append, sdk_event
from storage.wh_helpers import Warehouse

SCRIPT = Path(__file__).with_name("load_process.py")


async def _kill_mid_load(log_path: Path, spec: str, moment: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), str(log_path), str(PARTITIONS), spec, moment,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert line.strip() == b"STOPPED", line
    proc.send_signal(signal.SIGKILL)
    assert await proc.wait() == -signal.SIGKILL


@pytest.mark.parametrize("moment", ["in-transaction", "before-offset-commit"])
@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
async def test_kill_9_mid_load_then_restart_is_exactly_once(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str, moment: str
) -> None:
    source = f"web_{secrets.token_hex(3)}"
    target: Target
    if backend == "duckdb":
        target = DuckDBTarget(tmp_path / "warehouse.duckdb")
        spec = f"duckdb:{tmp_path / 'warehouse.duckdb'}"
    else:
        url = request.getfixturevalue("postgres_url")
        target, spec = PostgresTarget(url), f"postgres:{url}"
    log_path = tmp_path / "log.sqlite"
    log = SQLiteLog(log_path, PARTITIONS)
    await log.open()
    await append(log, [sdk_event(i) for i in range(300)], source=source)
    await log.close()  # one process owns the log file at a time

    await _kill_mid_load(log_path, spec, moment)
    warehouse = Warehouse(target, source)
    if moment == "in-transaction":  # rolled back: nothing of the batch is visible
        assert warehouse.tables() == set()
    else:  # the warehouse has the batch, the log offsets were never committed
        assert warehouse.rows("SELECT count(*) FROM {s}.tracks") == [(300,)]

    log = SQLiteLog(log_path, PARTITIONS)
    await log.open()
    try:
        await append(log, [sdk_event(i) for i in range(300, 310)], source=source)
        loader = WarehouseLoader(log, target)
        while await loader.load_once():
            pass
    finally:
        await log.close()
    assert warehouse.rows("SELECT count(*), count(DISTINCT id) FROM {s}.tracks") == [(310, 310)]
    assert warehouse.rows("SELECT count(*), count(DISTINCT id) FROM {s}.order_completed") == [
        (310, 310)
    ]
